# Set-up and entry points. `make demo` and `make test` each create the
# virtual environment on first use, so a fresh clone needs nothing else.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
CORES ?= 2
# Rules call the `topograph` command, so the environment's bin comes first.
export PATH := $(abspath $(BIN)):$(PATH)

.PHONY: demo test test-slow dry-run benchmark clean-results

$(STAMP): pyproject.toml constraints.txt data-packages.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[test]'
	$(BIN)/python -m pip install --quiet --no-deps -r data-packages.txt
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/snakemake --profile profiles/local --cores $(CORES)
	$(BIN)/snakemake --profile profiles/local --cores $(CORES) --report results/report.html
	@echo
	@echo "Report with every figure: results/report.html"
	@echo "Main tables:"
	@echo "  engine       results/landscapes/<name>/summary.json, rates.csv, frustration.csv"
	@echo "  K-means      results/kmeans/landscapes.csv, outlier_comparison.csv"
	@echo "  GP           results/gp/performance_summary.csv, ensemble_gain.csv"
	@echo "  models       results/models/selfies_ted_evaluation.json"
	@echo "  fill-tuning  results/filltune/<model>/comparison.csv, proposals.csv"

test: $(STAMP)
	HF_HUB_OFFLINE=1 $(BIN)/python -m pytest -m "not slow" -q

# Exit status 5 means no test is marked slow, which is not a failure.
test-slow: $(STAMP)
	HF_HUB_OFFLINE=1 $(BIN)/python -m pytest -m slow -q || test $$? -eq 5

# Side-by-side timings against other tools; see benchmarks/README.md.
benchmark: $(STAMP)
	$(BIN)/python benchmarks/topsearch_comparison.py
	$(BIN)/python benchmarks/ngt_scaling.py

dry-run: $(STAMP)
	$(BIN)/snakemake --profile profiles/local --dry-run

clean-results:
	rm -rf results logs benchmarks/results .snakemake

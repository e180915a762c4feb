"""`snakemake --report` after a small run: every output marked with report()
is embedded, byte for byte, with its caption."""

from __future__ import annotations

import base64
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from conftest import muller_brown_spec
from workflow_helpers import copy_workflow, run_snakemake, snakemake_environment

# Prints the file patterns of every output marked with report(), one per
# line, as the workflow in the current directory defines them. It reads the
# parsed workflow through the snakemake API's private _workflow attribute,
# because the public API has no listing of report outputs.
LIST_REPORT_PATTERNS = """
from pathlib import Path
from snakemake.api import SnakemakeApi
from snakemake.io import is_flagged
from snakemake.settings.types import OutputSettings, ResourceSettings

with SnakemakeApi(OutputSettings(quiet={"all"})) as api:
    workflow = api.workflow(
        resource_settings=ResourceSettings(cores=1), snakefile=Path("Snakefile"), workdir=Path(".")
    )._workflow
    for rule in workflow.rules:
        for output in rule.output:
            if is_flagged(output, "report"):
                print(output)
"""


def report_patterns(workdir: Path) -> list[str]:
    listed = subprocess.run(
        [sys.executable, "-c", LIST_REPORT_PATTERNS],
        cwd=workdir,
        capture_output=True,
        text=True,
        env=snakemake_environment(),
        timeout=120,
        check=True,
    )
    return listed.stdout.split()


def pattern_regex(pattern: str) -> re.Pattern:
    """Turn a snakemake output pattern into a regex; wildcard constraints
    are ignored, so a wildcard matches any text without a slash."""
    parts = re.split(r"\{[^{}]*(?:\{[^{}]*\}[^{}]*)*\}", pattern)
    return re.compile("[^/]+".join(re.escape(part) for part in parts))


def embedded_results(report: Path) -> dict:
    """Return the results table that snakemake embeds in its HTML report."""
    html = report.read_text()
    match = re.search(r"var results = (\{.*?\});\s*</script>", html, flags=re.DOTALL)
    assert match, "no results table in the report"
    return json.loads(match.group(1))


def check_report(workdir: Path) -> list[str]:
    """Build the report of a finished run in ``workdir`` and check that it
    embeds every report() output and every figure; return those outputs."""
    built = run_snakemake(workdir, "--report", "report.html", "--cores", "1")
    assert built.returncode == 0, built.stderr[-4000:]

    patterns = report_patterns(workdir)
    assert any(pattern.endswith("disconnectivity.png") for pattern in patterns)
    produced = sorted(
        str(path.relative_to(workdir))
        for path in (workdir / "results").rglob("*")
        if path.is_file()
        and any(pattern_regex(pattern).fullmatch(str(path.relative_to(workdir))) for pattern in patterns)
    )
    # Every figure the run drew is a report output.
    figures = sorted(str(path.relative_to(workdir)) for path in (workdir / "results").rglob("*.png"))
    assert set(figures) <= set(produced), f"figures missing from report(): {set(figures) - set(produced)}"

    results = embedded_results(workdir / "report.html")
    assert sorted(results) == produced
    for name in produced:
        entry = results[name]
        header, _, payload = entry["data_uri"].partition(";base64,")
        assert header.startswith("data:"), name
        assert base64.b64decode(payload) == (workdir / name).read_bytes(), f"{name} differs from its file"
        assert entry["caption"].strip(), f"{name} has no caption"
    return produced


def test_report_landscape_figures(tmp_path):
    workdir = copy_workflow(tmp_path)
    # One small landscape and no study, so the run takes seconds.
    config = {
        "landscapes": {"mb": muller_brown_spec(explore={"shards": 2})},
        "models": {"evaluate": {"enabled": False}, "embed": {}},
    }
    (workdir / "config" / "config.yaml").write_text(yaml.safe_dump(config))
    completed = run_snakemake(workdir, "--cores", "2")
    assert completed.returncode == 0, completed.stderr[-4000:]

    produced = check_report(workdir)
    assert produced == ["results/landscapes/mb/disconnectivity.png", "results/landscapes/mb/summary.json"]


@pytest.mark.slow
def test_report_demo_every_study(tmp_path):
    """The whole demo configuration: every study's figures are in the report."""
    workdir = copy_workflow(tmp_path)
    completed = run_snakemake(workdir, "--cores", "2", timeout=1800)
    assert completed.returncode == 0, completed.stderr[-4000:]

    produced = check_report(workdir)
    for folder in ("results/landscapes/", "results/kmeans/", "results/gp/"):
        assert any(name.startswith(folder) for name in produced), f"no report output under {folder}"

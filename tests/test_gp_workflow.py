"""The GP part of the workflow, run by Snakemake in a temporary folder."""

from __future__ import annotations

import csv
import math
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import yaml

from conftest import REPOSITORY

GP_CONFIG = {
    "gp": {
        "seed": 0,
        "bounds": {"noise_variance": [1.0e-4, 10.0]},
        "datasets": {
            "fold25": {
                "source": "synthetic", "nu": 1.5, "n_points": 25,
                "lengthscale": 0.15, "noise_variance": 0.05,
            },
            "nile": {"source": "statsmodels", "max_rows": 40},
        },  # fmt: skip
        "performance": {
            "datasets": ["fold25", "nile"],
            "settings": {"splits": 2, "test_fraction": 0.3, "restarts": 1, "fixed_nus": [0.5, 2.5, "inf"]},
        },
        "sweep": {
            "datasets": ["fold25"],
            "settings": {"sweep_nus": [1.0, 1.25, 1.5, 1.75, 2.0, 3.0], "search": {"chains": 6, "steps": 5}},
        },
        "ensemble": {
            "datasets": ["fold25"],
            "settings": {"splits": 1, "search": {"chains": 4, "steps": 4}, "temperature": 1.0},
        },
        "landscape": {
            "datasets": ["fold25"],
            "engine": {
                "explore": {"n_starts": 3, "steps": 4, "temperature": 1.0, "step_size": 0.5, "shards": 1},
                "connect": {"neighbours": 2, "max_attempts": 1, "rounds": 1},
                "analysis": {"levels": 8, "temperatures": [1.0]},
            },
        },
    }
}


def read_table(path: Path) -> list[dict]:
    with open(path, newline="") as handle:
        return list(csv.DictReader(handle))


def test_gp_workflow_tables(tmp_path):
    shutil.copy(REPOSITORY / "Snakefile", tmp_path / "Snakefile")
    for folder in ("workflow", "config", "envs"):
        if (REPOSITORY / folder).exists():
            shutil.copytree(REPOSITORY / folder, tmp_path / folder)
    (tmp_path / "config" / "config.yaml").write_text(yaml.safe_dump(GP_CONFIG))
    environment = {
        **os.environ,
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
        "HF_HUB_OFFLINE": "1",
    }
    # Only the GP outputs are requested, so other studies' defaults do not run.
    targets = [
        f"results/gp/{name}"
        for name in (
            "performance_summary.csv", "performance.png", "ensemble_gain.csv",
            "ensemble_gain.png", "sweep/fold25_branches.csv", "sweep/fold25_catastrophes.csv",
            "sweep/fold25_branches.png", "landscape/fold25_minima.csv",
            "landscape/fold25_disconnectivity.png",
        )
    ]  # fmt: skip
    completed = subprocess.run(
        [sys.executable, "-m", "snakemake", "--cores", "2", *targets],
        cwd=tmp_path, capture_output=True, text=True, env=environment,
    )  # fmt: skip
    assert completed.returncode == 0, completed.stderr[-4000:]
    results = tmp_path / "results" / "gp"

    summary = read_table(results / "performance_summary.csv")
    assert {(row["dataset"], row["kernel"]) for row in summary} == {
        (name, kernel) for name in ("fold25", "nile") for kernel in ("0.5", "2.5", "inf", "optimised")
    }
    for row in summary:
        assert int(row["splits"]) == 2
        mean, low, high = (float(row[f"rmse_{part}"]) for part in ("mean", "low", "high"))
        assert mean > 0
        assert low <= mean <= high
        if row["kernel"] in ("0.5", "2.5"):
            assert float(row["nu_mean"]) == float(row["kernel"])
        if row["kernel"] == "optimised":
            assert 0.2 <= float(row["nu_mean"]) <= 50.0
    nile_rmse = [float(row["rmse_mean"]) for row in summary if row["dataset"] == "nile"]
    # Nile volumes have a standard deviation of about 170 (1e8 m³).
    assert all(50 < value < 300 for value in nile_rmse)

    catastrophes = read_table(results / "sweep" / "fold25_catastrophes.csv")
    folds = [row for row in catastrophes if row["kind"] == "fold"]
    assert len(folds) == 1
    assert {float(folds[0]["nu_before"]), float(folds[0]["nu_after"])} == {1.5, 1.75}
    branches = read_table(results / "sweep" / "fold25_branches.csv")
    assert {row["kind"] for row in branches} == {"minimum", "saddle"}

    ensemble = read_table(results / "ensemble_gain.csv")
    assert [row["scheme"] for row in ensemble] == ["best", "uniform", "boltzmann", "harmonic"]
    assert float(ensemble[0]["predicted_gain"]) == 0.0
    for row in ensemble:
        assert 1.0 <= float(row["effective_members"]) <= float(row["members"])
        assert math.isfinite(float(row["measured_gain"]))

    minima = read_table(results / "landscape" / "fold25_minima.csv")
    energies = [float(row["nlml"]) for row in minima]
    assert energies == sorted(energies)
    for row in minima:
        assert float(row["nu"]) == pytest.approx(np.exp(float(row["theta_3"])))
    for figure in ("performance.png", "ensemble_gain.png", "sweep/fold25_branches.png",
                   "landscape/fold25_disconnectivity.png"):  # fmt: skip
        assert (results / figure).stat().st_size > 10_000

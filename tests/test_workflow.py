"""The Snakemake workflow, run by Snakemake itself in a temporary folder."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import yaml

from conftest import MULLER_BROWN_MINIMA, REPOSITORY, muller_brown_spec
from topograph.analysis.pathsample import read_pathsample


def snakemake(workdir: Path, *arguments: str) -> subprocess.CompletedProcess:
    environment = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    return subprocess.run(
        [sys.executable, "-m", "snakemake", "--cores", "2", *arguments],
        cwd=workdir,
        capture_output=True,
        text=True,
        env=environment,
    )


@pytest.fixture
def workflow_copy(tmp_path):
    """A copy of the workflow whose configuration the test replaces."""
    shutil.copy(REPOSITORY / "Snakefile", tmp_path / "Snakefile")
    shutil.copytree(REPOSITORY / "workflow", tmp_path / "workflow")
    shutil.copytree(REPOSITORY / "config", tmp_path / "config")
    return tmp_path


def test_muller_brown_workflow_outputs(workflow_copy):
    spec = muller_brown_spec(explore={"shards": 2})
    config = {"landscapes": {"mb": spec}}
    (workflow_copy / "config" / "config.yaml").write_text(yaml.safe_dump(config))

    completed = snakemake(workflow_copy)
    assert completed.returncode == 0, completed.stderr[-4000:]

    folder = workflow_copy / "results" / "landscapes" / "mb"
    summary = json.loads((folder / "summary.json").read_text())
    assert summary["minima"] == 3
    assert summary["transition_states"] == 2
    assert summary["global_minimum"]["energy"] == pytest.approx(MULLER_BROWN_MINIMA[0], abs=1e-3)

    exported = read_pathsample(folder / "pathsample", dimension=2)
    np.testing.assert_allclose(np.sort(exported.minima.energies), MULLER_BROWN_MINIMA, atol=1e-3)
    assert exported.n_transition_states == 2

    header = (folder / "frustration.csv").read_text().splitlines()[0]
    assert header.startswith("minimum,transition_state,barrier")
    assert (folder / "disconnectivity.png").stat().st_size > 10_000
    assert len((folder / "rates.csv").read_text().splitlines()) == 1 + 2 * 2

    rerun = snakemake(workflow_copy)
    assert rerun.returncode == 0
    assert "Nothing to be done" in rerun.stdout + rerun.stderr

    # A new analysis setting redraws the graph without exploring again.
    spec["analysis"]["levels"] = 6
    (workflow_copy / "config" / "config.yaml").write_text(yaml.safe_dump(config))
    planned = snakemake(workflow_copy, "--dry-run")
    assert planned.returncode == 0
    assert "disconnectivity_graph" in planned.stdout
    assert "explore_shard" not in planned.stdout
    assert "connect_minima" not in planned.stdout

    # New connect settings search again from the same minima.
    spec["connect"]["rounds"] = 1
    (workflow_copy / "config" / "config.yaml").write_text(yaml.safe_dump(config))
    planned = snakemake(workflow_copy, "--dry-run")
    assert planned.returncode == 0
    assert "connect_minima" in planned.stdout
    assert "explore_shard" not in planned.stdout


CONFIGURATIONS = ["config/config.yaml"] + sorted(
    str(path.relative_to(REPOSITORY)) for path in (REPOSITORY / "config" / "paper").glob("*.yaml")
)


@pytest.mark.parametrize("config", CONFIGURATIONS)
def test_configurations_dry_run(config):
    completed = subprocess.run(
        [sys.executable, "-m", "snakemake", "--dry-run", "--forceall", "--cores", "2", "--configfile", config],
        cwd=REPOSITORY,
        capture_output=True,
        text=True,
    )
    assert completed.returncode == 0, completed.stderr[-4000:]
    assert "explore_shard" in completed.stdout


def test_invalid_config_stops_before_any_job(workflow_copy):
    config = {"landscapes": {"mb": {"potential": {"potential": "muller_brown"}, "connect": {"neighbors": 3}}}}
    (workflow_copy / "config" / "config.yaml").write_text(yaml.safe_dump(config))
    completed = snakemake(workflow_copy, "--dry-run")
    assert completed.returncode != 0
    assert "did you mean 'neighbours'" in completed.stderr + completed.stdout

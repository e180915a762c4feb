"""The Snakemake workflow, run by Snakemake itself in a temporary folder."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import yaml

from conftest import MULLER_BROWN_MINIMA, REPOSITORY, muller_brown_spec
from topograph.analysis.pathsample import read_pathsample
from workflow_helpers import copy_workflow


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
    return copy_workflow(tmp_path)


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


def test_demo_configuration_dry_run():
    """Every study of the demo has jobs; the paper configurations are dry-run,
    with job counts per rule, in test_slurm.py."""
    completed = subprocess.run(
        [sys.executable, "-m", "snakemake", "--dry-run", "--forceall", "--cores", "2"],
        cwd=REPOSITORY,
        capture_output=True,
        text=True,
    )
    assert completed.returncode == 0, completed.stderr[-4000:]
    for rule in ("explore_shard", "kmeans_study", "gp_sweep", "embed_dataset", "filltune_figures"):
        assert rule in completed.stdout, f"the demo has no {rule} job"


@pytest.mark.parametrize(
    ("section", "expected"),
    [
        ({"kmeans": {"clusteres": [3]}}, "unknown key 'clusteres' in kmeans: did you mean 'clusters'?"),
        ({"filltune": {"propsals": 3}}, "unknown key 'propsals' in filltune: did you mean 'proposals'?"),
        ({"filltune": {"tasks": ["solubilty"]}}, "did you mean 'solubility'?"),
        ({"filltune": {"sampling": {"box": [1.0, -1.0]}}}, "filltune.sampling.box [1.0, -1.0] is empty"),
        ({"studies": []}, "studies is empty; list at least 1 of: landscapes, kmeans, gp, models, filltune"),
        (
            {"kmeans": {"clusters": [3, 200]}},
            "kmeans.clusters includes K = 200, but data set 'iris-raw' (source iris) with 0 outliers "
            "has only 149 distinct points; lower K to at most 149",
        ),
        (
            {"gp": {"bounds": {"lengthscale": [100.0, 0.01]}}},
            "gp.bounds: invalid bound 'lengthscale': [100.0, 0.01]; give 0 < low < high < inf",
        ),
        (
            {"gp": {"datasets": {"mauna": {"source": "statsmodels"}}}},
            "GP data set 'mauna' (source statsmodels) has no name key, so it reads the real data set "
            "'mauna', which does not exist; set name to one of diabetes, co2, sunspots, nile, engel, elnino",
        ),
        (
            {"filltune": {"models": {"selfies_ted": {"latent_dim": 64}}}},
            "filltune.models.selfies_ted.latent_dim is 64, but model selfies_ted "
            "(models/selfies_ted_qm9) has 128 latent dimensions; set latent_dim: 128",
        ),
        (
            {"filltune": {"models": {"rxnfp_bert": {"latent_dim": 128}}}},
            "filltune.models.rxnfp_bert.latent_dim is 128, but model rxnfp_bert (rxnfp_bert) "
            "has 256 latent dimensions; set latent_dim: 256",
        ),
        ({"filltune": {"tasks": []}}, "filltune.tasks is empty; list at least 1 item"),
        ({"filltune": {"training": {"seeds": [1, 1]}}}, "filltune.training.seeds repeats 1; list each value once"),
        (
            {"filltune": {"models": {"chgnet": {"latent_dim": 64, "pool": {"source": "qm9"}}}}},
            "filltune.models.chgnet: CHGNet embeds crystal structures",
        ),
        (
            {"filltune": {"models": {"selfies_ted": {"samples": 50}}}},
            "filltune.models.selfies_ted.samples is 50, but the response surface in 128 dimensions "
            "needs at least 129 points; set samples to 129 or more",
        ),
        (
            {"filltune": {"models": {"rxnfp_bert": {"pool": {"source": "moses", "count": 100}}}}},
            "filltune.models.rxnfp_bert.pool.count is 100, but the response surface in 256 dimensions "
            "needs at least 257 points",
        ),
        (
            {"filltune": {"models": {"rxnfp_bert": {"pool": {"source": "moses", "count": "lots"}}}}},
            "filltune.models.rxnfp_bert.pool.count is 'lots'; give a positive number of molecules or all",
        ),
        (
            {"filltune": {"tasks": ["csv:path=absent.csv,smiles=s,label=y,type=regression"]}},
            "file 'absent.csv' not found",
        ),
    ],
)
def test_invalid_study_settings_stop_before_any_job(workflow_copy, section, expected):
    (workflow_copy / "override.yaml").write_text(yaml.safe_dump(section))
    completed = snakemake(workflow_copy, "--dry-run", "--configfile", "override.yaml")
    assert completed.returncode != 0
    assert expected in completed.stderr + completed.stdout
    assert "Job stats" not in completed.stdout


def test_wrong_checkpoint_latent_dim_stops_dry_run(workflow_copy):
    """The latent size of a configured checkpoint folder is read from its JSON files."""
    folder = workflow_copy / "custom_checkpoint"
    folder.mkdir()
    info = {"model": "selfies_ted", "projector": {"latent_dim": 32, "latent_positions": 16}}
    (folder / "topograph_model.json").write_text(json.dumps(info))
    # The dry run reads only the JSON files; the projector file must exist.
    (folder / "projector.safetensors").write_bytes(b"")
    override = {
        "models": {"checkpoints": {"custom": "custom_checkpoint"}},
        "filltune": {"models": {"custom": {"latent_dim": 128, "pool": {"source": "qm9"}}}},
    }
    (workflow_copy / "override.yaml").write_text(yaml.safe_dump(override))
    completed = snakemake(workflow_copy, "--dry-run", "--configfile", "override.yaml")
    assert completed.returncode != 0
    expected = (
        "filltune.models.custom.latent_dim is 128, but model custom (custom_checkpoint) "
        "has 32 latent dimensions; set latent_dim: 32"
    )
    assert expected in completed.stderr + completed.stdout
    assert "Job stats" not in completed.stdout


def test_checkpoint_with_projector_decodes(workflow_copy):
    """A SELFIES-TED checkpoint under models.checkpoints decodes samples, as selfies_ted does."""
    folder = workflow_copy / "custom_checkpoint"
    folder.mkdir()
    info = {"model": "selfies_ted", "projector": {"latent_dim": 128, "latent_positions": 64}}
    (folder / "topograph_model.json").write_text(json.dumps(info))
    (folder / "projector.safetensors").write_bytes(b"")
    override = {
        "models": {"checkpoints": {"custom": "custom_checkpoint"}},
        "filltune": {"models": {"custom": {"samples": 300, "pool": {"source": "qm9"}}, "rxnfp_bert": None}},
    }
    (workflow_copy / "override.yaml").write_text(yaml.safe_dump(override))
    completed = snakemake(workflow_copy, "--dry-run", "--printshellcmds", "--configfile", "override.yaml")
    assert completed.returncode == 0, completed.stderr[-3000:]
    assert "filltune response --model custom_checkpoint --samples" in completed.stdout
    assert "results/filltune/custom/pool.csv" not in completed.stdout
    assert "results/filltune/rxnfp_bert" not in completed.stdout
    assert "results/filltune/custom/proposals.csv" in completed.stdout


def test_invalid_config_stops_before_any_job(workflow_copy):
    config = {"landscapes": {"mb": {"potential": {"potential": "muller_brown"}, "connect": {"neighbors": 3}}}}
    (workflow_copy / "config" / "config.yaml").write_text(yaml.safe_dump(config))
    completed = snakemake(workflow_copy, "--dry-run")
    assert completed.returncode != 0
    assert "did you mean 'neighbours'" in completed.stderr + completed.stdout

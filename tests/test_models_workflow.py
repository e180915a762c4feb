"""Model rules of the workflow, run by Snakemake in a temporary copy."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

os.environ["HF_HUB_OFFLINE"] = "1"

import numpy as np
import torch
import yaml

from test_models_selfies_ted import tiny_model
from workflow_helpers import copy_workflow

torch.set_num_threads(1)


def snakemake(workdir: Path, *arguments: str) -> subprocess.CompletedProcess:
    environment = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
                   "HF_HUB_OFFLINE": "1", "OMP_NUM_THREADS": "1"}  # fmt: skip
    return subprocess.run([sys.executable, "-m", "snakemake", "--cores", "1", *arguments],
                          cwd=workdir, capture_output=True, text=True, env=environment)  # fmt: skip


def test_embed_rule_with_configured_checkpoint(tmp_path):
    workdir = copy_workflow(tmp_path / "workflow")
    tiny_model().save(tmp_path / "real_checkpoint")
    (workdir / "molecules.csv").write_text("id,smiles\nethanol,CCO\nbroken,C1CC\nbenzene,c1ccccc1\n")
    config = {
        "landscapes": {},
        "models": {
            "checkpoints": {"local_ted": str(tmp_path / "real_checkpoint")},
            "embed": {"tiny": {"model": "local_ted", "input": "molecules.csv"}},
            "evaluate": {"enabled": False},
        },
    }
    (workdir / "config" / "config.yaml").write_text(yaml.safe_dump(config))

    completed = snakemake(workdir, "results/models/embeddings/tiny.json")
    assert completed.returncode == 0, completed.stderr[-4000:]
    summary = json.loads((workdir / "results/models/embeddings/tiny.json").read_text())
    assert (summary["inputs"], summary["embedded"], summary["invalid"]) == (3, 2, 1)
    stored = np.load(workdir / "results/models/embeddings/tiny.npz")
    assert stored["ids"].tolist() == ["ethanol", "benzene"]
    invalid = (workdir / "results/models/embeddings/tiny.invalid.csv").read_text().splitlines()
    assert invalid[1].startswith("broken,C1CC,invalid SMILES")


def test_retrain_flag_adds_pretraining(tmp_path):
    workdir = copy_workflow(tmp_path / "workflow")
    overrides = {"models": {"retrain_default": True, "pretrain": {"accelerator": "gpu", "precision": "bf16-mixed"}}}
    (tmp_path / "retrain.yaml").write_text(yaml.safe_dump(overrides))

    shipped = snakemake(workdir, "--dry-run", "--printshellcmds", "results/models/selfies_ted_evaluation.json")
    assert shipped.returncode == 0, shipped.stderr[-4000:]
    assert "pretrain_model" not in shipped.stdout
    assert "--model models/selfies_ted_qm9" in shipped.stdout

    # --configfile takes several values, so the target comes first.
    retrained = snakemake(workdir, "results/models/selfies_ted_evaluation.json", "--dry-run", "--printshellcmds",
                          "--configfile", str(tmp_path / "retrain.yaml"))  # fmt: skip
    assert retrained.returncode == 0, retrained.stderr[-4000:]
    assert "topograph model pretrain" in retrained.stdout
    assert '"precision": "bf16-mixed"' in retrained.stdout
    assert "--model results/models/selfies_ted_pretrained" in retrained.stdout

"""Supervised fine-tuning on one task: the control of the fill-tuning study."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from topograph.downstream.datasets import load_task
from topograph.models import load_model
from topograph.models.finetune import finetune_on_task


@pytest.fixture(autouse=True)
def one_thread():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="module")
def freesolv():
    return load_task("freesolv", max_rows=48, seed=0)


def test_regression_loss_falls_and_checkpoint_reloads(freesolv, tmp_path):
    model = load_model("rxnfp_bert")
    before = model.encode(freesolv.smiles[:5])
    summary = finetune_on_task(
        model, freesolv.smiles, freesolv.labels, "regression", tmp_path / "tuned",
        epochs=2, batch_size=16, learning_rate=1e-4, seed=0, accelerator="cpu",
    )
    assert summary["molecules"] == 48
    assert summary["skipped"] == 0
    assert summary["steps"] == 6
    # Standardised labels: a random head starts near unit variance.
    assert summary["final_loss"] < 0.8 * summary["initial_loss"]

    after = model.encode(freesolv.smiles[:5])
    assert np.abs(after - before).max() > 1e-3
    reloaded = load_model(str(tmp_path / "tuned"))
    np.testing.assert_array_equal(reloaded.encode(freesolv.smiles[:5]), after)


def test_classification_loss_falls(tmp_path):
    task = load_task("bbb_class", max_rows=40, seed=1)
    assert set(np.unique(task.labels)) == {0.0, 1.0}
    model = load_model("rxnfp_bert")
    summary = finetune_on_task(
        model, task.smiles, task.labels, "classification", tmp_path / "tuned",
        epochs=3, batch_size=20, learning_rate=1e-4, seed=0, accelerator="cpu",
    )
    assert summary["final_loss"] < summary["initial_loss"]


def test_same_seed_same_weights(freesolv, tmp_path):
    embeddings = []
    for run in range(2):
        model = load_model("rxnfp_bert")
        finetune_on_task(
            model, freesolv.smiles[:16], freesolv.labels[:16], "regression", tmp_path / f"run{run}",
            epochs=1, batch_size=8, seed=3, accelerator="cpu",
        )
        embeddings.append(model.encode(freesolv.smiles[:3]))
    np.testing.assert_array_equal(embeddings[0], embeddings[1])


@pytest.mark.parametrize(
    ("labels", "task_type", "message"),
    [
        (np.ones(3), "regression", "constant"),
        (np.arange(2.0), "regression", "one label per molecule"),
        (np.arange(3.0), "ranking", "unknown task type"),
    ],
)
def test_bad_tasks_are_rejected(labels, task_type, message, tmp_path):
    model = load_model("rxnfp_bert")
    with pytest.raises(ValueError, match=message):
        finetune_on_task(model, ["CCO", "CCN", "c1ccccc1"], labels, task_type, tmp_path / "x")

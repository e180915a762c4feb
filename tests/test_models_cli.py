"""`topograph model ...` commands: embed, decode, molecules and their errors."""

from __future__ import annotations

import csv
import json
import os

os.environ["HF_HUB_OFFLINE"] = "1"

import numpy as np
import pytest
import torch
from pymatgen.core import Lattice, Structure

import topograph.models
from topograph.cli.main import main
from topograph.models import load_model
from test_models_selfies_ted import tiny_model

torch.set_num_threads(1)


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory):
    directory = tmp_path_factory.mktemp("tiny") / "selfies_ted"
    tiny_model().save(directory)
    return directory


def write_table(path, rows, header=("id", "smiles")):
    with open(path, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)


def test_embed_writes_ids_and_invalid(checkpoint, tmp_path):
    write_table(tmp_path / "in.csv", [("a", "CCO"), ("b", "C1CC"), ("c", "c1ccccc1"), ("d", "")])
    status = main(["model", "embed", "--model", str(checkpoint), "--input", str(tmp_path / "in.csv"),
                   "--output", str(tmp_path / "out.npz"), "--summary", str(tmp_path / "summary.json")])  # fmt: skip
    assert status == 0
    stored = np.load(tmp_path / "out.npz")
    assert stored["ids"].tolist() == ["a", "c"]
    assert stored["embeddings"].dtype == np.float32
    expected = load_model(str(checkpoint)).encode(["CCO", "c1ccccc1"])
    assert np.array_equal(stored["embeddings"], expected)
    with open(tmp_path / "out.invalid.csv", newline="") as handle:
        invalid = list(csv.DictReader(handle))
    assert [row["id"] for row in invalid] == ["b", "d"]
    assert all("invalid SMILES" in row["reason"] for row in invalid)
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert (summary["inputs"], summary["embedded"], summary["invalid"]) == (4, 2, 2)


def test_embed_mean_pooling_width(checkpoint, tmp_path):
    write_table(tmp_path / "in.csv", [("a", "CCO")])
    assert main(["model", "embed", "--model", str(checkpoint), "--input", str(tmp_path / "in.csv"),
                 "--output", str(tmp_path / "out.npz"), "--pooling", "mean"]) == 0  # fmt: skip
    assert np.load(tmp_path / "out.npz")["embeddings"].shape == (1, 32)


def test_embed_missing_column_exits_2(checkpoint, tmp_path, capsys):
    write_table(tmp_path / "in.csv", [("a", "CCO")], header=("id", "molecule"))
    status = main(["model", "embed", "--model", str(checkpoint), "--input", str(tmp_path / "in.csv"),
                   "--output", str(tmp_path / "out.npz")])  # fmt: skip
    assert status == 2
    assert "no column 'smiles'" in capsys.readouterr().err


def test_unknown_model_exits_2(tmp_path, capsys):
    write_table(tmp_path / "in.csv", [("a", "CCO")])
    status = main(["model", "embed", "--model", str(tmp_path / "nothing"), "--input", str(tmp_path / "in.csv"),
                   "--output", str(tmp_path / "out.npz")])  # fmt: skip
    assert status == 2
    assert "neither a model name" in capsys.readouterr().err


def test_embed_checks_input_before_model(tmp_path, capsys, monkeypatch):
    def load_model(name_or_directory, device="cpu"):
        raise AssertionError("the model was loaded before the input was checked")

    monkeypatch.setattr(topograph.models, "load_model", load_model)
    missing = tmp_path / "absent.csv"
    status = main(["model", "embed", "--model", "selfies_ted", "--input", str(missing),
                   "--output", str(tmp_path / "out.npz")])  # fmt: skip
    assert status == 2
    message = capsys.readouterr().err
    assert f"--input {missing} not found" in message
    assert "pass an existing SMILES CSV" in message


def test_decode_random_and_from_file(checkpoint, tmp_path):
    assert main(["model", "decode", "--model", str(checkpoint), "--random", "5", "--seed", "3",
                 "--output", str(tmp_path / "random.csv")]) == 0  # fmt: skip
    with open(tmp_path / "random.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert [row["index"] for row in rows] == ["0", "1", "2", "3", "4"]
    model = load_model(str(checkpoint))
    points = np.random.default_rng(3).uniform(-1, 1, (5, 8))
    assert [row["smiles"] or None for row in rows] == model.decode(points)

    np.save(tmp_path / "latents.npy", points[:2])
    assert main(["model", "decode", "--model", str(checkpoint), "--latents", str(tmp_path / "latents.npy"),
                 "--output", str(tmp_path / "file.csv")]) == 0  # fmt: skip
    assert (tmp_path / "file.csv").read_text().splitlines()[1:] == (tmp_path / "random.csv").read_text().splitlines()[1:3]


def test_decode_without_decoder_exits_2(tmp_path, capsys):
    status = main(["model", "decode", "--model", "chgnet", "--random", "2", "--output", str(tmp_path / "x.csv")])
    assert status == 2
    assert "has no decoder" in capsys.readouterr().err


def test_molecules_sample_is_seeded(tmp_path):
    for name in ("first", "second"):
        assert main(["model", "molecules", "freesolv", "--count", "7", "--seed", "2", "--output", str(tmp_path / f"{name}.csv")]) == 0
    first = (tmp_path / "first.csv").read_text().splitlines()
    assert first == (tmp_path / "second.csv").read_text().splitlines()
    assert len(first) == 8
    assert first[0] == "id,smiles"


def test_molecules_count_like_matches_table_rows(tmp_path, capsys):
    proposals = tmp_path / "proposals.csv"
    proposals.write_text("rank,smiles\n0,CCO\n1,c1ccccc1\n2,CC(=O)O\n")
    assert main(["model", "molecules", "freesolv", "--count-like", str(proposals), "--seed", "3",
                 "--output", str(tmp_path / "like.csv")]) == 0  # fmt: skip
    assert main(["model", "molecules", "freesolv", "--count", "3", "--seed", "3",
                 "--output", str(tmp_path / "three.csv")]) == 0  # fmt: skip
    like = (tmp_path / "like.csv").read_text().splitlines()
    assert len(like) == 4
    assert like == (tmp_path / "three.csv").read_text().splitlines()
    (tmp_path / "empty.csv").write_text("rank,smiles\n")
    status = main(["model", "molecules", "freesolv", "--count-like", str(tmp_path / "empty.csv"),
                   "--output", str(tmp_path / "none.csv")])  # fmt: skip
    assert status == 2
    assert "has no data rows" in capsys.readouterr().err


def test_evaluate_needs_training_record(checkpoint, tmp_path, capsys):
    status = main(["model", "evaluate", "--model", str(checkpoint), "--output", str(tmp_path / "e.json")])
    assert status == 2
    assert "records no" in capsys.readouterr().err


def test_chgnet_embeds_structure_folder(tmp_path):
    folder = tmp_path / "structures"
    folder.mkdir()
    Structure(Lattice.cubic(3.6), ["Cu"] * 4, [[0, 0, 0], [0.5, 0.5, 0], [0.5, 0, 0.5], [0, 0.5, 0.5]]).to(filename=str(folder / "cu.cif"))
    (folder / "bad.cif").write_text("data_x\n")
    assert main(["model", "embed", "--model", "chgnet", "--input", str(folder), "--output", str(tmp_path / "c.npz"),
                 "--summary", str(tmp_path / "c.json")]) == 0  # fmt: skip
    stored = np.load(tmp_path / "c.npz")
    assert stored["ids"].tolist() == ["cu"]
    assert stored["embeddings"].shape == (1, 64)
    summary = json.loads((tmp_path / "c.json").read_text())
    assert (summary["embedded"], summary["invalid"]) == (1, 1)


def test_continue_command_writes_checkpoint(checkpoint, tmp_path):
    write_table(tmp_path / "in.csv", [(str(index), smiles) for index, smiles in enumerate(["CCO", "CCN", "c1ccccc1", "CC(=O)O"])])
    status = main(["model", "continue", "--model", str(checkpoint), "--input", str(tmp_path / "in.csv"),
                   "--output", str(tmp_path / "continued"), "--batch-size", "2", "--max-steps", "1",
                   "--accelerator", "cpu"])  # fmt: skip
    assert status == 0
    continued = load_model(str(tmp_path / "continued"))
    assert continued.training_info["continued_pretraining"][-1]["max_steps"] == 1
    assert not np.array_equal(continued.encode(["CCO"]), load_model(str(checkpoint)).encode(["CCO"]))


@pytest.mark.parametrize("device", ["gpu", "cuda:0"])
def test_unavailable_device_exits_2(device, tmp_path, capsys):
    import torch

    if device.startswith("cuda") and torch.cuda.is_available():
        pytest.skip("this machine has CUDA, so the device is valid")
    table = tmp_path / "molecules.csv"
    table.write_text("id,smiles\na,CCO\n")
    status = main(["model", "embed", "--model", "selfies_ted", "--input", str(table),
                   "--output", str(tmp_path / "e.npz"), "--device", device])  # fmt: skip
    assert status == 2
    message = capsys.readouterr().err
    assert device in message
    assert "cpu" in message


@pytest.mark.parametrize(
    ("rows", "expected"),
    [
        ([], "no rows"),
        ([("a", "C1CC"), ("b", "")], "none of the 2 inputs"),
        ([("a", "CCO"), ("a", "CCN")], "repeats the id 'a'"),
    ],
)
def test_embed_unusable_table_exits_2(rows, expected, checkpoint, tmp_path, capsys):
    write_table(tmp_path / "in.csv", rows)
    status = main(["model", "embed", "--model", str(checkpoint), "--input", str(tmp_path / "in.csv"),
                   "--output", str(tmp_path / "out.npz")])  # fmt: skip
    assert status == 2
    assert expected in capsys.readouterr().err
    assert not (tmp_path / "out.npz").exists()


def test_job_log_has_no_progress_bar(tmp_path):
    """A command whose stderr is a file writes no weight-loading bar and no line twice."""
    from conftest import REPOSITORY, run_topograph

    smiles = tmp_path / "molecules.csv"
    smiles.write_text("id,smiles\na,CCO\nb,CCN\n")
    completed = run_topograph("model", "embed", "--model", REPOSITORY / "models" / "selfies_ted_qm9",
                              "--input", smiles, "--output", tmp_path / "e.npz")  # fmt: skip
    assert "Loading weights" not in completed.stderr
    assert "\r" not in completed.stderr
    lines = [line.split(": ", 1)[-1] for line in completed.stderr.splitlines() if line.strip()]
    assert len(lines) == len(set(lines))


def test_training_loss_summary_reads_lightning_log(tmp_path):
    from topograph.cli.model_commands import _training_loss_summary

    assert _training_loss_summary(tmp_path) == "no training log was written"
    for version, losses in ((0, ["9.0", "8.0"]), (1, ["5.0", "", "2.5"])):
        folder = tmp_path / "training" / "logs" / f"version_{version}"
        folder.mkdir(parents=True)
        rows = [f"0,{step},{loss}" for step, loss in enumerate(losses)]
        (folder / "metrics.csv").write_text("epoch,step,train_loss\n" + "\n".join(rows) + "\n")
    assert _training_loss_summary(tmp_path) == "train_loss 5 at step 0, 2.5 at step 2"

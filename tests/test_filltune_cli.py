"""``topograph filltune ...`` end to end on a fake model and small files."""

from __future__ import annotations

import csv
import json

import numpy as np
import pytest
import yaml
from test_filltune_fake_model import FakeModel

import topograph.models
from topograph.cli.main import main
from topograph.database.store import StationaryPointDatabase


@pytest.fixture
def fake_models(monkeypatch):
    """Make ``load_model`` return fake 2-d models; ``nodecoder`` names one without a decoder."""

    def load_model(name_or_directory, device="cpu"):
        return FakeModel(
            latent_dim=2,
            has_decoder=name_or_directory != "nodecoder",
            name=name_or_directory,
        )

    monkeypatch.setattr(topograph.models, "load_model", load_model, raising=False)


def run(*arguments) -> int:
    return main(["filltune", *map(str, arguments)])


def read_rows(path):
    with open(path, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def landscape_database(path):
    """A scaled 2-d landscape: two minima joined by one transition state."""
    database = StationaryPointDatabase(2)
    database.add_minimum(0.1, [0.2, 0.3])
    database.add_minimum(0.0, [0.8, 0.7])
    database.add_transition_state(0.5, [0.5, 0.5], 0, 1)
    database.save(path)


def test_pipeline_with_decoder(tmp_path, fake_models):
    samples, table = tmp_path / "samples.npz", tmp_path / "response.npy"
    assert run("sample", "--output", samples, "--samples", 40, "--dimension", 2,
               "--neighbours", 4, "--radius", 0.2, "--seed", 1) == 0  # fmt: skip
    assert run("response", "--model", "base", "--samples", samples, "--output", table,
               "--molecules", tmp_path / "molecules.csv") == 0  # fmt: skip
    data = np.load(table)
    assert data.shape == (40, 3)
    assert ((data[:, 2] >= 0) & (data[:, 2] <= 1)).all()
    assert len(read_rows(tmp_path / "molecules.csv")) == 40

    landscape_database(tmp_path / "landscape.npz")
    gaussians, minima = tmp_path / "gaussians.npz", tmp_path / "minima.csv"
    assert run("roughness", "--database", tmp_path / "landscape.npz", "--table", table,
               "--gaussians", gaussians, "--minima", minima,
               "--contributions", tmp_path / "contributions.csv", "--seed", 2) == 0  # fmt: skip
    minima_rows = read_rows(minima)
    assert len(minima_rows) >= 1
    assert all(float(row["energy"]) < -0.1 for row in minima_rows)
    assert list(minima_rows[0])[:4] == ["rank", "energy", "z0", "z1"]
    assert len(read_rows(tmp_path / "contributions.csv")) == 2

    corpus = tmp_path / "corpus.csv"
    corpus.write_text("smiles\nCCO\nCCN\n", encoding="utf-8")
    proposals, statistics = tmp_path / "proposals.csv", tmp_path / "statistics.json"
    assert run("propose", "--model", "base", "--minima", minima, "--count", 3,
               "--corpus", corpus, "--output", proposals, "--statistics", statistics) == 0  # fmt: skip
    first = (proposals.read_text(), statistics.read_text())
    assert run("propose", "--model", "base", "--minima", minima, "--count", 3,
               "--corpus", corpus, "--output", proposals, "--statistics", statistics) == 0  # fmt: skip
    assert (proposals.read_text(), statistics.read_text()) == first
    stats = json.loads(statistics.read_text())
    assert stats["method"] == "decode"
    assert stats["kept"] == len(read_rows(proposals))

    plots = {
        name: tmp_path / f"{name}.png"
        for name in ("response", "contributions", "minima", "grid")
    }
    assert run("plots", "--response", table, "--response-plot", plots["response"],
               "--gaussians", gaussians, "--contributions-plot", plots["contributions"],
               "--minima", minima, "--minima-plot", plots["minima"],
               "--proposals", proposals, "--grid-plot", plots["grid"]) == 0  # fmt: skip
    for path in plots.values():
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_pipeline_through_landscape_engine(tmp_path, fake_models):
    samples, table = tmp_path / "samples.npz", tmp_path / "response.npy"
    assert run("sample", "--output", samples, "--samples", 60, "--dimension", 2,
               "--neighbours", 6, "--radius", 0.15, "--seed", 0) == 0  # fmt: skip
    assert (
        run("response", "--model", "base", "--samples", samples, "--output", table) == 0
    )
    spec = tmp_path / "landscape.yaml"
    spec.write_text(
        yaml.safe_dump(
            {
                "potential": {"potential": "rbf_interpolant", "parameters": {
                    "data": str(table), "smoothing": 1e-4, "scale": True, "bounds": "data"}},
                "explore": {"starts": "data", "steps": 5, "temperature": 100.0,
                            "step_size": 0.05, "shards": 1, "seed": 0},
                "connect": {"neighbours": 12, "max_attempts": 1, "rounds": 1},
                "database": {"energy_tolerance": 1e-7, "distance_tolerance": 1e-3},
            }
        )
    )  # fmt: skip
    minima_database, landscape = tmp_path / "minima.npz", tmp_path / "landscape.npz"
    assert (
        main(["landscape", "explore", str(spec), "--output", str(minima_database)]) == 0
    )
    assert main(["landscape", "connect", str(spec), "--database", str(minima_database),
                 "--output", str(landscape)]) == 0  # fmt: skip
    database = StationaryPointDatabase.load(landscape)
    assert database.n_transition_states > 0

    gaussians, minima = tmp_path / "gaussians.npz", tmp_path / "minima.csv"
    assert run("roughness", "--database", landscape, "--table", table,
               "--gaussians", gaussians, "--minima", minima, "--seed", 0) == 0  # fmt: skip
    rows = read_rows(minima)
    assert len(rows) >= 1
    latents = np.array([[float(row["z0"]), float(row["z1"])] for row in rows])
    # Latent coordinates lie in the box of the samples.
    data = np.load(table)
    assert (latents >= data[:, :2].min(axis=0) - 1e-9).all()
    assert (latents <= data[:, :2].max(axis=0) + 1e-9).all()

    proposals, statistics = tmp_path / "proposals.csv", tmp_path / "statistics.json"
    assert run("propose", "--model", "base", "--minima", minima, "--count", 100,
               "--output", proposals, "--statistics", statistics) == 0  # fmt: skip
    stats = json.loads(statistics.read_text())
    assert stats["candidates"] == len(rows)
    # The fake decoder returns only 12 distinct molecules, so fewer than 100 are kept and
    # the reason is recorded.
    assert stats["kept"] < 100
    assert stats["shortfall"]


def test_same_seed_same_samples(tmp_path):
    for name in ("first", "second"):
        assert run("sample", "--output", tmp_path / f"{name}.npz", "--samples", 10,
                   "--dimension", 3, "--seed", 4) == 0  # fmt: skip
    first, second = np.load(tmp_path / "first.npz"), np.load(tmp_path / "second.npz")
    np.testing.assert_array_equal(first["neighbours"], second["neighbours"])


def test_response_and_retrieval_without_decoder(tmp_path, fake_models):
    pool = tmp_path / "pool.csv"
    pool.write_text(
        "smiles\n"
        + "\n".join(["CCO", "CCN", "CCC", "CCCl", "c1ccccc1", "OCCO", "CNC"])
        + "\n"
    )
    table = tmp_path / "response.csv"
    assert (
        run(
            "response",
            "--model",
            "nodecoder",
            "--pool",
            pool,
            "--neighbours",
            2,
            "--output",
            table,
        )
        == 0
    )
    assert len(read_rows(table)) == 7

    minima = tmp_path / "minima.csv"
    minima.write_text("rank,energy,z0,z1\n0,-1.0,-0.9,-0.3\n1,-0.5,0.1,-0.3\n")
    proposals, statistics = tmp_path / "proposals.csv", tmp_path / "statistics.json"
    assert run("propose", "--model", "nodecoder", "--minima", minima, "--pool", pool,
               "--output", proposals, "--statistics", statistics, "--count", 2) == 0  # fmt: skip
    assert json.loads(statistics.read_text())["method"] == "retrieve"
    assert len(read_rows(proposals)) == 2


def test_evaluate_compare_rogi_and_plot(tmp_path, fake_models):
    rng = np.random.default_rng(0)
    molecules = ["CCO", "CCN", "CCC", "CCCl", "c1ccccc1", "c1ccncc1", "CC(=O)O", "CC(C)O",
                 "OCCO", "CNC", "C1CCCCC1", "CC#N", "CCCC", "CCOC", "CCCN", "CCCO"] * 2  # fmt: skip
    task = tmp_path / "task.csv"
    task.write_text(
        "mol,y\n"
        + "\n".join(
            f"{m},{value:.4f}" for m, value in zip(molecules, rng.normal(size=32))
        )
        + "\n"
    )
    task_argument = f"csv:path={task},smiles=mol,label=y,type=regression,name=toy"
    metrics, table = tmp_path / "metrics.csv", tmp_path / "table.csv"
    assert run("evaluate", "--model", "base=base", "--model", "tuned=other", "--task", task_argument,
               "--seeds", "0,1,2", "--output", metrics, "--base", "base", "--table", table) == 0  # fmt: skip
    rows = read_rows(metrics)
    assert len(rows) == 2 * 3
    assert {row["metric"] for row in rows} == {"rmse"}
    comparison = read_rows(table)
    assert [row["model"] for row in comparison] == ["base", "tuned"]
    # The fakes embed identically, so the change is exactly zero.
    assert float(comparison[1]["change"]) == 0.0

    again = tmp_path / "again.csv"
    assert run("compare", metrics, "--base", "base", "--output", again) == 0
    assert again.read_text() == table.read_text()

    rogi = tmp_path / "rogi.csv"
    assert (
        run("rogi", "--model", "base", "--task", task_argument, "--output", rogi) == 0
    )
    value = float(read_rows(rogi)[0]["rogi_xd"])
    assert 0.0 < value <= 0.5

    figure = tmp_path / "changes.png"
    assert (
        run("plots", "--comparison", table, "--base", "base", "--changes-plot", figure)
        == 0
    )
    assert figure.stat().st_size > 0


def test_invalid_input_exits_2(tmp_path, fake_models, capsys):
    assert run("response", "--model", "base", "--output", tmp_path / "t.npy") == 2
    assert "exactly one of --samples" in capsys.readouterr().err
    assert run("plots", "--response", tmp_path / "t.npy") == 2
    assert "together" in capsys.readouterr().err
    assert (
        run(
            "evaluate",
            "--model",
            "base",
            "--task",
            "freesolve",
            "--output",
            tmp_path / "m.csv",
        )
        == 2
    )
    assert "did you mean 'freesolv'" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        (["--test-fraction", "1.5"], "--test-fraction 1.5 must lie strictly between 0 and 1"),
        (["--test-fraction", "0"], "--test-fraction 0.0 must lie strictly between 0 and 1"),
        (["--base", "baseline", "--table", "table.csv"], "--base 'baseline' is not the name of a --model; pass one of base, tuned"),
    ],
)
def test_evaluate_checks_arguments_before_models(options, expected, tmp_path, capsys, monkeypatch):
    def load_model(name_or_directory, device="cpu"):
        raise AssertionError("a model was loaded before the arguments were checked")

    monkeypatch.setattr(topograph.models, "load_model", load_model, raising=False)
    # The task file does not exist either, so a task read before the checks
    # would report the file instead.
    task = f"csv:path={tmp_path / 'absent.csv'},smiles=mol,label=y,type=regression"
    status = run("evaluate", "--model", "base=base", "--model", "tuned=other", "--task", task,
                 "--output", tmp_path / "metrics.csv", *options)  # fmt: skip
    assert status == 2
    assert expected in capsys.readouterr().err


def test_roughness_rejects_unscaled_landscape(tmp_path, capsys):
    database = StationaryPointDatabase(2)
    database.add_minimum(0.0, [2.0, 3.0])
    database.add_minimum(0.1, [4.0, 3.0])
    database.add_transition_state(0.5, [3.0, 3.5], 0, 1)
    database.save(tmp_path / "landscape.npz")
    np.save(
        tmp_path / "table.npy",
        np.array([[0.0, 0.0, 0.1], [1.0, 2.0, 0.5], [2.0, 1.0, 0.9]]),
    )
    status = run("roughness", "--database", tmp_path / "landscape.npz",
                 "--table", tmp_path / "table.npy", "--gaussians", tmp_path / "g.npz",
                 "--minima", tmp_path / "m.csv")  # fmt: skip
    assert status == 2
    assert "lie outside [0, 1]" in capsys.readouterr().err

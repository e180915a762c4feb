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


def error_line(capsys) -> str:
    """Return the one-line error message of a command that exited with status 2."""
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith("topograph: error: ")
    return lines[0]


def toy_task(path, labels=None, task_type="regression"):
    """Write a 32-molecule CSV task and return its --task argument."""
    molecules = ["CCO", "CCN", "CCC", "CCCl", "c1ccccc1", "c1ccncc1", "CC(=O)O", "CC(C)O",
                 "OCCO", "CNC", "C1CCCCC1", "CC#N", "CCCC", "CCOC", "CCCN", "CCCO"] * 2  # fmt: skip
    if labels is None:
        labels = np.random.default_rng(0).normal(size=len(molecules))
    path.write_text(
        "mol,y\n" + "".join(f"{m},{value:.4f}\n" for m, value in zip(molecules, labels))
    )
    return f"csv:path={path},smiles=mol,label=y,type={task_type},name=toy"


def test_plots_rejects_npy_gaussians(tmp_path, capsys):
    gaussians = tmp_path / "gaussians.npy"
    np.save(gaussians, np.zeros(3))
    status = run("plots", "--gaussians", gaussians,
                 "--contributions-plot", tmp_path / "contributions.png")  # fmt: skip
    assert status == 2
    message = error_line(capsys)
    assert f"'{gaussians}' contains a single array (.npy)" in message
    assert "`topograph filltune roughness` writes" in message


def test_response_rejects_npy_samples(tmp_path, fake_models, capsys):
    samples = tmp_path / "samples.npy"
    np.save(samples, np.zeros((3, 2)))
    status = run("response", "--model", "base", "--samples", samples,
                 "--output", tmp_path / "response.npy")  # fmt: skip
    assert status == 2
    assert "`topograph filltune sample` writes" in error_line(capsys)


@pytest.mark.parametrize(
    ("minima_text", "expected"),
    [
        ("rank,energy,z0,z1\n", "has no surface minimum below the cut"),
        # The fake decoder returns no molecule where z1 exceeds 0.8.
        ("rank,energy,z0,z1\n0,-1.0,0.1,0.9\n1,-0.5,0.3,0.95\n",
         "none of the 2 surface minima"),
    ],
)  # fmt: skip
def test_propose_rejects_no_molecule(minima_text, expected, tmp_path, fake_models, capsys):
    minima = tmp_path / "minima.csv"
    minima.write_text(minima_text)
    proposals = tmp_path / "proposals.csv"
    status = run("propose", "--model", "base", "--minima", minima, "--output", proposals,
                 "--statistics", tmp_path / "statistics.json")  # fmt: skip
    assert status == 2
    message = error_line(capsys)
    assert expected in message
    assert "higher (less negative) cut (filltune.roughness.cut" in message
    assert "filltune.models.<model>.samples" in message
    assert not proposals.exists()


def write_metrics(path, rows):
    path.write_text(
        "model,task,metric,seed,value\n"
        + "".join(f"{model},toy,rmse,{seed},{value}\n" for model, seed, value in rows)
    )


def test_compare_rejects_metrics_file_given_twice(tmp_path, capsys):
    metrics = tmp_path / "metrics.csv"
    write_metrics(metrics, [("base", 0, 1.0), ("base", 1, 1.1), ("tuned", 0, 0.9), ("tuned", 1, 1.0)])
    status = run("compare", metrics, metrics, "--base", "base", "--output", tmp_path / "t.csv")
    assert status == 2
    assert (
        f"{metrics} line 2 repeats model 'base', task 'toy', seed 0, already in "
        f"{metrics} line 2" in error_line(capsys)
    )


def test_compare_rejects_repeated_row(tmp_path, capsys):
    metrics = tmp_path / "metrics.csv"
    write_metrics(metrics, [("base", 0, 1.0), ("tuned", 0, 0.9), ("tuned", 0, 0.8)])
    status = run("compare", metrics, "--base", "base", "--output", tmp_path / "t.csv")
    assert status == 2
    assert f"{metrics} line 4 repeats model 'tuned', task 'toy', seed 0" in error_line(capsys)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("nan", "column 'value': the metric is 'nan'; every metric must be a finite number"),
        ("abc", "column 'value': 'abc' is not a number"),
    ],
)
def test_compare_rejects_bad_metric_value(value, expected, tmp_path, capsys):
    metrics = tmp_path / "metrics.csv"
    write_metrics(metrics, [("base", 0, 1.0), ("tuned", 0, value)])
    status = run("compare", metrics, "--base", "base", "--output", tmp_path / "t.csv")
    assert status == 2
    assert f"{metrics} line 3, {expected}" in error_line(capsys)


def test_compare_writes_relative_change_percent(tmp_path):
    metrics, table = tmp_path / "metrics.csv", tmp_path / "table.csv"
    write_metrics(metrics, [("base", 0, 1.0), ("base", 1, 2.0), ("tuned", 0, 0.5), ("tuned", 1, 1.5)])
    assert run("compare", metrics, "--base", "base", "--output", table) == 0
    rows = read_rows(table)
    assert "relative_change_percent" in rows[0]
    assert "relative_change" not in rows[0]
    # RMSE: lower is better, so the base row's zero change negates to -0.0
    # unless the table writes it as 0.0.
    assert rows[0]["improvement"] == "0.0"
    assert float(rows[1]["relative_change_percent"]) == pytest.approx(-100 * 0.5 / 1.5)


def test_plots_rejects_base_missing_from_comparison(tmp_path, capsys):
    metrics, table = tmp_path / "metrics.csv", tmp_path / "table.csv"
    write_metrics(metrics, [("base", 0, 1.0), ("base", 1, 2.0), ("tuned", 0, 0.5), ("tuned", 1, 1.5)])
    assert run("compare", metrics, "--base", "base", "--output", table) == 0
    capsys.readouterr()
    status = run("plots", "--comparison", table, "--base", "baseline",
                 "--changes-plot", tmp_path / "changes.png")  # fmt: skip
    assert status == 2
    assert (
        f"--base 'baseline' is not a model of {table}; pass one of base, tuned"
        in error_line(capsys)
    )


def test_evaluate_rejects_repeated_model_name(tmp_path, capsys):
    task = toy_task(tmp_path / "task.csv")
    status = run("evaluate", "--model", "base", "--model", "tuned=a", "--model", "tuned=b",
                 "--task", task, "--output", tmp_path / "m.csv")  # fmt: skip
    assert status == 2
    assert "--model name 'tuned' is given more than once" in error_line(capsys)


@pytest.mark.parametrize("max_rows", ["0", "-5", "9"])
def test_evaluate_rejects_small_max_rows(max_rows, tmp_path, capsys, monkeypatch):
    def load_model(name_or_directory, device="cpu"):
        raise AssertionError("a model was loaded before --max-rows was checked")

    monkeypatch.setattr(topograph.models, "load_model", load_model, raising=False)
    status = run("evaluate", "--model", "base", "--task", "freesolv", "--max-rows", max_rows,
                 "--output", tmp_path / "m.csv")  # fmt: skip
    assert status == 2
    assert f"--max-rows {max_rows} is too small; give at least 10" in error_line(capsys)


def test_evaluate_one_member_class(tmp_path, fake_models, capsys):
    labels = [0.0] * 31 + [1.0]
    task = toy_task(tmp_path / "task.csv", labels, "classification")
    status = run("evaluate", "--model", "base", "--task", task, "--output", tmp_path / "m.csv")
    assert status == 2
    message = error_line(capsys)
    assert "task 'toy' cannot be split for model 'base': class 1 has 1 of 32 molecules" in message
    assert "a larger --max-rows" in message


def test_evaluate_warns_about_small_test_split(tmp_path, fake_models, caplog):
    task = toy_task(tmp_path / "task.csv")
    assert run("evaluate", "--model", "base", "--task", task, "--max-rows", 10,
               "--seeds", "0", "--output", tmp_path / "m.csv") == 0  # fmt: skip
    assert "task toy has only 2 test molecules in a split" in caplog.text


@pytest.mark.parametrize("batch_size", ["0", "-1"])
def test_response_rejects_batch_size(batch_size, tmp_path, fake_models, capsys):
    samples = tmp_path / "samples.npz"
    assert run("sample", "--output", samples, "--samples", 5, "--dimension", 2) == 0
    status = run("response", "--model", "base", "--samples", samples,
                 "--batch-size", batch_size, "--output", tmp_path / "response.npy")  # fmt: skip
    assert status == 2
    assert (
        f"--batch-size {batch_size} must be an integer of at least 1, such as 512"
        in error_line(capsys)
    )


def test_sample_rejects_negative_seed(tmp_path, capsys):
    status = run("sample", "--output", tmp_path / "s.npz", "--samples", 5, "--seed", -1)
    assert status == 2
    assert "--seed -1 must be a non-negative integer, such as 0" in error_line(capsys)


def test_response_rejects_empty_pool(tmp_path, fake_models, capsys):
    pool = tmp_path / "pool.csv"
    pool.write_text("")
    status = run("response", "--model", "nodecoder", "--pool", pool,
                 "--output", tmp_path / "response.csv")  # fmt: skip
    assert status == 2
    assert f"the file {pool} is empty; give a header row with a 'smiles' column" in error_line(
        capsys
    )


def test_label_column_hint_skips_smiles(tmp_path, fake_models, capsys):
    path = tmp_path / "task.csv"
    path.write_text("smiles,logS\nCCO,1.0\nCCN,2.0\n")
    task = f"csv:path={path},smiles=smiles,label=label,type=regression"
    status = run("evaluate", "--model", "base", "--task", task, "--output", tmp_path / "m.csv")
    assert status == 2
    message = error_line(capsys)
    assert "the label column 'label' is missing" in message
    assert "did you mean 'logS'?" in message
    assert "did you mean 'smiles'" not in message

"""The ``topograph gp`` commands, run in process."""

from __future__ import annotations

import csv
import json

import numpy as np
import pytest

from topograph.cli.main import main
from topograph.database.store import StationaryPointDatabase


def test_data_command_writes_synthetic_csv(tmp_path):
    output = tmp_path / "prior.csv"
    settings = {"source": "synthetic", "nu": 2.5, "n_points": 12, "dimension": 2}
    assert main(["gp", "data", "prior", "--settings", json.dumps(settings), "--seed", "3", "--output", str(output)]) == 0
    with open(output, newline="") as handle:
        rows = list(csv.reader(handle))
    assert rows[0] == ["x0", "x1", "y"]
    table = np.array(rows[1:], dtype=float)
    assert table.shape == (12, 3)
    assert np.all((table[:, :2] >= 0) & (table[:, :2] <= 1))


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["gp", "data", "x", "--settings", '{"source": "openml"}', "--output", "x.csv"], "source"),
        (["gp", "data", "x", "--settings", '{"source": "statsmodels", "name": "tides"}', "--output", "x.csv"], "tides"),
    ],
)
def test_invalid_data_settings_exit_2(tmp_path, capsys, monkeypatch, arguments, message):
    monkeypatch.chdir(tmp_path)
    assert main(arguments) == 2
    assert message in capsys.readouterr().err


@pytest.mark.parametrize(
    ("name", "settings", "expected"),
    [
        ("mauna", {"source": "statsmodels"},
         "GP data set 'mauna' (source statsmodels) has no name key, so it reads the real data set 'mauna', "
         "which does not exist; set name to one of diabetes, co2, sunspots, nile, engel, elnino"),
        ("river", {"source": "statsmodels", "name": "nil"}, "did you mean 'nile'?"),
        ("prior", {"source": "synthetic", "n_points": 10},
         "GP data set 'prior' (source synthetic) has no nu; give the smoothness of its Matern prior"),
    ],
)  # fmt: skip
def test_data_command_names_bad_entry(tmp_path, capsys, name, settings, expected):
    output = tmp_path / "x.csv"
    assert main(["gp", "data", name, "--settings", json.dumps(settings), "--output", str(output)]) == 2
    assert expected in capsys.readouterr().err
    assert not output.exists()


def test_unknown_setting_key_exits_2(tmp_path, capsys):
    data = tmp_path / "data.csv"
    np.savetxt(data, np.column_stack([np.linspace(0, 1, 10), np.sin(np.linspace(0, 3, 10))]), delimiter=",")
    code = main(["gp", "performance", str(data), "--name", "d", "--settings", '{"split": 2}', "--output", str(tmp_path / "p.csv")])
    assert code == 2
    assert "unknown settings ['split']" in capsys.readouterr().err


def test_plot_landscape_rejects_other_potentials(tmp_path, capsys):
    database = StationaryPointDatabase(2, metadata={"landscape": {"potential": {"potential": "muller_brown"}}})
    database.add_minimum(-1.0, np.zeros(2))
    path = tmp_path / "database.npz"
    database.save(path)
    assert main(["gp", "plot-landscape", str(path), "--output", str(tmp_path / "graph.png")]) == 2
    assert "not a gp_likelihood landscape" in capsys.readouterr().err

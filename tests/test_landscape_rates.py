"""The rates command on small databases with closed-form rates."""

from __future__ import annotations

import csv
import math

import numpy as np
import pytest

from conftest import run_topograph
from topograph.analysis.pathsample import read_pathsample, write_pathsample
from topograph.database.store import StationaryPointDatabase
from topograph.kinetics.table import rates_table


def two_minimum_database(log_products=(2.0, 1.0), ts_log_product=0.5):
    database = StationaryPointDatabase(1)
    database.add_minimum(-1.0, [-1.0], log_product=log_products[0])
    database.add_minimum(-0.5, [1.0], log_product=log_products[1])
    database.add_transition_state(0.0, [0.0], 0, 1, log_product=ts_log_product, negative_eigenvalue=-2.0)
    return database


def read_rows(path):
    with open(path) as handle:
        return list(csv.DictReader(handle))


def htst_rate(energy_from, log_product_from, energy_ts, log_product_ts, temperature):
    """k = (1/2π) exp((L_min − L_ts)/2) exp(−(E_ts − E_min)/T), with L = Σ ln λ."""
    prefactor = math.exp(0.5 * (log_product_from - log_product_ts)) / (2 * math.pi)
    return prefactor * math.exp(-(energy_ts - energy_from) / temperature)


def test_two_state_rates_match_closed_form(tmp_path):
    two_minimum_database().save(tmp_path / "db.npz")
    run_topograph("landscape", "rates", tmp_path / "db.npz", "--temperatures", "0.25,1.0",
                  "--output", tmp_path / "rates.csv")  # fmt: skip
    rows = read_rows(tmp_path / "rates.csv")

    assert len(rows) == 2
    for row in rows:
        temperature = float(row["temperature"])
        assert row["a"] == "0"
        assert row["b"] == "1"
        # A <- B: k_AB is the rate out of minimum 1 into minimum 0.
        assert float(row["k_AB"]) == pytest.approx(htst_rate(-0.5, 1.0, 0.0, 0.5, temperature), rel=1e-10)
        assert float(row["k_BA"]) == pytest.approx(htst_rate(-1.0, 2.0, 0.0, 0.5, temperature), rel=1e-10)
        assert float(row["mfpt_AB"]) == pytest.approx(1 / float(row["k_AB"]), rel=1e-10)


def test_missing_log_products_need_equal_prefactors(tmp_path):
    two_minimum_database(log_products=(math.nan, math.nan), ts_log_product=math.nan).save(tmp_path / "db.npz")
    failed = run_topograph("landscape", "rates", tmp_path / "db.npz", "--output", tmp_path / "r.csv", check=False)
    assert failed.returncode == 2
    assert "--equal-prefactors" in failed.stderr

    run_topograph("landscape", "rates", tmp_path / "db.npz", "--temperatures", "0.5", "--equal-prefactors",
                  "--output", tmp_path / "r.csv")  # fmt: skip
    row = read_rows(tmp_path / "r.csv")[0]
    assert float(row["k_AB"]) == pytest.approx(math.exp(-0.5 / 0.5) / (2 * math.pi), rel=1e-10)


def test_disconnected_minima_give_clear_error(tmp_path):
    database = StationaryPointDatabase(1)
    database.add_minimum(-1.0, [-1.0], log_product=1.0)
    database.add_minimum(-0.5, [1.0], log_product=1.0)
    database.save(tmp_path / "db.npz")
    failed = run_topograph("landscape", "rates", tmp_path / "db.npz", "--a", "0", "--b", "1",
                           "--output", tmp_path / "r.csv", check=False)  # fmt: skip
    assert failed.returncode == 2
    assert "not connected" in failed.stderr
    assert not (tmp_path / "r.csv").exists()


def test_pathsample_export_keeps_rates(tmp_path):
    rng = np.random.default_rng(4)
    database = StationaryPointDatabase(2)
    for index in range(6):
        database.add_minimum(-rng.uniform(1, 3), rng.normal(size=2) + 10 * index, log_product=rng.uniform(0, 4))
    for index in range(5):
        database.add_transition_state(
            rng.uniform(0, 1), rng.normal(size=2) + 10 * index + 5, index, index + 1,
            log_product=rng.uniform(0, 4), negative_eigenvalue=-1.0,
        )  # fmt: skip
    write_pathsample(database, tmp_path / "pathsample")
    exported = read_pathsample(tmp_path / "pathsample", dimension=2)

    original = rates_table(database, [0], [5], [0.3, 1.0])
    reread = rates_table(exported, [0], [5], [0.3, 1.0])
    for before, after in zip(original, reread):
        assert after["log10_k_AB"] == pytest.approx(before["log10_k_AB"], abs=1e-9)
        assert after["log10_k_BA"] == pytest.approx(before["log10_k_BA"], abs=1e-9)
        assert after["log10_mfpt_AB"] == pytest.approx(before["log10_mfpt_AB"], abs=1e-9)


def test_isolated_minima_give_header_only_table(tmp_path):
    database = StationaryPointDatabase(1)
    database.add_minimum(-1.0, [-1.0], log_product=1.0)
    database.add_minimum(-0.5, [1.0], log_product=1.0)
    database.save(tmp_path / "db.npz")
    run_topograph("landscape", "rates", tmp_path / "db.npz", "--output", tmp_path / "r.csv")
    lines = (tmp_path / "r.csv").read_text().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("temperature,a,b,k_AB,k_BA,k_AB_ss,k_BA_ss,mfpt_AB,mfpt_BA,")
    assert lines[0].endswith(",similarity")


def test_group_threshold_rejects_explicit_sets(tmp_path):
    two_minimum_database().save(tmp_path / "db.npz")
    failed = run_topograph("landscape", "rates", tmp_path / "db.npz", "--a", "0", "--group-threshold", "0.1",
                           "--output", tmp_path / "r.csv", check=False)  # fmt: skip
    assert failed.returncode == 2
    assert "cannot be combined with --group-threshold" in failed.stderr

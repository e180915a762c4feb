"""Tests of the rates tables and the database wrappers."""

import csv
import math

import numpy as np
import pytest

from topograph.database import StationaryPointDatabase
from topograph.kinetics.committor import committor_probabilities, database_committors
from topograph.kinetics.ngt import database_ngt_rates, ngt_rates
from topograph.kinetics.random_network import random_landscape
from topograph.kinetics.rates import build_rate_network, database_rate_network
from topograph.kinetics.regroup import database_regroup, free_energy_barriers, regroup
from topograph.kinetics.table import group_rates_table, rates_table, write_rates_table


def landscape_database(n_minima, seed, log_products=True):
    rng = np.random.default_rng(seed)
    landscape = random_landscape(n_minima, rng, energy_scale=2.0)
    n_states = landscape["ts_energies"].size
    database = StationaryPointDatabase.from_arrays(
        2,
        minimum_energies=landscape["minimum_energies"],
        minimum_coordinates=rng.random((n_minima, 2)),
        minimum_log_products=(
            landscape["minimum_log_products"] if log_products else None
        ),
        transition_state_energies=landscape["ts_energies"],
        transition_state_coordinates=rng.random((n_states, 2)),
        minimum1=landscape["ts_minimum1"],
        minimum2=landscape["ts_minimum2"],
        transition_state_log_products=(
            landscape["ts_log_products"] if log_products else None
        ),
    )
    return database, landscape


def test_database_network_matches_arrays():
    database, landscape = landscape_database(50, 0)

    from_database = database_rate_network(database, 0.4)
    from_arrays = build_rate_network(**landscape, temperature=0.4)

    np.testing.assert_array_equal(from_database.sources, from_arrays.sources)
    np.testing.assert_array_equal(from_database.targets, from_arrays.targets)
    np.testing.assert_array_equal(from_database.log_rates, from_arrays.log_rates)
    np.testing.assert_array_equal(
        from_database.log_occupations, from_arrays.log_occupations
    )


def test_database_wrappers_match_array_functions():
    database, landscape = landscape_database(60, 1)
    network = build_rate_network(**landscape, temperature=0.3)

    assert database_ngt_rates(database, [0], [1, 2], 0.3).log_rate_ab == pytest.approx(
        ngt_rates(network, [0], [1, 2]).log_rate_ab, abs=1e-14
    )
    np.testing.assert_array_equal(
        database_committors(database, [0], [1, 2], 0.3).log_committor_a,
        committor_probabilities(network, [0], [1, 2]).log_committor_a,
    )
    np.testing.assert_array_equal(
        database_regroup(database, 0.3, 0.2).labels, regroup(network, 0.2).labels
    )


def test_rates_table_rows_and_csv(tmp_path):
    database, landscape = landscape_database(120, 2)
    a, b = [0, 3], [7]
    temperatures = [0.2, 0.5]

    rows = rates_table(database, a, b, temperatures)

    assert [row["temperature"] for row in rows] == temperatures
    for row, temperature in zip(rows, temperatures):
        result = ngt_rates(
            build_rate_network(**landscape, temperature=temperature), a, b
        )
        assert row["a"] == "0;3"
        assert row["b"] == "7"
        assert row["k_AB"] == pytest.approx(result.rate_ab, rel=1e-14)
        assert row["k_BA_ss"] == pytest.approx(result.rate_ba_ss, rel=1e-14)
        assert row["mfpt_AB"] == pytest.approx(result.mfpt_ab, rel=1e-14)
        assert row["log10_k_BA"] == pytest.approx(
            result.log_rate_ba / math.log(10), rel=1e-14
        )
        assert 0.0 < row["similarity"] <= 1.0

    path = tmp_path / "tables" / "rates.csv"
    write_rates_table(rows, path)
    with open(path, newline="") as handle:
        read = list(csv.DictReader(handle))
    assert len(read) == 2
    assert list(read[0]) == list(rows[0])
    for written, original in zip(read, rows):
        assert float(written["k_AB"]) == original["k_AB"]
        assert float(written["log10_mfpt_BA"]) == original["log10_mfpt_BA"]


def test_rates_table_underflow_keeps_logarithms():
    database, landscape = landscape_database(30, 3)
    row = rates_table(database, [0], [1], [0.001])[0]
    # The rate is far below the smallest float64, about 1e-324.
    assert row["k_AB"] == 0.0
    assert row["mfpt_AB"] == math.inf
    assert -2000.0 < row["log10_k_AB"] < -330.0
    assert row["log10_mfpt_AB"] == pytest.approx(-row["log10_k_AB"], rel=1e-12)


def test_rates_table_without_hessians_names_option():
    database, _ = landscape_database(20, 4, log_products=False)
    with pytest.raises(ValueError, match="equal_prefactors=True"):
        rates_table(database, [0], [1], [0.5])

    row = rates_table(database, [0], [1], [0.5], equal_prefactors=True)[0]
    assert row["k_AB"] > 0.0


def test_group_rates_table_covers_adjacent_groups():
    database, landscape = landscape_database(150, 5)
    temperature, threshold = 0.3, 0.25
    network = build_rate_network(**landscape, temperature=temperature)
    grouping = regroup(network, threshold)
    groups = grouping.network

    rows = group_rates_table(database, threshold, [temperature])

    pairs = {(min(i, j), max(i, j)) for i, j in zip(groups.sources, groups.targets)}
    assert [(row["group_a"], row["group_b"]) for row in rows] == sorted(pairs)
    barriers = dict(
        zip(
            zip(groups.sources.tolist(), groups.targets.tolist()),
            free_energy_barriers(groups),
        )
    )
    row = rows[0]
    members_a = grouping.members(row["group_a"])
    members_b = grouping.members(row["group_b"])
    assert row["size_a"] == members_a.size
    assert row["barrier_AB"] == pytest.approx(
        barriers[(row["group_b"], row["group_a"])]
    )
    assert row["k_AB"] == pytest.approx(
        ngt_rates(network, members_a, members_b).rate_ab, rel=1e-14
    )


def test_disconnected_database_raises():
    database = StationaryPointDatabase.from_arrays(
        1,
        minimum_energies=[0.0, 1.0],
        minimum_coordinates=[[0.0], [1.0]],
        minimum_log_products=[1.0, 1.0],
    )
    with pytest.raises(ValueError, match="A and B are not connected"):
        rates_table(database, [0], [1], [0.5])

"""Tests of the frustration metric against hand-computed values."""

import math

import numpy as np
import pytest

from topograph.analysis import frustration
from topograph.database import StationaryPointDatabase


def two_minima_one_saddle():
    # Minimum 0 at x=0 (E=0), minimum 1 at x=2 (E=1), saddle at x=0.5 (E=3).
    database = StationaryPointDatabase(1)
    database.add_minimum(0.0, [0.0])
    database.add_minimum(1.0, [2.0])
    database.add_transition_state(3.0, [0.5], 0, 1)
    return database


def test_two_minima_by_hand():
    value, table = frustration(two_minima_one_saddle(), length_scale=1.0)

    # Minimum 0: b = 3, |x - s|^2 = 0.25, p = exp(-0.125), c = 3 exp(-0.125).
    # Minimum 1: b = 2, |x - s|^2 = 2.25, p = exp(-1.125), c = 2 exp(-1.125).
    assert value == pytest.approx(1.648397821235243, rel=1e-14)
    assert table["minimum"].tolist() == [0, 1]
    assert table["transition_state"].tolist() == [0, 0]
    np.testing.assert_allclose(table["barrier"], [3.0, 2.0], rtol=1e-15)
    np.testing.assert_allclose(
        table["weight"], [0.8824969025845955, 0.32465246735834974], rtol=1e-14
    )
    np.testing.assert_allclose(
        table["contribution"], [2.6474907077537866, 0.6493049347166995], rtol=1e-14
    )


def test_unconnected_minimum_counts_in_mean():
    database = two_minima_one_saddle()
    database.add_minimum(-4.0, [9.0])
    value, table = frustration(database, length_scale=1.0)
    assert value == pytest.approx(1.0989318808234954, rel=1e-14)
    assert len(table) == 2


def test_length_scale_enters_weight():
    value, table = frustration(two_minima_one_saddle(), length_scale=0.5)
    # 2 l^2 = 0.5: p0 = exp(-0.5), p1 = exp(-4.5).
    expected = (3.0 * math.exp(-0.5) + 2.0 * math.exp(-4.5)) / 2.0
    assert value == pytest.approx(expected, rel=1e-14)


def test_saddle_below_minimum_has_zero_barrier():
    database = StationaryPointDatabase(2)
    database.add_minimum(5.0, [0.0, 0.0])
    database.add_minimum(0.0, [1.0, 0.0])
    database.add_transition_state(2.0, [0.0, 1.0], 0, 1)
    value, table = frustration(database, length_scale=2.0)

    rows = {int(row["minimum"]): row for row in table}
    assert rows[0]["barrier"] == 0.0
    assert rows[0]["contribution"] == 0.0
    # Minimum 1: b = 2, |x - s|^2 = 2, p = exp(-2 / 8).
    assert rows[1]["contribution"] == pytest.approx(2.0 * math.exp(-0.25), rel=1e-14)
    assert value == pytest.approx(math.exp(-0.25), rel=1e-14)


def test_table_sorted_by_contribution():
    rng = np.random.default_rng(6)
    database = StationaryPointDatabase(3)
    for _ in range(12):
        database.add_minimum(rng.normal(), rng.normal(size=3))
    for _ in range(20):
        i, j = rng.choice(12, size=2, replace=False)
        database.add_transition_state(rng.normal() + 2, rng.normal(size=3), i, j)
    value, table = frustration(database, length_scale=1.3)

    assert len(table) == 40
    assert np.all(np.diff(table["contribution"]) <= 0)

    # Every (minimum, transition state) row recomputed directly.
    states = database.transition_states
    total = 0.0
    for row in table:
        i, s = int(row["minimum"]), int(row["transition_state"])
        assert i in (states.minimum1[s], states.minimum2[s])
        barrier = max(0.0, states.energies[s] - database.minima.energies[i])
        offset = database.minima.coordinates[i] - states.coordinates[s]
        distance2 = np.sum(offset**2)
        contribution = barrier * math.exp(-distance2 / (2 * 1.3**2))
        assert row["contribution"] == pytest.approx(contribution, rel=1e-12)
        total += contribution
    assert value == pytest.approx(total / 12, rel=1e-12)


def test_self_connection_counted_once():
    database = StationaryPointDatabase(1)
    database.add_minimum(0.0, [0.0])
    database.add_transition_state(1.0, [1.0], 0, 0)
    value, table = frustration(database, length_scale=1.0)
    assert len(table) == 1
    assert value == pytest.approx(math.exp(-0.5), rel=1e-14)


def test_no_transition_states_gives_zero():
    database = StationaryPointDatabase(1)
    database.add_minimum(0.0, [0.0])
    value, table = frustration(database, length_scale=1.0)
    assert value == 0.0
    assert len(table) == 0
    assert table.dtype.names == (
        "minimum",
        "transition_state",
        "barrier",
        "weight",
        "contribution",
    )


def test_invalid_inputs_rejected():
    with pytest.raises(ValueError, match="no minima"):
        frustration(StationaryPointDatabase(1), length_scale=1.0)
    for length_scale in (0.0, -1.0, math.nan):
        with pytest.raises(ValueError, match="length_scale"):
            frustration(two_minima_one_saddle(), length_scale=length_scale)

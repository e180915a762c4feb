"""Tests of the kinetic similarity."""

import math

import numpy as np
import pytest

from topograph.kinetics.random_network import random_landscape
from topograph.kinetics.rates import build_rate_network
from topograph.kinetics.regroup import regroup
from topograph.kinetics.similarity import (
    adjacent_similarities,
    kinetic_similarity,
    set_similarity,
)


def two_minima(ts_energy, ts_log_product=0.5, temperature=0.2):
    return build_rate_network(
        [0.0, 0.4], [1.0, 2.0], [ts_energy], [ts_log_product], [0], [1], temperature
    )


def test_two_minima_similarity_closed_form():
    temperature = 0.2
    network = two_minima(1.0, temperature=temperature)

    # ln s = −ln T + ((L_0 + L_1)/2 − L_s)/2 − (E_s − (E_0 + E_1)/2)/T.
    expected = math.exp(
        -math.log(temperature) + (1.5 - 0.5) / 2 - (1.0 - 0.2) / temperature
    )
    assert set_similarity(network, [0], [1]) == pytest.approx(expected, rel=1e-12)
    assert kinetic_similarity(
        network.log_rates[0], network.log_rates[1], temperature
    ) == pytest.approx(expected, rel=1e-12)


def test_similarity_is_symmetric_and_one_for_same_state():
    rng = np.random.default_rng(1)
    network = build_rate_network(**random_landscape(80, rng), temperature=0.3)

    forward = set_similarity(network, [0, 1], [5])
    backward = set_similarity(network, [5], [1, 0])

    assert forward == pytest.approx(backward, rel=1e-12)
    assert 0.0 < forward <= 1.0
    assert set_similarity(network, [3, 4], [4, 3]) == 1.0


def test_similarity_decreases_with_barrier():
    values = [
        set_similarity(two_minima(energy), [0], [1]) for energy in (0.5, 0.8, 1.2, 3.0)
    ]
    assert all(later < earlier for earlier, later in zip(values, values[1:]))
    assert values[-1] > 0.0


def test_similarity_clamped_at_one():
    # A very loose transition state (small log product) gives a negative
    # mean free-energy barrier.
    network = two_minima(0.45, ts_log_product=-20.0)
    assert set_similarity(network, [0], [1]) == 1.0


def test_similarity_of_disconnected_states_raises():
    network = build_rate_network(
        [0.0, 0.1, 0.2], [1.0] * 3, [1.0], [0.0], [0], [1], 0.5
    )
    with pytest.raises(ValueError, match="not connected"):
        set_similarity(network, [0], [2])


def test_adjacent_similarities_matrix():
    rng = np.random.default_rng(2)
    network = build_rate_network(**random_landscape(200, rng), temperature=0.3)

    matrix = adjacent_similarities(network).toarray()

    np.testing.assert_allclose(matrix, matrix.T, rtol=1e-12)
    np.testing.assert_array_equal(np.diag(matrix), 1.0)
    assert np.all((matrix >= 0.0) & (matrix <= 1.0))
    source, target = network.sources[0], network.targets[0]
    every_path = set_similarity(network, [source], [target])
    # The direct similarity never exceeds the one that counts every path.
    assert 0.0 < matrix[source, target] <= every_path * (1 + 1e-12)


def test_similarity_between_groups():
    rng = np.random.default_rng(4)
    network = build_rate_network(
        **random_landscape(300, rng, energy_scale=2.0), temperature=0.3
    )
    grouping = regroup(network, threshold=0.3)
    groups = grouping.network
    first, second = groups.sources[0], groups.targets[0]

    on_groups = set_similarity(groups, [first], [second])
    direct = kinetic_similarity(
        groups.log_rates[0],
        groups.log_rates[(groups.sources == second) & (groups.targets == first)][0],
        groups.temperature,
    )

    assert 0.0 < direct <= on_groups <= 1.0


def test_invalid_temperature_raises():
    with pytest.raises(ValueError, match="temperature"):
        kinetic_similarity(-1.0, -2.0, 0.0)

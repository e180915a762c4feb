"""Tests of regrouping minima into kinetic groups."""

import math

import numpy as np
import pytest
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from topograph.kinetics.random_network import random_landscape
from topograph.kinetics.rates import build_rate_network
from topograph.kinetics.regroup import (
    free_energy_barriers,
    group_network,
    regroup,
    regroup_by_energy,
)

# Two pairs of minima, each pair joined by a low barrier, the pairs joined
# by a high one: 0 –(0.5)– 1 –(3.0)– 2 –(2.2)– 3.
ENERGIES = np.array([0.0, 0.3, 2.0, 2.1])
TS_ENERGIES = np.array([0.5, 3.0, 2.2])
TS_MINIMUM1 = np.array([0, 1, 2])
TS_MINIMUM2 = np.array([1, 2, 3])


def four_minima(temperature):
    return build_rate_network(
        ENERGIES,
        np.zeros(4),
        TS_ENERGIES,
        np.zeros(3),
        TS_MINIMUM1,
        TS_MINIMUM2,
        temperature,
    )


def test_free_energy_barrier_of_equal_frequencies():
    temperature = 0.1
    network = four_minima(temperature)
    barriers = dict(
        zip(
            zip(network.sources.tolist(), network.targets.tolist()),
            free_energy_barriers(network),
        )
    )
    # With unit frequencies 2πk/T = exp(−ΔE/T) / T, so ΔF = ΔE + T ln T.
    shift = temperature * math.log(temperature)
    assert barriers[(1, 0)] == pytest.approx(0.2 + shift, abs=1e-12)
    assert barriers[(0, 1)] == pytest.approx(0.5 + shift, abs=1e-12)
    assert barriers[(2, 1)] == pytest.approx(1.0 + shift, abs=1e-12)


def test_regroup_joins_low_barrier_pairs():
    temperature = 0.1
    network = four_minima(temperature)

    grouping = regroup(network, threshold=0.3)

    assert grouping.labels.tolist() == [0, 0, 1, 1]
    assert grouping.n_groups == 2
    assert grouping.rounds == 1

    # Group rate from the high pair to the low one: only 2 → 1 crosses, and
    # minimum 2 has the fraction p_2 / (p_2 + p_3) of its group.
    k_21 = math.exp(-(3.0 - 2.0) / temperature) / (2.0 * math.pi)
    weight_2 = 1.0 / (1.0 + math.exp(-(2.1 - 2.0) / temperature))
    groups = grouping.network
    match = (groups.sources == 1) & (groups.targets == 0)
    assert math.exp(groups.log_rates[match][0]) == pytest.approx(
        weight_2 * k_21, rel=1e-12
    )

    occupations = np.exp(network.log_occupations)
    np.testing.assert_allclose(
        np.exp(groups.log_occupations),
        [occupations[:2].sum(), occupations[2:].sum()],
        rtol=1e-12,
    )
    np.testing.assert_allclose(
        grouping.free_energies, -temperature * groups.log_occupations, rtol=1e-14
    )


def test_regroup_uses_barrier_from_higher_minimum():
    # A shallow minimum 2.0 above a deep one, 0.1 below their transition
    # state: the barrier from the deep side is 2.1, but they are joined.
    network = build_rate_network([0.0, 2.0], [0.0, 0.0], [2.1], [0.0], [0], [1], 0.2)
    assert regroup(network, threshold=0.2).n_groups == 1
    assert regroup(network, threshold=-0.5).n_groups == 2


def test_regroup_thresholds_bracket_grouping():
    network = four_minima(0.1)
    assert regroup(network, threshold=-1.0).labels.tolist() == [0, 1, 2, 3]
    assert regroup(network, threshold=5.0).labels.tolist() == [0, 0, 0, 0]


def test_regroup_invariants_on_random_network():
    rng = np.random.default_rng(9)
    landscape = random_landscape(1500, rng, energy_scale=2.0)
    network = build_rate_network(**landscape, temperature=0.3)
    threshold = 0.4

    grouping = regroup(network, threshold)
    groups = grouping.network

    assert 1 < grouping.n_groups < network.n_minima
    # Converged: no pair of groups is below the threshold in either direction.
    assert np.all(free_energy_barriers(groups) >= threshold)
    # Detailed balance of the group rates.
    flux = groups.log_occupations[groups.sources] + groups.log_rates
    keys = groups.sources * groups.n_minima + groups.targets
    reverse_keys = groups.targets * groups.n_minima + groups.sources
    order = np.argsort(keys)
    reverse = order[np.searchsorted(keys[order], reverse_keys)]
    np.testing.assert_allclose(flux, flux[reverse], atol=1e-10)
    # Groups are numbered by decreasing occupation.
    assert np.all(np.diff(groups.log_occupations) <= 0)
    assert np.logaddexp.reduce(groups.log_occupations) == pytest.approx(0.0, abs=1e-12)
    # Each group is joined internally by transition states.
    inside = grouping.labels[network.sources] == grouping.labels[network.targets]
    graph = coo_matrix(
        (np.ones(inside.sum()), (network.sources[inside], network.targets[inside])),
        shape=(network.n_minima,) * 2,
    )
    count, _ = connected_components(graph, directed=False)
    assert count == grouping.n_groups


def test_group_network_matches_weighted_sum():
    rng = np.random.default_rng(10)
    network = build_rate_network(**random_landscape(40, rng), temperature=0.5)
    labels = rng.integers(0, 5, 40)
    labels[:5] = np.arange(5)

    groups = group_network(network, labels)

    rates = np.zeros((40, 40))
    rates[network.sources, network.targets] = np.exp(network.log_rates)
    occupations = np.exp(network.log_occupations)
    for source, target, log_rate in zip(
        groups.sources, groups.targets, groups.log_rates
    ):
        members_i = labels == source
        members_j = labels == target
        flux = occupations[members_i] @ rates[np.ix_(members_i, members_j)].sum(axis=1)
        assert math.exp(log_rate) == pytest.approx(
            flux / occupations[members_i].sum(), rel=1e-12
        )


def test_regroup_by_energy():
    arguments = (ENERGIES, TS_ENERGIES, TS_MINIMUM1, TS_MINIMUM2)
    assert regroup_by_energy(*arguments, threshold=0.3).tolist() == [0, 0, 1, 1]
    assert regroup_by_energy(*arguments, threshold=0.15).tolist() == [0, 1, 2, 2]
    assert regroup_by_energy(*arguments, threshold=0.05).tolist() == [0, 1, 2, 3]
    assert regroup_by_energy(*arguments, threshold=1.5).tolist() == [0, 0, 0, 0]


def test_regroup_rejects_infinite_threshold():
    with pytest.raises(ValueError, match="threshold"):
        regroup(four_minima(0.1), threshold=math.inf)


def test_regroup_max_rounds_warns(caplog):
    network = four_minima(0.1)
    with caplog.at_level("WARNING"):
        grouping = regroup(network, threshold=5.0, max_rounds=0)
    assert grouping.n_groups == 4
    assert "max_rounds=0" in caplog.text


def test_regroup_second_round_joins_parallel_paths():
    # Minimum 2 has one transition state to each of 0 and 1, each 1.0 above
    # it. Alone each barrier is 1.0 + T ln T = 0.770, above θ = 0.75, but once
    # 0 and 1 form one group the two paths act in parallel and the barrier
    # from 2 drops by T ln 2 to 0.701.
    temperature = 0.1
    network = build_rate_network(
        [0.0, 0.0, 0.0],
        np.zeros(3),
        [0.1, 1.0, 1.0],
        np.zeros(3),
        [0, 0, 1],
        [1, 2, 2],
        temperature,
    )
    single = 1.0 + temperature * math.log(temperature)
    assert single > 0.75
    assert single - temperature * math.log(2.0) < 0.75

    grouping = regroup(network, threshold=0.75)

    assert grouping.rounds == 2
    assert grouping.labels.tolist() == [0, 0, 0]

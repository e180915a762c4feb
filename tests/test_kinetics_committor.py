"""Tests of committor probabilities against linear solves and closed forms."""

import math

import numpy as np
import pytest

from topograph.kinetics.committor import committor_probabilities
from topograph.kinetics.master_equation import solve_first_passage
from topograph.kinetics.ngt import ngt_rates
from topograph.kinetics.random_network import random_landscape
from topograph.kinetics.rates import RateNetwork, build_rate_network


def backward_equation_committors(network, a, b):
    """Solve Σ_j k_ij (q_j − q_i) = 0 off A ∪ B with q = 1 on A, 0 on B."""
    fixed = np.concatenate([a, b])
    values = np.r_[np.ones(len(a)), np.zeros(len(b))]
    return solve_first_passage(network, fixed, values, 0.0)


@pytest.mark.parametrize("n_minima, seed", [(5, 0), (40, 1), (800, 2), (2000, 6)])
def test_committors_match_linear_solve(n_minima, seed):
    rng = np.random.default_rng(seed)
    network = build_rate_network(**random_landscape(n_minima, rng), temperature=0.4)
    chosen = rng.choice(n_minima, size=4, replace=False)
    a, b = chosen[:2], chosen[2:]

    result = committor_probabilities(network, a, b)
    expected = backward_equation_committors(network, a, b)

    np.testing.assert_allclose(result.committor_a, expected, rtol=1e-8, atol=1e-14)
    np.testing.assert_allclose(
        result.committor_b, 1.0 - expected, rtol=1e-8, atol=1e-14
    )
    assert np.all(result.committor_a[a] == 1.0)
    assert np.all(result.committor_a[b] == 0.0)


def test_ill_conditioned_committors_match_refined_solve():
    # This network has a cluster of minima behind a high barrier, so the
    # backward-equation matrix has a condition number near 1e9.
    rng = np.random.default_rng(3)
    network = build_rate_network(**random_landscape(3000, rng), temperature=0.4)
    chosen = rng.choice(3000, size=4, replace=False)
    a, b = chosen[:2], chosen[2:]

    result = committor_probabilities(network, a, b)
    expected = backward_equation_committors(network, a, b)

    np.testing.assert_allclose(result.committor_a, expected, rtol=1e-11, atol=1e-15)


def test_committors_agree_with_ngt_records():
    rng = np.random.default_rng(4)
    network = build_rate_network(**random_landscape(200, rng), temperature=0.3)
    a, b = [3, 9], [50]

    committors = committor_probabilities(network, a, b)
    rates = ngt_rates(network, a, b)

    np.testing.assert_allclose(
        committors.log_committor_a, rates.log_committor_a, rtol=1e-12, atol=1e-14
    )


def test_committors_sum_to_one_at_low_temperature():
    rng = np.random.default_rng(5)
    network = build_rate_network(
        **random_landscape(300, rng, energy_scale=2.0), temperature=0.003
    )
    a, b = [0], [1]

    result = committor_probabilities(network, a, b)

    # q^A + q^B = 1 is kept in log space even where one of them is e^-1000.
    total = np.logaddexp(result.log_committor_a, result.log_committor_b)
    np.testing.assert_allclose(total, 0.0, atol=1e-10)
    assert np.min(result.log_committor_a) < -300 * math.log(10)


def test_linear_chain_committor_closed_form():
    # Symmetric random walk on a chain 0 – 1 – … – 6, A = {0}, B = {6}:
    # the probability of reaching 0 first from i is 1 − i/6.
    n = 7
    sources = np.r_[np.arange(n - 1), np.arange(1, n)]
    targets = np.r_[np.arange(1, n), np.arange(n - 1)]
    network = RateNetwork(
        n_minima=n,
        sources=sources,
        targets=targets,
        log_rates=np.zeros(sources.size),
        log_occupations=np.full(n, -math.log(n)),
        temperature=1.0,
    )

    result = committor_probabilities(network, [0], [n - 1])

    np.testing.assert_allclose(
        result.committor_a, 1.0 - np.arange(n) / (n - 1), rtol=1e-14
    )


def test_disconnected_committor_raises():
    network = build_rate_network(
        [0.0, 0.1, 0.2], [1.0] * 3, [1.0], [0.0], [0], [1], 0.5
    )
    with pytest.raises(ValueError, match="not connected"):
        committor_probabilities(network, [0], [2])

"""Tests of NGT rates and mean first-passage times against independent solutions."""

import math

import numpy as np
import pytest
from topograph.kinetics.master_equation import (
    solve_first_passage,
    solve_master_equation,
)
from topograph.kinetics.ngt import ngt_rates
from topograph.kinetics.random_network import random_landscape
from topograph.kinetics.rates import RateNetwork, build_rate_network

RELATIVE = 1e-8


def random_network(n_minima, seed, temperature=0.5, **landscape_options):
    rng = np.random.default_rng(seed)
    landscape = random_landscape(n_minima, rng, **landscape_options)
    return build_rate_network(**landscape, temperature=temperature), rng


def random_sets(rng, n_minima, size_a, size_b):
    chosen = rng.choice(n_minima, size=size_a + size_b, replace=False)
    return chosen[:size_a], chosen[size_a:]


def assert_matches_master_equation(result, reference, a, b):
    for name in (
        "rate_ab",
        "rate_ba",
        "rate_ab_ss",
        "rate_ba_ss",
        "mfpt_ab",
        "mfpt_ba",
    ):
        assert getattr(result, name) == pytest.approx(
            reference[name], rel=RELATIVE
        ), name

    others_a = np.setdiff1d(np.arange(reference["mfpt_to_a"].size), a)
    np.testing.assert_allclose(
        np.exp(result.log_mfpt_to_a[others_a]),
        reference["mfpt_to_a"][others_a],
        rtol=RELATIVE,
    )
    assert np.all(np.isneginf(result.log_mfpt_to_a[a]))
    others_b = np.setdiff1d(np.arange(reference["mfpt_to_b"].size), b)
    np.testing.assert_allclose(
        np.exp(result.log_mfpt_to_b[others_b]),
        reference["mfpt_to_b"][others_b],
        rtol=RELATIVE,
    )
    np.testing.assert_allclose(
        np.exp(result.log_committor_a),
        reference["committor_a"],
        rtol=RELATIVE,
        atol=1e-14,
    )


@pytest.mark.parametrize(
    "n_minima, size_a, size_b, seed",
    [(5, 1, 1, 0), (12, 2, 3, 1), (60, 1, 4, 2), (400, 5, 5, 3), (2500, 3, 20, 4)],
)
def test_ngt_matches_master_equation(n_minima, size_a, size_b, seed):
    network, rng = random_network(n_minima, seed, energy_scale=2.0)
    a, b = random_sets(rng, n_minima, size_a, size_b)

    result = ngt_rates(network, a, b)

    assert_matches_master_equation(result, solve_master_equation(network, a, b), a, b)


@pytest.mark.parametrize(
    "options", [{"dense_degree": 0}, {"dense_limit": 0}, {"dense_degree": 6}]
)
def test_dense_tail_matches_master_equation(options):
    network, rng = random_network(300, 7, neighbours=6)
    a, b = random_sets(rng, 300, 3, 2)

    result = ngt_rates(network, a, b, **options)

    assert_matches_master_equation(result, solve_master_equation(network, a, b), a, b)


def test_large_network_matches_sparse_solve():
    network, rng = random_network(20000, 8, neighbours=3)
    a, b = random_sets(rng, 20000, 2, 2)

    result = ngt_rates(network, a, b)

    # Mean first-passage times to A from the sparse LU factorisation.
    times = solve_first_passage(network, a, np.zeros(a.size), 1.0, dense=False)
    rest = np.setdiff1d(np.arange(network.n_minima), a)
    np.testing.assert_allclose(
        np.exp(result.log_mfpt_to_a[rest]), times[rest], rtol=RELATIVE
    )

    occupations = np.exp(network.log_occupations[b])
    mfpt_ab = np.sum(occupations * np.exp(result.log_mfpt_to_a[b])) / occupations.sum()
    assert result.mfpt_ab == pytest.approx(mfpt_ab, rel=1e-12)


def test_two_state_rates_are_htst_rates():
    temperature = 0.4
    network = build_rate_network(
        [0.0, 0.3], [2.0, 1.5], [1.2], [0.7], [0], [1], temperature
    )
    k_to_a = math.exp(
        -math.log(2 * math.pi) + (1.5 - 0.7) / 2 - (1.2 - 0.3) / temperature
    )
    k_to_b = math.exp(-math.log(2 * math.pi) + (2.0 - 0.7) / 2 - 1.2 / temperature)

    result = ngt_rates(network, [0], [1])

    assert result.rate_ab == pytest.approx(k_to_a, rel=1e-13)
    assert result.rate_ab_ss == pytest.approx(k_to_a, rel=1e-13)
    assert result.rate_ba == pytest.approx(k_to_b, rel=1e-13)
    assert result.rate_ba_ss == pytest.approx(k_to_b, rel=1e-13)
    assert result.mfpt_ab == pytest.approx(1.0 / k_to_a, rel=1e-13)
    assert result.mfpt_ba == pytest.approx(1.0 / k_to_b, rel=1e-13)


def chain_network(log_rates, temperature=1.0):
    """A ← I ← B chain 0 – 1 – 2 from log rates {(i, j): ln k_ij}."""
    pairs = sorted(log_rates)
    occupations = np.zeros(3)
    return RateNetwork(
        n_minima=3,
        sources=np.array([i for i, _ in pairs]),
        targets=np.array([j for _, j in pairs]),
        log_rates=np.array([log_rates[pair] for pair in pairs]),
        log_occupations=occupations - np.log(3.0),
        temperature=temperature,
    )


def test_three_state_chain_spanning_hundreds_of_orders():
    # Rates from 1e-434 to 1: far outside float64 once exponentiated.
    log_k = {(0, 1): -1000.0, (1, 0): 0.0, (1, 2): -150.0, (2, 1): -700.0}
    network = chain_network(log_k)
    assert np.exp(min(log_k.values())) == 0.0

    result = ngt_rates(network, [0], [2])

    # B → A: T_b = (k_ia + k_ib) / (k_ia k_bi) + 1 / k_ia, k^SS = k_bi P(i → a).
    log_k_ia, log_k_ib, log_k_bi = log_k[(1, 0)], log_k[(1, 2)], log_k[(2, 1)]
    log_escape_i = np.logaddexp(log_k_ia, log_k_ib)
    log_mfpt_b = np.logaddexp(log_escape_i - log_k_ia - log_k_bi, -log_k_ia)
    assert result.log_mfpt_ab == pytest.approx(log_mfpt_b, abs=1e-12)
    assert result.log_rate_ab == pytest.approx(-log_mfpt_b, abs=1e-12)
    assert result.log_rate_ab_ss == pytest.approx(
        log_k_bi + log_k_ia - log_escape_i, abs=1e-12
    )

    # A → B, the same formulas with the roles swapped.
    log_k_ai = log_k[(0, 1)]
    log_mfpt_a = np.logaddexp(log_escape_i - log_k_ib - log_k_ai, -log_k_ib)
    assert result.log_mfpt_ba == pytest.approx(log_mfpt_a, abs=1e-12)
    assert result.log_rate_ba_ss == pytest.approx(
        log_k_ai + log_k_ib - log_escape_i, abs=1e-12
    )

    # Committor of I to A is k_ia / (k_ia + k_ib), and to B its complement
    # e^-150, which 1 − q^A would lose completely.
    assert result.log_committor_a[1] == pytest.approx(
        log_k_ia - log_escape_i, abs=1e-15
    )
    assert result.log_committor_b[1] == pytest.approx(
        log_k_ib - log_escape_i, abs=1e-12
    )
    for value in (result.log_rate_ab, result.log_rate_ba, result.log_mfpt_ab):
        assert math.isfinite(value)


def mpmath_master_equation(network, a, b, digits):
    """Solve the first-passage equations with ``digits`` significant digits."""
    mpmath = pytest.importorskip("mpmath")
    context = mpmath.mp.clone()
    context.dps = digits
    n = network.n_minima
    rates = context.zeros(n, n)
    for i, j, log_rate in zip(network.sources, network.targets, network.log_rates):
        rates[int(i), int(j)] = context.exp(context.mpf(float(log_rate)))
    escape = [context.fsum(rates[i, j] for j in range(n)) for i in range(n)]

    def mfpts_to(sinks):
        rest = [i for i in range(n) if i not in set(sinks)]
        system = context.matrix(len(rest), len(rest))
        for row, i in enumerate(rest):
            for column, j in enumerate(rest):
                system[row, column] = rates[i, j] - (escape[i] if i == j else 0)
        solution = context.lu_solve(system, context.matrix([-1] * len(rest)))
        times = {i: context.mpf(0) for i in sinks}
        times.update({i: solution[row] for row, i in enumerate(rest)})
        return times

    occupations = [
        context.exp(context.mpf(float(value))) for value in network.log_occupations
    ]
    times_to_a = mfpts_to(list(a))
    occupation_b = context.fsum(occupations[i] for i in b)
    log_rate_ab = context.log(
        context.fsum(occupations[i] / times_to_a[i] for i in b) / occupation_b
    )
    log_mfpt_ab = context.log(
        context.fsum(occupations[i] * times_to_a[i] for i in b) / occupation_b
    )
    log_times = [
        float(context.log(times_to_a[i])) if i not in a else -math.inf for i in range(n)
    ]
    return float(log_rate_ab), float(log_mfpt_ab), np.array(log_times)


def test_low_temperature_network_matches_mpmath():
    network, rng = random_network(
        8, 21, temperature=0.004, energy_scale=2.0, barrier_scale=1.0
    )
    span = (network.log_rates.max() - network.log_rates.min()) / math.log(10.0)
    assert span > 300.0
    assert np.exp(network.log_rates.min()) == 0.0
    a, b = [0], [5, 6]

    result = ngt_rates(network, a, b)
    log_rate_ab, log_mfpt_ab, log_times = mpmath_master_equation(network, a, b, 2000)

    assert math.isfinite(result.log_rate_ab)
    assert result.log_rate_ab == pytest.approx(log_rate_ab, abs=RELATIVE)
    assert result.log_mfpt_ab == pytest.approx(log_mfpt_ab, abs=RELATIVE)
    np.testing.assert_allclose(result.log_mfpt_to_a, log_times, rtol=0, atol=RELATIVE)


def test_steady_state_rates_satisfy_detailed_balance():
    network, rng = random_network(500, 12, temperature=0.2)
    a, b = random_sets(rng, 500, 4, 6)

    result = ngt_rates(network, a, b)

    log_occupation_a = np.logaddexp.reduce(network.log_occupations[a])
    log_occupation_b = np.logaddexp.reduce(network.log_occupations[b])
    assert result.log_rate_ab_ss + log_occupation_b == pytest.approx(
        result.log_rate_ba_ss + log_occupation_a, abs=1e-10
    )


def test_no_intermediates():
    network, _ = random_network(6, 13)
    a, b = [0, 2, 4], [1, 3, 5]

    result = ngt_rates(network, a, b)

    assert_matches_master_equation(result, solve_master_equation(network, a, b), a, b)


def two_components():
    # Minima 0–1 are joined, and 2–3 are joined, with no transition state
    # between the pairs.
    return build_rate_network(
        [0.0, 0.1, 0.2, 0.3], [1.0] * 4, [1.0, 1.0], [0.0, 0.0], [0, 2], [1, 3], 0.5
    )


def test_disconnected_sets_raise():
    with pytest.raises(ValueError, match="A and B are not connected") as error:
        ngt_rates(two_components(), [0], [2])
    assert "transition-state searches" in str(error.value)


def test_partly_disconnected_set_raises():
    with pytest.raises(ValueError, match=r"\[3\] of B"):
        ngt_rates(two_components(), [0], [1, 3])


def test_network_without_transition_states_raises():
    network = build_rate_network([0.0, 1.0], [1.0, 1.0], [], [], [], [], 0.5)
    with pytest.raises(ValueError, match="not connected"):
        ngt_rates(network, [0], [1])


@pytest.mark.parametrize(
    "a, b, message",
    [
        ([], [1], "set A is empty"),
        ([0], [], "set B is empty"),
        ([0, 1], [1, 2], "share minima \\[1\\]"),
        ([0], [7], "outside 0..3"),
    ],
)
def test_invalid_sets_raise(a, b, message):
    network, _ = random_network(4, 14)
    with pytest.raises(ValueError, match=message):
        ngt_rates(network, a, b)


def test_minima_outside_component_are_unreachable():
    network = two_components()
    result = ngt_rates(network, [0], [1])
    assert np.all(np.isposinf(result.log_mfpt_to_a[[2, 3]]))
    assert np.all(np.isnan(result.log_committor_a[[2, 3]]))

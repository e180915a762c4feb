"""Tests of the harmonic transition-state-theory rates and occupations."""

import math

import numpy as np
import pytest

from topograph.kinetics.random_network import random_landscape
from topograph.kinetics.rates import (
    build_rate_network,
    harmonic_free_energies,
    log_equilibrium_occupations,
    log_htst_rate,
)


def double_well_second_derivatives(height):
    """V(x) = h (x² − 1)²: V''(±1) = 8h at the minima and V''(0) = −4h."""
    return 8.0 * height, -4.0 * height


def rate_of(network, source, target):
    match = (network.sources == source) & (network.targets == target)
    assert np.count_nonzero(match) == 1
    return float(np.exp(network.log_rates[match][0]))


def test_double_well_rate_matches_hand_computation():
    height, temperature = 2.0, 0.3
    curvature_minimum, curvature_saddle = double_well_second_derivatives(height)
    assert curvature_saddle < 0.0

    # The saddle of a 1-D well has no positive eigenvalue, so its log product
    # is an empty sum.
    network = build_rate_network(
        minimum_energies=[0.0, 0.0],
        minimum_log_products=[math.log(curvature_minimum)] * 2,
        ts_energies=[height],
        ts_log_products=[0.0],
        ts_minimum1=[0],
        ts_minimum2=[1],
        temperature=temperature,
    )

    frequency = math.sqrt(curvature_minimum) / (2.0 * math.pi)
    expected = frequency * math.exp(-height / temperature)
    assert rate_of(network, 0, 1) == pytest.approx(expected, rel=1e-13)
    assert rate_of(network, 1, 0) == pytest.approx(expected, rel=1e-13)


def test_two_dimensional_well_uses_transverse_modes():
    # V(x, y) = h (x² − 1)² + c (1 + g x²) y² / 2, minima at (±1, 0), saddle
    # at the origin with transverse curvature c and c (1 + g) at the minima.
    height, c, g, temperature = 1.5, 3.0, 0.5, 0.4
    minimum_eigenvalues = [8.0 * height, c * (1.0 + g)]
    saddle_positive_eigenvalues = [c]

    log_rate = log_htst_rate(
        0.0,
        np.sum(np.log(minimum_eigenvalues)),
        height,
        np.sum(np.log(saddle_positive_eigenvalues)),
        temperature,
    )

    # Vineyard: k = (ω₁ ω₂) / (2π ω₂‡) exp(−ΔE / T) with ω = √λ.
    omega_1, omega_2 = np.sqrt(minimum_eigenvalues)
    omega_saddle = math.sqrt(c)
    expected = omega_1 * omega_2 / (2.0 * math.pi * omega_saddle)
    expected *= math.exp(-height / temperature)
    assert math.exp(log_rate) == pytest.approx(expected, rel=1e-13)


def test_parallel_transition_states_add():
    kwargs = dict(
        minimum_energies=[0.0, 0.5],
        minimum_log_products=[1.0, 2.0],
        ts_energies=[1.0, 1.3],
        ts_log_products=[0.2, -0.4],
        temperature=0.7,
    )
    both = build_rate_network(**kwargs, ts_minimum1=[0, 1], ts_minimum2=[1, 0])
    first = build_rate_network(
        **{**kwargs, "ts_energies": [1.0], "ts_log_products": [0.2]},
        ts_minimum1=[0],
        ts_minimum2=[1],
    )
    second = build_rate_network(
        **{**kwargs, "ts_energies": [1.3], "ts_log_products": [-0.4]},
        ts_minimum1=[1],
        ts_minimum2=[0],
    )

    assert both.sources.size == 2
    for source, target in ((0, 1), (1, 0)):
        expected = rate_of(first, source, target) + rate_of(second, source, target)
        assert rate_of(both, source, target) == pytest.approx(expected, rel=1e-13)


def test_point_group_orders_scale_rates():
    kwargs = dict(
        minimum_energies=[0.0, 0.2],
        minimum_log_products=[1.0, 1.0],
        ts_energies=[1.0],
        ts_log_products=[0.5],
        ts_minimum1=[0],
        ts_minimum2=[1],
        temperature=0.5,
    )
    plain = build_rate_network(**kwargs)
    ordered = build_rate_network(**kwargs, minimum_orders=[2.0, 6.0], ts_orders=[3.0])

    assert rate_of(ordered, 0, 1) == pytest.approx(rate_of(plain, 0, 1) * 2 / 3)
    assert rate_of(ordered, 1, 0) == pytest.approx(rate_of(plain, 1, 0) * 6 / 3)


@pytest.mark.parametrize("orders", [False, True])
def test_detailed_balance_on_random_network(orders):
    rng = np.random.default_rng(11)
    landscape = random_landscape(300, rng, energy_scale=3.0)
    options = {}
    if orders:
        options = {
            "minimum_orders": rng.integers(1, 5, 300),
            "ts_orders": rng.integers(1, 5, landscape["ts_energies"].size),
        }
    network = build_rate_network(**landscape, temperature=0.25, **options)

    keys = network.sources * network.n_minima + network.targets
    reverse_keys = network.targets * network.n_minima + network.sources
    order = np.argsort(keys)
    reverse = order[np.searchsorted(keys[order], reverse_keys)]
    assert np.array_equal(keys[reverse], reverse_keys)

    forward_flux = network.log_occupations[network.sources] + network.log_rates
    backward_flux = (
        network.log_occupations[network.targets] + network.log_rates[reverse]
    )
    np.testing.assert_allclose(forward_flux, backward_flux, rtol=0, atol=1e-11)


def test_occupations_match_boltzmann_weights_of_frequencies():
    rng = np.random.default_rng(3)
    eigenvalues = rng.uniform(0.5, 4.0, size=(6, 3))
    energies = rng.uniform(0.0, 1.0, 6)
    temperature = 0.35

    log_occupations = log_equilibrium_occupations(
        energies, np.log(eigenvalues).sum(axis=1), temperature
    )

    # Classical harmonic partition function Π (T / ω) exp(−E / T), ω = √λ.
    weights = np.prod(temperature / np.sqrt(eigenvalues), axis=1)
    weights *= np.exp(-energies / temperature)
    np.testing.assert_allclose(
        np.exp(log_occupations), weights / weights.sum(), rtol=1e-12
    )

    free_energies = harmonic_free_energies(
        energies, np.log(eigenvalues).sum(axis=1), temperature
    )
    from_free_energies = np.exp(-free_energies / temperature)
    np.testing.assert_allclose(
        np.exp(log_occupations),
        from_free_energies / from_free_energies.sum(),
        rtol=1e-12,
    )


def test_nan_log_product_names_option():
    kwargs = dict(
        minimum_energies=[0.0, 0.1],
        minimum_log_products=[1.0, np.nan],
        ts_energies=[1.0],
        ts_log_products=[0.0],
        ts_minimum1=[0],
        ts_minimum2=[1],
        temperature=0.5,
    )
    with pytest.raises(ValueError, match="equal_prefactors=True") as error:
        build_rate_network(**kwargs)
    assert "minima 1" in str(error.value)

    network = build_rate_network(**kwargs, equal_prefactors=True)
    expected = math.exp(-1.0 / 0.5) / (2.0 * math.pi)
    assert rate_of(network, 0, 1) == pytest.approx(expected, rel=1e-13)
    np.testing.assert_allclose(
        np.exp(network.log_occupations),
        np.exp([0.0, -0.2]) / np.exp([0.0, -0.2]).sum(),
        rtol=1e-13,
    )


def test_nan_transition_state_log_product_raises():
    with pytest.raises(ValueError, match="transition states 0"):
        build_rate_network([0.0, 0.1], [1.0, 1.0], [1.0], [np.nan], [0], [1], 0.5)


def test_self_transition_state_skipped():
    network = build_rate_network(
        [0.0, 0.1], [1.0, 1.0], [1.0, 0.5], [0.0, 0.0], [0, 1], [1, 1], 0.5
    )
    assert sorted(zip(network.sources.tolist(), network.targets.tolist())) == [
        (0, 1),
        (1, 0),
    ]


def test_out_of_range_minimum_raises():
    with pytest.raises(ValueError, match="outside 0..1"):
        build_rate_network([0.0, 0.1], [1.0, 1.0], [1.0], [0.0], [0], [2], 0.5)


@pytest.mark.parametrize("temperature", [0.0, -1.0, math.inf, math.nan])
def test_invalid_temperature_raises(temperature):
    with pytest.raises(ValueError, match="temperature"):
        build_rate_network([0.0, 0.1], [1.0, 1.0], [1.0], [0.0], [0], [1], temperature)


def test_low_temperature_rates_stay_finite_in_log_space():
    temperature = 1e-3
    network = build_rate_network(
        [0.0, 0.0], [1.0, 1.0], [10.0], [0.5], [0], [1], temperature
    )
    expected = -math.log(2 * math.pi) + 0.25 - 10.0 / temperature
    np.testing.assert_allclose(network.log_rates, [expected, expected], rtol=1e-15)
    assert np.all(np.exp(network.log_rates) == 0.0)

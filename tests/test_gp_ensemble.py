"""Voting weights of GP ensembles, mixture scores and the ensemble study."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.stats import norm

from topograph.gp.data import synthetic_dataset
from topograph.gp.ensemble import (
    SCHEMES,
    effective_members,
    ensemble_weights,
    mixture_mean,
    mixture_nlpd,
)
from topograph.gp.ensemble_study import ensemble_study
from topograph.gp.fitting import gaussian_nlpd
from topograph.gp.search import SearchSettings

ENERGIES = np.array([10.3, 10.0, 11.5, 10.05])
LOG_DETERMINANTS = np.array([1.0, 3.0, -0.5, 0.2])


@pytest.mark.parametrize("scheme", SCHEMES)
@pytest.mark.parametrize("temperature", [0.01, 1.0, 100.0])
def test_weights_are_normalised(scheme, temperature):
    weights = ensemble_weights(ENERGIES, LOG_DETERMINANTS, scheme, temperature)
    assert weights.sum() == pytest.approx(1.0)
    assert np.all(weights >= 0)


@pytest.mark.parametrize("scheme", ["boltzmann", "harmonic"])
def test_weights_tend_to_best_as_temperature_falls(scheme):
    best = ensemble_weights(ENERGIES, LOG_DETERMINANTS, "best", 1.0)
    np.testing.assert_array_equal(best, [0, 1, 0, 0])
    weights = ensemble_weights(ENERGIES, LOG_DETERMINANTS, scheme, 1e-3)
    np.testing.assert_allclose(weights, best, atol=1e-15)


def test_harmonic_weights_follow_formula():
    temperature = 0.7
    raw = np.exp(-(ENERGIES - ENERGIES.min()) / temperature) / np.sqrt(np.exp(LOG_DETERMINANTS))
    weights = ensemble_weights(ENERGIES, LOG_DETERMINANTS, "harmonic", temperature)
    np.testing.assert_allclose(weights, raw / raw.sum(), rtol=1e-12)


def test_high_temperature_boltzmann_is_uniform():
    weights = ensemble_weights(ENERGIES, LOG_DETERMINANTS, "boltzmann", 1e9)
    np.testing.assert_allclose(weights, 0.25, rtol=1e-8)
    assert effective_members(weights) == pytest.approx(4.0)


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ((ENERGIES, LOG_DETERMINANTS, "vote", 1.0), "unknown weighting scheme"),
        ((ENERGIES, LOG_DETERMINANTS, "boltzmann", 0.0), "temperature"),
        ((ENERGIES, [1.0, np.nan, 0.0, 0.0], "harmonic", 1.0), "log Hessian determinant"),
        ((np.array([]), [], "uniform", 1.0), "non-empty"),
    ],
)
def test_invalid_weights_raise(arguments, message):
    with pytest.raises(ValueError, match=message):
        ensemble_weights(*arguments)


def test_mixture_nlpd_matches_scipy():
    rng = np.random.default_rng(0)
    targets = rng.normal(size=6)
    means = rng.normal(size=(3, 6))
    variances = rng.uniform(0.2, 2.0, size=(3, 6))
    weights = np.array([0.5, 0.3, 0.2])
    density = sum(w * norm.pdf(targets, m, np.sqrt(v)) for w, m, v in zip(weights, means, variances))
    assert mixture_nlpd(targets, means, variances, weights) == pytest.approx(-np.mean(np.log(density)))
    assert mixture_nlpd(targets, means, variances, [1.0, 0.0, 0.0]) == pytest.approx(
        gaussian_nlpd(targets, means[0], variances[0])
    )
    np.testing.assert_allclose(mixture_mean(means, weights), weights @ means)


def test_ensemble_study_rows():
    dataset = synthetic_dataset("fold", nu=1.5, n_points=25, lengthscale=0.15, noise_variance=0.05, seed=0)
    rows = ensemble_study(
        "fold", dataset.inputs, dataset.targets, n_splits=1, test_fraction=0.3,
        settings=SearchSettings(chains=4, steps=4), temperature=1.0, energy_window=5.0,
        max_members=8, seed=0,
    )  # fmt: skip
    assert [row["scheme"] for row in rows] == list(SCHEMES)
    best = rows[0]
    assert best["predicted_gain"] == 0.0
    assert best["measured_gain"] == 0.0
    assert best["effective_members"] == 1.0
    members = best["members"]
    assert members >= 2
    uniform = rows[1]
    assert uniform["effective_members"] == pytest.approx(members)
    for row in rows:
        assert math.isfinite(row["predicted_gain"])
        assert row["predicted_gain"] == pytest.approx(best["loo_nlpd"] - row["loo_nlpd"])
        assert row["measured_gain"] == pytest.approx(best["test_nlpd"] - row["test_nlpd"])

"""The GP negative log marginal likelihood against scikit-learn and finite differences."""

from __future__ import annotations

import math

import numpy as np
import pytest
from sklearn.gaussian_process import GaussianProcessRegressor
from sklearn.gaussian_process.kernels import RBF, ConstantKernel, Matern, WhiteKernel

from topograph.gp.data import Standardiser
from topograph.gp.likelihood import (
    JITTER_MAX,
    HyperparameterLayout,
    cholesky_with_jitter,
    negative_log_marginal_likelihood,
)

ALPHA = 1e-10


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(7)
    inputs = rng.normal(size=(30, 3))
    targets = np.sin(inputs[:, 0]) + 0.5 * inputs[:, 1] + 0.1 * rng.normal(size=30)
    return inputs, targets


def sklearn_reference(inputs, targets, nu, lengthscales):
    base = RBF(lengthscales) if math.isinf(nu) else Matern(lengthscales, nu=nu)
    kernel = ConstantKernel(1.7) * base + WhiteKernel(0.05)
    regressor = GaussianProcessRegressor(kernel, alpha=ALPHA, normalize_y=False, optimizer=None)
    regressor.fit(inputs, targets)
    theta = regressor.kernel_.theta
    value, gradient = regressor.log_marginal_likelihood(theta, eval_gradient=True)
    return theta, value, gradient


@pytest.mark.parametrize("nu", [0.5, 1.5, 2.5, math.inf])
@pytest.mark.parametrize("ard", [False, True])
def test_nlml_equals_sklearn(data, nu, ard):
    inputs, targets = data
    lengthscales = np.array([0.7, 1.3, 2.0]) if ard else 0.9
    theta, value, gradient = sklearn_reference(inputs, targets, nu, lengthscales)
    # scikit-learn orders theta as [log constant, log length scales, log noise].
    ours = np.concatenate([theta[1:-1], theta[:1], theta[-1:]])
    expected_gradient = -np.concatenate([gradient[1:-1], gradient[:1], gradient[-1:]])

    layout = HyperparameterLayout(3 if ard else 1, nu)
    result = negative_log_marginal_likelihood(inputs, targets, ours, layout, alpha=ALPHA)

    assert result.value == pytest.approx(-value, rel=1e-8)
    np.testing.assert_allclose(result.gradient, expected_gradient, rtol=1e-8)
    assert result.jitter == 0.0


@pytest.mark.parametrize("nu", [0.3, 0.8, 1.0, 1.7, 3.5, 20.0])
@pytest.mark.parametrize("ard", [False, True])
def test_gradient_matches_finite_differences(data, nu, ard):
    inputs, targets = data
    layout = HyperparameterLayout(3 if ard else 1, None)
    lengthscales = [0.2, -0.1, 0.5] if ard else [0.1]
    theta = np.array([*lengthscales, 0.4, math.log(0.05), math.log(nu)])
    result = negative_log_marginal_likelihood(inputs, targets, theta, layout)

    step = 1e-5
    differences = []
    for j in range(layout.dimension):
        shift = np.zeros(layout.dimension)
        shift[j] = step
        up = negative_log_marginal_likelihood(inputs, targets, theta + shift, layout, gradient=False)
        down = negative_log_marginal_likelihood(inputs, targets, theta - shift, layout, gradient=False)
        differences.append((up.value - down.value) / (2 * step))
    np.testing.assert_allclose(result.gradient, differences, rtol=1e-6, atol=1e-6)


def test_duplicate_inputs_with_tiny_noise_get_reported_jitter():
    inputs = np.repeat(np.linspace(0, 1, 10), 2)[:, None]
    targets = np.sin(3 * inputs[:, 0])
    layout = HyperparameterLayout(1, 1.5)
    # Noise variance e^-60 is far below rounding of the unit diagonal, so the
    # duplicated rows make the matrix numerically singular.
    theta = np.array([math.log(0.3), 0.0, -60.0])
    result = negative_log_marginal_likelihood(inputs, targets, theta, layout)
    assert result.jitter > 0
    assert result.jitter <= JITTER_MAX * (1 + 1e-9)
    assert math.isfinite(result.value)
    assert np.all(np.isfinite(result.gradient))


def test_duplicate_inputs_with_noise_need_no_jitter():
    inputs = np.repeat(np.linspace(0, 1, 10), 2)[:, None]
    targets = np.sin(3 * inputs[:, 0])
    layout = HyperparameterLayout(1, 2.5)
    result = negative_log_marginal_likelihood(inputs, targets, np.array([-1.0, 0.0, -3.0]), layout)
    assert result.jitter == 0.0
    assert math.isfinite(result.value)


def test_indefinite_matrix_raises():
    with pytest.raises(ValueError, match="not positive definite"):
        cholesky_with_jitter(np.array([[1.0, 2.0], [2.0, 1.0]]))


def test_nan_matrix_raises():
    with pytest.raises(ValueError, match="NaN"):
        cholesky_with_jitter(np.array([[1.0, np.nan], [np.nan, 1.0]]))


def test_singular_matrix_gets_smallest_jitter():
    ones = np.ones((3, 3))
    factor, jitter = cholesky_with_jitter(ones)
    assert jitter > 0
    np.testing.assert_allclose(factor @ factor.T, ones + jitter * np.eye(3), atol=1e-12)


def test_constant_target_raises_when_standardised():
    inputs = np.linspace(0, 1, 8)[:, None]
    with pytest.raises(ValueError, match="target is constant"):
        Standardiser.fit(inputs, np.full(8, 3.0))


def test_constant_target_message_plain_number():
    inputs = np.linspace(0, 1, 8)[:, None]
    with pytest.raises(ValueError, match=r"target is constant \(5\.0\)") as raised:
        Standardiser.fit(inputs, np.full(8, 5.0))
    assert "np.float64" not in str(raised.value)


def test_constant_target_has_finite_loss():
    # Unstandardised, a constant target is an ordinary vector: no NaN.
    inputs = np.linspace(0, 1, 8)[:, None]
    layout = HyperparameterLayout(1, 1.5)
    result = negative_log_marginal_likelihood(inputs, np.full(8, 3.0), np.array([0.0, 0.0, -2.0]), layout)
    assert math.isfinite(result.value)
    assert np.all(np.isfinite(result.gradient))


@pytest.mark.parametrize(
    ("theta", "message"),
    [
        (np.array([0.0, 0.0]), "3 coordinates"),
        (np.array([0.0, np.nan, 0.0]), "NaN"),
    ],
)
def test_invalid_theta_raises(theta, message):
    inputs = np.linspace(0, 1, 5)[:, None]
    with pytest.raises(ValueError, match=message):
        negative_log_marginal_likelihood(inputs, inputs[:, 0], theta, HyperparameterLayout(1, 1.5))


def test_nu_above_limit_raises():
    inputs = np.linspace(0, 1, 5)[:, None]
    layout = HyperparameterLayout(1, None)
    with pytest.raises(ValueError, match="nu must be"):
        negative_log_marginal_likelihood(inputs, inputs[:, 0], np.array([0.0, 0.0, -2.0, 5.0]), layout)

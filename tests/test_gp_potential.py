"""The GP likelihood as a potential: derivatives, bounds, registry and engine searches."""

from __future__ import annotations

import math

import numpy as np
import pytest
from sklearn.gaussian_process import GaussianProcessRegressor
from sklearn.gaussian_process.kernels import ConstantKernel, Matern, WhiteKernel

from topograph.gp.data import synthetic_dataset
from topograph.gp.fitting import fit_hyperparameters, leave_one_out, predict
from topograph.landscape.spec import validate_spec
from topograph.potentials.gp_likelihood import GPLikelihoodPotential
from topograph.potentials.registry import build_potential


@pytest.fixture(scope="module")
def dataset():
    return synthetic_dataset("test", nu=1.5, n_points=25, lengthscale=0.2, noise_variance=0.02, seed=3)


def test_hessian_matches_gradient_differences(dataset):
    potential = GPLikelihoodPotential(dataset.inputs, dataset.targets, nu=None)
    x = np.array([math.log(0.2), 0.1, math.log(0.03), math.log(2.0)])
    hessian = potential.hessian(x)
    np.testing.assert_allclose(hessian, hessian.T)
    step = 1e-5
    for j in range(potential.dimension):
        shift = np.zeros(potential.dimension)
        shift[j] = step
        column = (potential.gradient(x + shift) - potential.gradient(x - shift)) / (2 * step)
        np.testing.assert_allclose(hessian[:, j], column, rtol=1e-4, atol=1e-4)


def test_hessian_vector_product_matches_hessian(dataset):
    potential = GPLikelihoodPotential(dataset.inputs, dataset.targets, nu=2.5)
    x = np.array([math.log(0.2), 0.1, math.log(0.03)])
    vector = np.array([0.3, -1.0, 0.5])
    np.testing.assert_allclose(
        potential.hessian_vector_product(x, vector), potential.hessian(x) @ vector, rtol=1e-5, atol=1e-5
    )


def test_bounds_are_log_of_natural_bounds(dataset):
    bounds = {"lengthscale": [0.05, 5.0], "nu": [0.5, 10.0]}
    potential = GPLikelihoodPotential(dataset.inputs, dataset.targets, nu=None, bounds=bounds)
    np.testing.assert_allclose(np.exp(potential.lower_bounds), [0.05, 1e-2, 1e-6, 0.5])
    np.testing.assert_allclose(np.exp(potential.upper_bounds), [5.0, 1e2, 1e1, 10.0])
    assert potential.names == ["log_lengthscale", "log_signal_variance", "log_noise_variance", "log_nu"]


@pytest.mark.parametrize(
    ("bounds", "message"),
    [
        ({"nu": [0.5, 80.0]}, "upper bound of nu"),
        ({"lengthscale": [1.0, 0.5]}, "0 < low < high"),
        ({"length": [0.1, 1.0]}, "unknown bound"),
    ],
)
def test_invalid_bounds_raise(dataset, bounds, message):
    with pytest.raises(ValueError, match=message):
        GPLikelihoodPotential(dataset.inputs, dataset.targets, bounds=bounds)


def test_fit_matches_sklearn_optimum(dataset):
    potential = GPLikelihoodPotential(dataset.inputs, dataset.targets, nu=1.5)
    fit = fit_hyperparameters(potential, restarts=4, seed=0)

    kernel = ConstantKernel(1.0, (1e-2, 1e2)) * Matern(1.0, (1e-2, 1e2), nu=1.5) + WhiteKernel(
        0.1, (1e-6, 1e1)
    )
    regressor = GaussianProcessRegressor(kernel, alpha=0.0, n_restarts_optimizer=4, random_state=0)
    regressor.fit(dataset.inputs, dataset.targets)
    sklearn_nlml = -regressor.log_marginal_likelihood_value_
    assert fit.nlml <= sklearn_nlml + 1e-5

    theta = regressor.kernel_.theta
    ours = np.array([theta[1], theta[0], theta[2]])
    np.testing.assert_allclose(fit.theta, ours, atol=2e-3)

    test_inputs = np.linspace(0, 1, 7)[:, None]
    mean, variance = predict(potential, fit.theta, test_inputs)
    sklearn_mean, sklearn_std = regressor.predict(test_inputs, return_std=True)
    np.testing.assert_allclose(mean, sklearn_mean, atol=1e-3)
    # scikit-learn's std is of the noisy target here, because WhiteKernel is part of its kernel.
    np.testing.assert_allclose(variance, sklearn_std**2, rtol=1e-2)


def test_leave_one_out_matches_refit_free_deletion(dataset):
    potential = GPLikelihoodPotential(dataset.inputs, dataset.targets, nu=2.5)
    theta = np.array([math.log(0.2), 0.0, math.log(0.02)])
    means, variances = leave_one_out(potential, theta)
    for i in (0, 7, 24):
        keep = np.arange(len(dataset.targets)) != i
        reduced = GPLikelihoodPotential(dataset.inputs[keep], dataset.targets[keep], nu=2.5)
        mean, variance = predict(reduced, theta, dataset.inputs[i : i + 1])
        assert means[i] == pytest.approx(mean[0], rel=1e-8, abs=1e-10)
        assert variances[i] == pytest.approx(variance[0], rel=1e-8)


def test_registry_builds_standardised_potential(tmp_path, dataset):
    path = tmp_path / "data.csv"
    np.savetxt(path, np.column_stack([dataset.inputs, 10 + 3 * dataset.targets]), delimiter=",", header="x,y")
    spec = validate_spec({"potential": {"potential": "gp_likelihood", "parameters": {"data": str(path)}}})
    potential = build_potential(spec["potential"])
    assert potential.dimension == 4
    assert potential.targets.mean() == pytest.approx(0.0, abs=1e-12)
    assert potential.targets.std() == pytest.approx(1.0)


def test_registry_rejects_torch_backend(tmp_path):
    with pytest.raises(ValueError, match="numpy backend"):
        build_potential({"potential": "gp_likelihood", "parameters": {"data": "x.csv"}, "backend": "torch"})


def test_registry_rejects_constant_target(tmp_path):
    path = tmp_path / "constant.csv"
    np.savetxt(path, np.column_stack([np.arange(5.0), np.ones(5)]), delimiter=",")
    with pytest.raises(ValueError, match="target is constant"):
        build_potential({"potential": "gp_likelihood", "parameters": {"data": str(path)}})

"""Fitting GP hyperparameters by multi-start L-BFGS-B, and predictions.

Starts: the centre of the log-space box, then ``restarts`` points drawn
uniformly in the box from ``seed``. The lowest converged minimum is kept,
or the lowest of all when none converged (with a warning).
"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass

import numpy as np
import scipy.linalg

from topograph.optimize.lbfgs import minimize
from topograph.potentials.gp_likelihood import GPLikelihoodPotential

logger = logging.getLogger(__name__)


@dataclass
class FitResult:
    """The best minimum of a multi-start fit."""

    theta: np.ndarray
    nlml: float
    nu: float
    seconds: float
    on_bounds: np.ndarray


def multistart_starts(potential: GPLikelihoodPotential, restarts: int, seed: int) -> np.ndarray:
    """Return the starting points: the box centre, then ``restarts`` uniform draws."""
    centre = 0.5 * (potential.lower_bounds + potential.upper_bounds)
    rng = np.random.default_rng(seed)
    draws = rng.uniform(
        potential.lower_bounds, potential.upper_bounds, size=(restarts, potential.dimension)
    )
    return np.vstack([centre, draws])


def fit_hyperparameters(
    potential: GPLikelihoodPotential,
    restarts: int = 3,
    seed: int = 0,
    gradient_tolerance: float = 1e-5,
) -> FitResult:
    """Minimise the NLML from several starts and return the lowest minimum."""
    started = time.perf_counter()
    results = []
    for number, start in enumerate(multistart_starts(potential, restarts, seed)):
        try:
            results.append(minimize(potential, start, gradient_tolerance=gradient_tolerance))
        except ValueError as error:
            logger.warning("skipped start %d of the hyperparameter fit: %s", number, error)
    converged = [result for result in results if result.converged]
    if results and not converged:
        logger.warning(
            "no start of the hyperparameter fit converged to gradient norm %g; "
            "keeping the lowest end point",
            gradient_tolerance,
        )
    candidates = converged or results
    best = min(candidates, key=lambda result: result.energy) if candidates else None
    if best is None:
        raise ValueError(
            "every start of the hyperparameter fit failed; raise the lower bound of "
            "the noise variance"
        )
    nu = potential.layout.unpack(best.coordinates)[3]
    return FitResult(
        best.coordinates, float(best.energy), nu, time.perf_counter() - started, best.on_bounds
    )


def predict(potential: GPLikelihoodPotential, theta: np.ndarray, test_inputs: np.ndarray):
    """Return the predictive mean and variance of noisy targets at ``test_inputs``.

    Both are in the units of the potential's targets. The variance includes
    the noise variance.
    """
    from topograph.gp.matern import matern_correlation, scaled_squared_distances

    result = potential.evaluate(theta, gradient=False)
    lengthscales, signal_variance, noise_variance, nu = potential.layout.unpack(theta)
    scaled = np.sqrt(
        scaled_squared_distances(test_inputs, potential.inputs, lengthscales).sum(axis=2)
    )
    cross = signal_variance * matern_correlation(scaled, nu)
    mean = cross @ result.alpha
    solved = scipy.linalg.solve_triangular(result.cholesky, cross.T, lower=True)
    latent_variance = np.maximum(signal_variance - np.sum(solved**2, axis=0), 0.0)
    return mean, latent_variance + noise_variance + potential.alpha


def leave_one_out(potential: GPLikelihoodPotential, theta: np.ndarray):
    """Return the closed-form leave-one-out predictive means and variances.

    With ``d`` the diagonal of ``K_y⁻¹``, the mean is ``y_i − α_i / d_i`` and
    the variance ``1 / d_i``, from the block inverse of ``K_y``. The
    hyperparameters stay those fitted to all points.
    """
    result = potential.evaluate(theta, gradient=False)
    n = len(potential.targets)
    inverse = scipy.linalg.cho_solve((result.cholesky, True), np.eye(n))
    diagonal = np.diag(inverse)
    return potential.targets - result.alpha / diagonal, 1.0 / diagonal


def gaussian_nlpd(targets, means, variances) -> float:
    """Return the mean negative log density of ``targets`` under N(means, variances)."""
    return float(
        np.mean(0.5 * np.log(2 * math.pi * variances) + 0.5 * (targets - means) ** 2 / variances)
    )

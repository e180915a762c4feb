"""Ensembles of GP minima: voting weights, mixture predictions and the a-priori gain.

Members are local minima of the NLML ``L`` over log hyperparameters, with
``ΔL`` measured from the lowest member. Weighting schemes:

- ``best``: all weight on the lowest minimum;
- ``uniform``: equal weights;
- ``boltzmann``: ``w ∝ exp(−ΔL/T)``;
- ``harmonic``: ``w ∝ exp(−ΔL/T)/√det H``, the harmonic occupation
  probability of each basin. ``log det H`` is the sum of the logs of the
  Hessian eigenvalues above 1e-6 over the coordinates not on a bound
  (:func:`topograph.search.transition_state.hessian_log_product`), so a
  flat direction does not count.

The ensemble predicts the Gaussian mixture ``Σ w_m N(μ_m, s_m²)``. As
``T → 0`` the Boltzmann and harmonic weights tend to ``best``.

A-priori gain: before any test data are used, each member's closed-form
leave-one-out predictions on the training set
(:func:`topograph.gp.fitting.leave_one_out`) are combined with the same
weights, and the estimated gain is
``NLPD_LOO(best) − NLPD_LOO(ensemble)``. The measured gain is the same
difference on the test set. Both are positive when the ensemble is better.
The effective number of members ``1/Σw²`` is reported beside it.
"""

from __future__ import annotations

import math

import numpy as np
from scipy.special import logsumexp

SCHEMES = ("best", "uniform", "boltzmann", "harmonic")


def ensemble_weights(
    energies, log_hessian_determinants, scheme: str, temperature: float
) -> np.ndarray:
    """Return normalised member weights for ``scheme``.

    Parameters
    ----------
    energies : array_like (m,)
        NLML of each member.
    log_hessian_determinants : array_like (m,)
        ``log det H`` of each member; used by ``harmonic`` only.
    scheme : {"best", "uniform", "boltzmann", "harmonic"}
    temperature : float
        ``T`` of the Boltzmann and harmonic weights, in NLML units.
    """
    energies = np.asarray(energies, dtype=np.float64)
    if energies.ndim != 1 or energies.size == 0:
        raise ValueError(f"energies must be a non-empty vector; got shape {energies.shape}")
    if scheme not in SCHEMES:
        raise ValueError(f"unknown weighting scheme {scheme!r}; valid: {', '.join(SCHEMES)}")
    if not temperature > 0:
        raise ValueError(f"temperature must be positive; got {temperature}")
    if scheme == "best":
        weights = np.zeros_like(energies)
        weights[int(np.argmin(energies))] = 1.0
        return weights
    if scheme == "uniform":
        return np.full_like(energies, 1.0 / energies.size)

    log_weights = -(energies - energies.min()) / temperature
    if scheme == "harmonic":
        log_determinants = np.asarray(log_hessian_determinants, dtype=np.float64)
        if log_determinants.shape != energies.shape or not np.all(np.isfinite(log_determinants)):
            raise ValueError(
                "harmonic weights need a finite log Hessian determinant per member; got "
                f"{np.asarray(log_hessian_determinants).tolist()}"
            )
        log_weights = log_weights - 0.5 * log_determinants
    return np.exp(log_weights - logsumexp(log_weights))


def effective_members(weights) -> float:
    """Return ``1 / Σ w²``, the effective number of members."""
    weights = np.asarray(weights, dtype=np.float64)
    return float(1.0 / np.sum(weights**2))


def mixture_mean(means, weights) -> np.ndarray:
    """Return the mixture mean ``Σ w_m μ_m`` per point; ``means`` is ``(m, n)``."""
    return np.asarray(weights) @ np.asarray(means)


def mixture_nlpd(targets, means, variances, weights) -> float:
    """Return the mean negative log density of ``targets`` under the Gaussian mixture."""
    means = np.asarray(means)
    variances = np.asarray(variances)
    weights = np.asarray(weights)
    log_densities = -0.5 * np.log(2 * math.pi * variances) - 0.5 * (targets - means) ** 2 / variances
    with np.errstate(divide="ignore"):
        log_weights = np.log(weights)[:, None]
    return float(-np.mean(logsumexp(log_weights + log_densities, axis=0)))


def rmse(targets, predictions) -> float:
    """Return the root-mean-square error."""
    return float(np.sqrt(np.mean((np.asarray(targets) - np.asarray(predictions)) ** 2)))

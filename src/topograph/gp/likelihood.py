"""Negative log marginal likelihood of a Gaussian process and its gradient.

The model is ``y ~ N(0, K_y)`` with ``K_y = σ_f²·C + (σ_n² + alpha)·I``, ``C``
the Matérn correlation matrix (:mod:`topograph.gp.matern`) and ``alpha`` a
fixed diagonal term (scikit-learn's ``alpha``). The loss is

    L = ½ yᵀ K_y⁻¹ y + ½ log|K_y| + (n/2) log 2π,

evaluated through the Cholesky factor ``K_y = L Lᵀ``. The gradient is
``∂L/∂θ = −½ tr((α αᵀ − K_y⁻¹) ∂K_y/∂θ)`` with ``α = K_y⁻¹ y``.

The coordinates θ are, in this order: ``log ℓ`` (one, or one per input
dimension with ARD), ``log σ_f²``, ``log σ_n²`` and, when ν is free,
``log ν``. Variances, not standard deviations, match scikit-learn's
``ConstantKernel`` and ``WhiteKernel``.

Jitter: when the Cholesky factorisation fails, ``jitter·I`` is added with
``jitter`` starting at ``JITTER_START`` times the mean diagonal and
multiplied by 10 up to ``JITTER_MAX`` times the mean diagonal. The jitter
used enters the loss (it is part of ``K_y``) and is returned. A matrix that
still fails raises ValueError.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import scipy.linalg

from topograph.gp.matern import (
    check_nu,
    matern_correlation,
    matern_log_nu_derivative,
    matern_radial_derivative,
    scaled_squared_distances,
)

# Jitter relative to the mean diagonal of K_y: first try and largest allowed.
JITTER_START = 1e-12
JITTER_MAX = 1e-6


@dataclass(frozen=True)
class HyperparameterLayout:
    """Meaning of each coordinate of a log-hyperparameter vector.

    Parameters
    ----------
    n_lengthscales : int
        1 for one shared length scale, the input dimension for ARD.
    nu : float or None
        The fixed smoothness (a positive number or inf), or ``None`` when
        ``log ν`` is the last coordinate.
    """

    n_lengthscales: int
    nu: float | None

    def __post_init__(self):
        if self.n_lengthscales < 1:
            raise ValueError(
                f"n_lengthscales must be at least 1; got {self.n_lengthscales}"
            )
        if self.nu is not None:
            object.__setattr__(self, "nu", check_nu(self.nu))

    @property
    def nu_free(self) -> bool:
        """Whether ``log ν`` is a coordinate."""
        return self.nu is None

    @property
    def dimension(self) -> int:
        """Number of coordinates."""
        return self.n_lengthscales + 2 + int(self.nu_free)

    @property
    def names(self) -> list[str]:
        """Coordinate names, in order."""
        if self.n_lengthscales == 1:
            names = ["log_lengthscale"]
        else:
            names = [f"log_lengthscale_{d}" for d in range(self.n_lengthscales)]
        names += ["log_signal_variance", "log_noise_variance"]
        if self.nu_free:
            names.append("log_nu")
        return names

    def unpack(self, theta: np.ndarray) -> tuple[np.ndarray, float, float, float]:
        """Return ``(lengthscales, signal_variance, noise_variance, nu)`` of ``theta``."""
        theta = np.asarray(theta, dtype=np.float64)
        if theta.shape != (self.dimension,):
            raise ValueError(
                f"theta must have {self.dimension} coordinates ({', '.join(self.names)}); "
                f"got shape {theta.shape}"
            )
        if not np.all(np.isfinite(theta)):
            raise ValueError(f"theta contains NaN or infinite values: {theta.tolist()}")
        k = self.n_lengthscales
        lengthscales = np.exp(theta[:k])
        nu = math.exp(theta[k + 2]) if self.nu_free else self.nu
        if self.nu_free:
            nu = check_nu(nu)
        return lengthscales, math.exp(theta[k]), math.exp(theta[k + 1]), nu


@dataclass
class LikelihoodResult:
    """NLML at one θ with what prediction needs."""

    value: float
    gradient: np.ndarray | None
    cholesky: np.ndarray
    alpha: np.ndarray
    jitter: float


def cholesky_with_jitter(matrix: np.ndarray) -> tuple[np.ndarray, float]:
    """Return the lower Cholesky factor of ``matrix`` and the jitter added to it.

    Raises
    ------
    ValueError
        If ``matrix`` contains NaN or infinity, or is not positive definite even
        with a jitter of ``JITTER_MAX`` times its mean diagonal.
    """
    if not np.all(np.isfinite(matrix)):
        raise ValueError(
            "the covariance matrix contains NaN or infinite values; check the inputs "
            "and that the hyperparameters are within their bounds"
        )
    scale = float(np.mean(np.diag(matrix)))
    if not scale > 0:
        raise ValueError(
            f"the covariance matrix has mean diagonal {scale!r}; it must be positive"
        )
    jitter = 0.0
    while True:
        try:
            factor = scipy.linalg.cholesky(
                matrix + jitter * np.eye(len(matrix)), lower=True, check_finite=False
            )
            return factor, jitter
        except np.linalg.LinAlgError:
            jitter = JITTER_START * scale if jitter == 0.0 else 10.0 * jitter
            if jitter > JITTER_MAX * scale * (1 + 1e-9):
                raise ValueError(
                    "the covariance matrix is not positive definite even with a jitter "
                    f"of {JITTER_MAX:g} times its mean diagonal; raise the lower bound "
                    "of the noise variance or remove duplicate inputs"
                ) from None


def check_data(inputs, targets) -> tuple[np.ndarray, np.ndarray]:
    """Return ``inputs (n, d)`` and ``targets (n,)`` as float arrays, checked."""
    inputs = np.asarray(inputs, dtype=np.float64)
    targets = np.asarray(targets, dtype=np.float64)
    if inputs.ndim == 1:
        inputs = inputs[:, None]
    if inputs.ndim != 2 or targets.shape != (inputs.shape[0],):
        raise ValueError(
            f"inputs must have shape (n, d) and targets (n,); got {inputs.shape} and "
            f"{targets.shape}"
        )
    if inputs.shape[0] < 2:
        raise ValueError(f"a GP needs at least 2 data points; got {inputs.shape[0]}")
    if not (np.all(np.isfinite(inputs)) and np.all(np.isfinite(targets))):
        raise ValueError("inputs or targets contain NaN or infinite values; remove them")
    return inputs, targets


def covariance_and_derivatives(
    inputs: np.ndarray,
    theta: np.ndarray,
    layout: HyperparameterLayout,
    alpha: float = 0.0,
    with_derivatives: bool = True,
) -> tuple[np.ndarray, list[np.ndarray]]:
    """Return ``K_y`` and ``∂K_y/∂θ_j`` for every coordinate ``j``."""
    lengthscales, signal_variance, noise_variance, nu = layout.unpack(theta)
    if lengthscales.shape[0] not in (1, inputs.shape[1]):
        raise ValueError(
            f"{lengthscales.shape[0]} length scales for {inputs.shape[1]} input "
            "dimensions; use 1 or one per dimension"
        )
    per_dimension = scaled_squared_distances(inputs, inputs, lengthscales)
    scaled = np.sqrt(per_dimension.sum(axis=2))
    correlation = matern_correlation(scaled, nu)
    n = inputs.shape[0]
    covariance = signal_variance * correlation + (noise_variance + alpha) * np.eye(n)
    if not with_derivatives:
        return covariance, []

    radial = matern_radial_derivative(scaled, nu)
    derivatives = []
    if layout.n_lengthscales == 1:
        derivatives.append(signal_variance * radial * scaled**2)
    else:
        for d in range(layout.n_lengthscales):
            derivatives.append(signal_variance * radial * per_dimension[:, :, d])
    derivatives.append(signal_variance * correlation)
    derivatives.append(noise_variance * np.eye(n))
    if layout.nu_free:
        derivatives.append(signal_variance * matern_log_nu_derivative(scaled, nu))
    return covariance, derivatives


def negative_log_marginal_likelihood(
    inputs,
    targets,
    theta,
    layout: HyperparameterLayout,
    alpha: float = 0.0,
    gradient: bool = True,
) -> LikelihoodResult:
    """Evaluate the NLML (and its gradient in θ) of a zero-mean GP.

    Parameters
    ----------
    inputs : array_like (n, d)
    targets : array_like (n,)
    theta : array_like
        Log hyperparameters in the order of ``layout``.
    layout : HyperparameterLayout
    alpha : float
        Fixed value added to the diagonal, as scikit-learn's ``alpha``.
    gradient : bool
        Also compute the gradient.

    Returns
    -------
    LikelihoodResult

    Raises
    ------
    ValueError
        For invalid data or θ, or a covariance that is not positive definite
        even with the maximum jitter.
    """
    inputs, targets = check_data(inputs, targets)
    covariance, derivatives = covariance_and_derivatives(
        inputs, theta, layout, alpha, with_derivatives=gradient
    )
    factor, jitter = cholesky_with_jitter(covariance)
    weights = scipy.linalg.cho_solve((factor, True), targets, check_finite=False)
    n = len(targets)
    value = (
        0.5 * float(targets @ weights)
        + float(np.sum(np.log(np.diag(factor))))
        + 0.5 * n * math.log(2.0 * math.pi)
    )
    if not math.isfinite(value):
        raise ValueError(
            f"the negative log marginal likelihood is {value} at theta={list(theta)}; "
            "narrow the hyperparameter bounds"
        )
    result_gradient = None
    if gradient:
        inverse = scipy.linalg.cho_solve((factor, True), np.eye(n), check_finite=False)
        outer = np.outer(weights, weights) - inverse
        result_gradient = np.array(
            [-0.5 * float(np.sum(outer * derivative)) for derivative in derivatives]
        )
    return LikelihoodResult(value, result_gradient, factor, weights, jitter)

"""The negative log marginal likelihood of a GP as a potential over log hyperparameters.

Coordinates follow :class:`topograph.gp.likelihood.HyperparameterLayout`:
``log ℓ`` (one, or one per input dimension with ARD), ``log σ_f²``,
``log σ_n²`` and, when ν is free, ``log ν``. The box bounds are given in
natural units (``[low, high]`` per hyperparameter) and used in log space.

Energies and gradients are analytic (the ``log ν`` component is a
high-order difference, see :mod:`topograph.gp.matern`). The Hessian is the
central difference of the analytic gradient with step ``hessian_step`` per
coordinate (error ``O(h²)``). A Hessian-vector product is the central
difference of the gradient along the vector. A batch of points costs one
Cholesky factorisation of an ``n × n`` matrix per point.
"""

from __future__ import annotations

import numpy as np

from topograph.gp.likelihood import (
    HyperparameterLayout,
    check_data,
    negative_log_marginal_likelihood,
)
from topograph.potentials.base import Potential

# Largest upper bound of nu: below the kernel's limit of 60, so the
# difference nodes around log(nu) and rounding of exp(log nu) stay valid.
MAX_NU_BOUND = 50.0

# Natural-unit bounds for data standardised to zero mean and unit variance.
DEFAULT_BOUNDS = {
    "lengthscale": (1e-2, 1e2),
    "signal_variance": (1e-2, 1e2),
    "noise_variance": (1e-6, 1e1),
    "nu": (0.2, 50.0),
}


def check_bounds(bounds: dict | None) -> dict[str, tuple[float, float]]:
    """Return the bounds with defaults filled in, each ``(low, high)`` with 0 < low < high."""
    merged = dict(DEFAULT_BOUNDS)
    for name, value in (bounds or {}).items():
        if name not in DEFAULT_BOUNDS:
            raise ValueError(
                f"unknown bound {name!r}; valid names: {', '.join(DEFAULT_BOUNDS)}"
            )
        try:
            low, high = (float(item) for item in value)
        except (TypeError, ValueError):
            raise ValueError(
                f"invalid bound {name!r}: {value!r}; give [low, high] as two numbers"
            ) from None
        if not 0 < low < high < np.inf:
            raise ValueError(
                f"invalid bound {name!r}: [{low}, {high}]; give 0 < low < high < inf"
            )
        merged[name] = (low, high)
    if merged["nu"][1] > MAX_NU_BOUND:
        raise ValueError(
            f"the upper bound of nu is {merged['nu'][1]}, above {MAX_NU_BOUND:g}; lower "
            "it, or fix nu: inf for the squared-exponential limit"
        )
    return merged


class GPLikelihoodPotential(Potential):
    """NLML of a zero-mean GP with a Matérn kernel, over log hyperparameters.

    Parameters
    ----------
    inputs : array_like (n, d)
        Training inputs, used as given (standardise them first if wanted).
    targets : array_like (n,)
        Training targets, used as given.
    nu : float, "inf" or None
        The fixed smoothness, or ``None`` to make ``log ν`` a coordinate.
    ard : bool
        One length scale per input dimension.
    bounds : dict, optional
        ``{"lengthscale": [low, high], "signal_variance": ..., "noise_variance":
        ..., "nu": ...}`` in natural units; missing entries take
        ``DEFAULT_BOUNDS``.
    alpha : float
        Fixed value added to the covariance diagonal.
    hessian_step : float
        Step of the finite-difference Hessian, in log units.
    """

    backend = "numpy"
    device = "cpu"

    def __init__(
        self,
        inputs,
        targets,
        nu=None,
        ard: bool = False,
        bounds: dict | None = None,
        alpha: float = 0.0,
        hessian_step: float = 1e-4,
    ):
        self.inputs, self.targets = check_data(inputs, targets)
        if isinstance(nu, str):
            nu = float(nu)
        n_lengthscales = self.inputs.shape[1] if ard else 1
        self.layout = HyperparameterLayout(n_lengthscales, nu)
        self.dimension = self.layout.dimension
        self.alpha = float(alpha)
        if not hessian_step > 0:
            raise ValueError(f"hessian_step must be positive; got {hessian_step}")
        self.hessian_step = float(hessian_step)
        self.bounds = check_bounds(bounds)

        low = [np.log(self.bounds["lengthscale"][0])] * n_lengthscales
        high = [np.log(self.bounds["lengthscale"][1])] * n_lengthscales
        for name in ("signal_variance", "noise_variance") + (
            ("nu",) if self.layout.nu_free else ()
        ):
            low.append(np.log(self.bounds[name][0]))
            high.append(np.log(self.bounds[name][1]))
        self.lower_bounds = np.array(low)
        self.upper_bounds = np.array(high)
        # Largest jitter used in any evaluation so far (0 when none was needed).
        self.max_jitter = 0.0

    @property
    def names(self) -> list[str]:
        """Coordinate names."""
        return self.layout.names

    def evaluate(self, theta: np.ndarray, gradient: bool = True):
        """Return the :class:`~topograph.gp.likelihood.LikelihoodResult` at ``theta``."""
        result = negative_log_marginal_likelihood(
            self.inputs, self.targets, theta, self.layout, self.alpha, gradient
        )
        self.max_jitter = max(self.max_jitter, result.jitter)
        return result

    def energies_gradients(self, points):
        """Evaluate energies ``(n,)`` and gradients ``(n, d)`` at ``points (n, d)``."""
        points = np.asarray(points, dtype=np.float64)
        if points.ndim != 2 or points.shape[1] != self.dimension:
            raise ValueError(
                f"points must have shape (n, {self.dimension}); got {points.shape}"
            )
        energies = np.empty(len(points))
        gradients = np.empty_like(points)
        for row, theta in enumerate(points):
            result = self.evaluate(theta)
            energies[row] = result.value
            gradients[row] = result.gradient
        return energies, gradients

    def hessian(self, x):
        """Return the Hessian by central differences of the analytic gradient, symmetrised."""
        x = np.asarray(x, dtype=np.float64)
        h = self.hessian_step
        columns = []
        for j in range(self.dimension):
            step = np.zeros(self.dimension)
            step[j] = h
            _, gradients = self.energies_gradients(np.stack([x + step, x - step]))
            columns.append((gradients[0] - gradients[1]) / (2 * h))
        hessian = np.array(columns).T
        return 0.5 * (hessian + hessian.T)

    def hessian_vector_product(self, x, vector):
        """Return ``H(x) @ vector`` by a central difference of the gradient along it."""
        x = np.asarray(x, dtype=np.float64)
        vector = np.asarray(vector, dtype=np.float64)
        norm = float(np.linalg.norm(vector))
        if norm == 0.0:
            return np.zeros(self.dimension)
        step = self.hessian_step * vector / norm
        _, gradients = self.energies_gradients(np.stack([x + step, x - step]))
        return (gradients[0] - gradients[1]) / (2 * self.hessian_step) * norm

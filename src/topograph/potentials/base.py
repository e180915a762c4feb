"""The interface every potential implements.

A potential maps a point ``x`` of shape ``(dimension,)`` to an energy. Every
search in the engine works through :meth:`Potential.energies_gradients`,
which evaluates many points at once, so populations of basin-hopping walkers
and the images of an elastic band cost one call. Points and results at this
interface are float64 NumPy arrays whatever the backend; a torch backend
converts at the boundary and computes on its own device.
"""

from __future__ import annotations

import abc

import numpy as np


class Potential(abc.ABC):
    """An energy function with analytic derivatives.

    Subclasses implement :meth:`energies_gradients` and :meth:`hessian`;
    the single-point methods are derived from them. ``lower_bounds`` and
    ``upper_bounds`` are ``None`` for an unbounded space, else arrays of
    shape ``(dimension,)``.
    """

    dimension: int
    lower_bounds: np.ndarray | None = None
    upper_bounds: np.ndarray | None = None

    @abc.abstractmethod
    def energies_gradients(self, points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Evaluate energies ``(n,)`` and gradients ``(n, dimension)`` at ``points`` ``(n, dimension)``."""

    @abc.abstractmethod
    def hessian(self, x: np.ndarray) -> np.ndarray:
        """Return the analytic Hessian ``(dimension, dimension)`` at ``x``."""

    def hessian_vector_product(self, x: np.ndarray, vector: np.ndarray) -> np.ndarray:
        """Return ``H(x) @ vector``; subclasses override this when it is cheaper than the Hessian."""
        return self.hessian(x) @ np.asarray(vector, dtype=np.float64)

    def energies(self, points: np.ndarray) -> np.ndarray:
        """Evaluate energies ``(n,)`` at ``points`` ``(n, dimension)``."""
        return self.energies_gradients(points)[0]

    def energy_gradient(self, x: np.ndarray) -> tuple[float, np.ndarray]:
        energies, gradients = self.energies_gradients(np.asarray(x, dtype=np.float64)[None, :])
        return float(energies[0]), gradients[0]

    def energy(self, x: np.ndarray) -> float:
        return self.energy_gradient(x)[0]

    def gradient(self, x: np.ndarray) -> np.ndarray:
        return self.energy_gradient(x)[1]

    @property
    def bounded(self) -> bool:
        return self.lower_bounds is not None

    def bounds_list(self) -> list[tuple[float, float]] | None:
        """Return the bounds as ``[(low, high), ...]`` for SciPy, or ``None``."""
        if not self.bounded:
            return None
        return list(zip(self.lower_bounds.tolist(), self.upper_bounds.tolist()))

    def at_bounds(self, x: np.ndarray, tolerance: float = 1e-8) -> np.ndarray:
        """Return a boolean mask of the coordinates of ``x`` that lie on a bound."""
        if not self.bounded:
            return np.zeros(np.shape(x)[-1], dtype=bool)
        x = np.asarray(x)
        return (x - self.lower_bounds <= tolerance) | (self.upper_bounds - x <= tolerance)

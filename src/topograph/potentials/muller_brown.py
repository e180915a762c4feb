"""The Müller–Brown surface (Müller and Brown, Theor. Chim. Acta 53, 75, 1979).

E(x, y) = Σ_k A_k exp(q_k), with
q_k = a_k (x − x0_k)² + b_k (x − x0_k)(y − y0_k) + c_k (y − y0_k)².

It has three minima, near (−0.558, 1.442), (0.623, 0.028) and
(−0.050, 0.467) with energies about −146.70, −108.17 and −80.77, and two
first-order saddles. Each exponent q_k is quadratic, so the gradient
of a term T_k = A_k exp(q_k) is T_k ∇q_k and its Hessian is
T_k (∇q_k ∇q_kᵀ + ∇²q_k).
"""

from __future__ import annotations

import numpy as np

from topograph.potentials.base import BackendPotential

A = np.array([-200.0, -100.0, -170.0, 15.0])
a = np.array([-1.0, -1.0, -6.5, 0.7])
b = np.array([0.0, 0.0, 11.0, 0.6])
c = np.array([-10.0, -10.0, -6.5, 0.7])
x0 = np.array([1.0, 0.0, -0.5, -1.0])
y0 = np.array([0.0, 0.5, 1.5, 1.0])


class MullerBrown(BackendPotential):
    """The two-dimensional Müller–Brown potential, unbounded.

    Parameters
    ----------
    backend : {"numpy", "torch"}
        The array library that evaluates the potential.
    device : str, optional
        The torch device; ``None`` means the CPU.
    """

    dimension = 2

    def __init__(self, backend: str = "numpy", device=None):
        super().__init__(backend=backend, device=device)
        self._constants = self._to_backend(A, a, b, c, x0, y0)

    def _terms(self, points):
        """Return the terms T_k ``(n, 4)`` and ∂q_k/∂x, ∂q_k/∂y ``(n, 4)``."""
        A_, a_, b_, c_, x0_, y0_ = self._constants
        dx = points[:, 0:1] - x0_
        dy = points[:, 1:2] - y0_
        terms = A_ * self.array_backend.exp(a_ * dx**2 + b_ * dx * dy + c_ * dy**2)
        return terms, 2 * a_ * dx + b_ * dy, b_ * dx + 2 * c_ * dy

    def _energies_gradients_kernel(self, points):
        xp = self.array_backend
        terms, qx, qy = self._terms(points)
        energies = xp.sum(terms, axis=1)
        gradients = xp.stack(
            [xp.sum(terms * qx, axis=1), xp.sum(terms * qy, axis=1)], axis=1
        )
        return energies, gradients

    def _energies_kernel(self, points):
        return self.array_backend.sum(self._terms(points)[0], axis=1)

    def _hessians_kernel(self, points):
        xp = self.array_backend
        _, a_, b_, c_, _, _ = self._constants
        terms, qx, qy = self._terms(points)
        hxx = xp.sum(terms * (qx**2 + 2 * a_), axis=1)
        hxy = xp.sum(terms * (qx * qy + b_), axis=1)
        hyy = xp.sum(terms * (qy**2 + 2 * c_), axis=1)
        first_rows = xp.stack([hxx, hxy], axis=1)
        second_rows = xp.stack([hxy, hyy], axis=1)
        return xp.stack([first_rows, second_rows], axis=1)

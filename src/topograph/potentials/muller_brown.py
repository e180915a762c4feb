"""The Müller–Brown surface (Müller and Brown, Theor. Chim. Acta 53, 75, 1979).

E(x, y) = Σ_k A_k exp(a_k (x − x0_k)² + b_k (x − x0_k)(y − y0_k) + c_k (y − y0_k)²)
It has three minima and two first-order saddles.
"""

from __future__ import annotations

import numpy as np

from topograph.potentials.base import Potential

A = np.array([-200.0, -100.0, -170.0, 15.0])
a = np.array([-1.0, -1.0, -6.5, 0.7])
b = np.array([0.0, 0.0, 11.0, 0.6])
c = np.array([-10.0, -10.0, -6.5, 0.7])
x0 = np.array([1.0, 0.0, -0.5, -1.0])
y0 = np.array([0.0, 0.5, 1.5, 1.0])


class MullerBrown(Potential):
    """The two-dimensional Müller–Brown potential."""

    dimension = 2

    def energies_gradients(self, points):
        points = np.asarray(points, dtype=np.float64)
        dx = points[:, 0:1] - x0
        dy = points[:, 1:2] - y0
        terms = A * np.exp(a * dx**2 + b * dx * dy + c * dy**2)
        energies = terms.sum(axis=1)
        gradients = np.stack(
            [
                (terms * (2 * a * dx + b * dy)).sum(axis=1),
                (terms * (b * dx + 2 * c * dy)).sum(axis=1),
            ],
            axis=1,
        )
        return energies, gradients

    def hessian(self, x):
        x = np.asarray(x, dtype=np.float64)
        dx = x[0] - x0
        dy = x[1] - y0
        terms = A * np.exp(a * dx**2 + b * dx * dy + c * dy**2)
        gx = 2 * a * dx + b * dy
        gy = b * dx + 2 * c * dy
        hxx = (terms * (gx**2 + 2 * a)).sum()
        hxy = (terms * (gx * gy + b)).sum()
        hyy = (terms * (gy**2 + 2 * c)).sum()
        return np.array([[hxx, hxy], [hxy, hyy]])

"""The d-dimensional Schwefel function on the box [−500, 500]^d.

E(x) = 418.9829 d − Σ_i x_i sin(√|x_i|)

It is separable and highly multimodal; the global minimum is near
x_i = 420.9687 for every i, with E about 1.3e-5 d (418.9829 is the one-term
minimum rounded to four decimals, so E is not exactly zero there). With
s = √|x_i| the derivatives are

∂E/∂x_i = −(sin s + (s/2) cos s),
∂²E/∂x_i² = −sign(x_i) (3 cos s − s sin s) / (4 s),

and the Hessian is diagonal.
"""

from __future__ import annotations

import numpy as np

from topograph.potentials.base import BackendPotential

SCHWEFEL_OFFSET = 418.9829
SCHWEFEL_BOX = 500.0


class Schwefel(BackendPotential):
    """The Schwefel function in ``dimension`` dimensions, bounded by [−500, 500].

    Parameters
    ----------
    dimension : int
        Number of coordinates, at least 1.
    backend : {"numpy", "torch"}
        The array library that evaluates the potential.
    device : str, optional
        The torch device; ``None`` means the CPU.
    chunk_size : int, optional
        Points per chunk in batched evaluations.

    Notes
    -----
    The second derivative diverges as |x_i|^(−1/2) when x_i → 0 (with
    opposite signs on either side), so it has no value at x_i = 0. The
    Hessian returns 0 for that diagonal entry.
    """

    def __init__(
        self, dimension: int, backend: str = "numpy", device=None, chunk_size=None
    ):
        if isinstance(dimension, bool) or not isinstance(dimension, (int, np.integer)):
            raise ValueError(f"dimension must be a positive integer; got {dimension!r}")
        if dimension < 1:
            raise ValueError(f"dimension must be at least 1; got {dimension}")
        super().__init__(backend=backend, device=device, chunk_size=chunk_size)
        self.dimension = int(dimension)
        self.lower_bounds = np.full(self.dimension, -SCHWEFEL_BOX)
        self.upper_bounds = np.full(self.dimension, SCHWEFEL_BOX)

    def _rows_per_chunk(self):
        return max(1, (1 << 22) // self.dimension)

    def _energies_kernel(self, points):
        xp = self.array_backend
        roots = xp.sqrt(xp.abs(points))
        return SCHWEFEL_OFFSET * self.dimension - xp.sum(points * xp.sin(roots), axis=1)

    def _energies_gradients_kernel(self, points):
        xp = self.array_backend
        roots = xp.sqrt(xp.abs(points))
        sines = xp.sin(roots)
        energies = SCHWEFEL_OFFSET * self.dimension - xp.sum(points * sines, axis=1)
        gradients = -(sines + 0.5 * roots * xp.cos(roots))
        return energies, gradients

    def _second_derivatives(self, points):
        """Return the Hessian diagonals ``(n, d)``, with 0 where x_i = 0."""
        xp = self.array_backend
        roots = xp.sqrt(xp.abs(points))
        nonzero = roots > 0
        safe_roots = xp.where(nonzero, roots, 1.0)
        curvature = (
            -xp.sign(points)
            * (3.0 * xp.cos(safe_roots) - safe_roots * xp.sin(safe_roots))
            / (4.0 * safe_roots)
        )
        return xp.where(nonzero, curvature, 0.0)

    def _hessians_kernel(self, points):
        return self.array_backend.diag_embed(self._second_derivatives(points))

    def _hessian_vector_products_kernel(self, points, vectors):
        return self._second_derivatives(points) * vectors

    def _hessian_vector_rows_per_chunk(self):
        return self._rows_per_chunk()

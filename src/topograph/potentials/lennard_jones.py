"""Lennard-Jones clusters in reduced units (ε = σ = 1).

E = 4 Σ_{i<j} (r_ij^−12 − r_ij^−6), with the coordinates of n atoms
flattened to a vector (x_1, y_1, z_1, x_2, ...) of length 3n. The pair
minimum is at r = 2^(1/6) with E = −1.

For a pair at separation d = x_i − x_j, r = ‖d‖, with pair energy φ(r):
the gradient on atom i is Σ_j f_ij d_ij with f = φ'(r)/r, and the Hessian
block of atoms i ≠ j is −K_ij with K_ij = g_ij d dᵀ + f_ij I and
g = (φ'' − φ'/r)/r². The diagonal block of atom i is Σ_j K_ij, so
(H v)_i = Σ_j K_ij (v_i − v_j). For φ = 4(r^−12 − r^−6):
f = −24 (2 r^−14 − r^−8) and g = 4 (168 r^−16 − 48 r^−10).

Batches of clusters are evaluated together with arrays of shape
(clusters, n, n, 3), chunked so that each stays about 32 MiB or smaller.
"""

from __future__ import annotations

import numpy as np

from topograph.potentials.base import DEFAULT_CHUNK_ELEMENTS, BackendPotential


class LennardJonesCluster(BackendPotential):
    """A cluster of ``n_atoms`` Lennard-Jones atoms, unbounded.

    Parameters
    ----------
    n_atoms : int
        Number of atoms, at least 2. The dimension is ``3 * n_atoms``.
    backend : {"numpy", "torch"}
        The array library that evaluates the potential.
    device : str, optional
        The torch device; ``None`` means the CPU.
    chunk_size : int, optional
        Clusters per chunk in batched evaluations.

    Notes
    -----
    Two atoms at the same position give an infinite energy; nothing guards
    against it.
    """

    def __init__(
        self, n_atoms: int, backend: str = "numpy", device=None, chunk_size=None
    ):
        if isinstance(n_atoms, bool) or not isinstance(n_atoms, (int, np.integer)):
            raise ValueError(
                f"n_atoms must be an integer of at least 2; got {n_atoms!r}"
            )
        if n_atoms < 2:
            raise ValueError(f"n_atoms must be at least 2; got {n_atoms}")
        super().__init__(backend=backend, device=device, chunk_size=chunk_size)
        self.n_atoms = int(n_atoms)
        self.dimension = 3 * self.n_atoms
        xp = self.array_backend
        self._off_diagonal = 1.0 - xp.eye(self.n_atoms)
        self._eye_atoms = xp.eye(self.n_atoms)
        self._eye_space = xp.eye(3)

    def _rows_per_chunk(self):
        return max(1, DEFAULT_CHUNK_ELEMENTS // (3 * self.n_atoms**2))

    def _hessian_rows_per_chunk(self):
        return max(1, DEFAULT_CHUNK_ELEMENTS // (9 * self.n_atoms**2))

    def _pairs(self, points):
        """Return separations ``(m, n, n, 3)`` and 1/r² ``(m, n, n)``, 0 for i = j."""
        xp = self.array_backend
        atoms = points.reshape(points.shape[0], self.n_atoms, 3)
        separations = atoms[:, :, None, :] - atoms[:, None, :, :]
        squared = xp.sum(separations * separations, axis=3) + self._eye_atoms
        return separations, self._off_diagonal / squared

    def _energies_kernel(self, points):
        _, inverse_squared = self._pairs(points)
        inverse_sixth = inverse_squared**3
        pair_energies = 4.0 * (inverse_sixth**2 - inverse_sixth)
        return 0.5 * self.array_backend.sum(pair_energies, axis=(1, 2))

    def _energies_gradients_kernel(self, points):
        xp = self.array_backend
        separations, inverse_squared = self._pairs(points)
        inverse_sixth = inverse_squared**3
        pair_energies = 4.0 * (inverse_sixth**2 - inverse_sixth)
        energies = 0.5 * xp.sum(pair_energies, axis=(1, 2))
        forces = -24.0 * inverse_squared * (2.0 * inverse_sixth**2 - inverse_sixth)
        gradients = xp.einsum("mij,mijk->mik", forces, separations)
        return energies, gradients.reshape(points.shape[0], self.dimension)

    def _pair_curvatures(self, inverse_squared):
        """Return f = φ'/r and g = (φ'' − φ'/r)/r², both ``(m, n, n)``."""
        inverse_sixth = inverse_squared**3
        first = -24.0 * inverse_squared * (2.0 * inverse_sixth**2 - inverse_sixth)
        second = (
            4.0 * inverse_squared**2 * inverse_sixth * (168.0 * inverse_sixth - 48.0)
        )
        return first, second

    def _hessians_kernel(self, points):
        xp = self.array_backend
        m = points.shape[0]
        separations, inverse_squared = self._pairs(points)
        first, second = self._pair_curvatures(inverse_squared)

        # K_ij = g d dᵀ + f I, zero for i = j because f and g are.
        blocks = (
            second[..., None, None]
            * separations[..., :, None]
            * separations[..., None, :]
            + first[..., None, None] * self._eye_space
        )
        off_diagonal = -xp.permute(blocks, (0, 1, 3, 2, 4))
        diagonal = (
            self._eye_atoms[None, :, None, :, None]
            * xp.sum(blocks, axis=2)[:, :, :, None, :]
        )
        return (off_diagonal + diagonal).reshape(m, self.dimension, self.dimension)

    def _hessian_vector_products_kernel(self, points, vectors):
        xp = self.array_backend
        m = points.shape[0]
        separations, inverse_squared = self._pairs(points)
        first, second = self._pair_curvatures(inverse_squared)
        atom_vectors = vectors.reshape(m, self.n_atoms, 3)
        differences = atom_vectors[:, :, None, :] - atom_vectors[:, None, :, :]
        projections = xp.sum(separations * differences, axis=3)
        products = xp.einsum("mij,mijk->mik", second * projections, separations)
        products = products + xp.einsum("mij,mijk->mik", first, differences)
        return products.reshape(m, self.dimension)

    def _hessian_vector_rows_per_chunk(self):
        return self._rows_per_chunk()

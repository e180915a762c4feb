"""The roughness surface: minus a sum of anisotropic Gaussians.

With the Gaussians of :mod:`topograph.filltune.gaussians` (centre c_j, unit
direction n_j, peak A_j, variances a_j along and b_j across n_j), and
u_j = x − c_j, p_j = u_j · n_j, k_j = 1/a_j − 1/b_j,

    E(x) = −Σ_j g_j,   g_j = A_j exp(−½ [‖u_j‖² / b_j + k_j p_j²]),
    ∇E = Σ_j g_j m_j,  m_j = u_j / b_j + k_j p_j n_j,
    ∇²E = Σ_j g_j (I / b_j + k_j n_j n_jᵀ − m_j m_jᵀ).

Batches use matrix products only: ‖u_j‖² = ‖x‖² − 2 x·c_j + ‖c_j‖² and
p_j = x·n_j − c_j·n_j, and the sums over j of terms in x − c_j split into
x Σ_j w_j − Σ_j w_j c_j. A Hessian-vector product costs O(m d) per point
in the same way, without forming the d × d Hessian.
"""

from __future__ import annotations

import numpy as np

from topograph.filltune.gaussians import RoughnessGaussians
from topograph.potentials.base import DEFAULT_CHUNK_ELEMENTS, BackendPotential


class RoughnessSurface(BackendPotential):
    """The negated sum of anisotropic Gaussians, with analytic derivatives.

    Parameters
    ----------
    gaussians : RoughnessGaussians
        The bumps; their ``lower_bounds`` and ``upper_bounds`` are the box.
    bounds : "gaussians", None or (low, high), default "gaussians"
        The box of the surface: the one stored with the Gaussians, none, or
        scalars or arrays ``(d,)``.
    backend : {"numpy", "torch"}
    device : str, optional
    chunk_size : int, optional
        Points per chunk of batched evaluations; by default about
        ``2**22 / m`` for m Gaussians.
    """

    def __init__(
        self,
        gaussians: RoughnessGaussians,
        bounds="gaussians",
        backend: str = "numpy",
        device=None,
        chunk_size=None,
    ):
        super().__init__(backend=backend, device=device, chunk_size=chunk_size)
        _check_gaussians(gaussians)
        self.gaussians = gaussians
        self.dimension = gaussians.dimension
        if isinstance(bounds, str) and bounds == "gaussians":
            self.lower_bounds = gaussians.lower_bounds
            self.upper_bounds = gaussians.upper_bounds
        elif bounds is None:
            self.lower_bounds = self.upper_bounds = None
        else:
            low, high = bounds
            self.lower_bounds = np.broadcast_to(
                np.asarray(low, float), (self.dimension,)
            ).copy()
            self.upper_bounds = np.broadcast_to(
                np.asarray(high, float), (self.dimension,)
            ).copy()
            if (self.lower_bounds >= self.upper_bounds).any():
                raise ValueError(
                    f"every lower bound must be below its upper bound; got {bounds!r}"
                )

        centres = gaussians.centres
        directions = gaussians.directions
        across = gaussians.across_variances
        along = gaussians.along_variances
        (
            self._centres,
            self._directions,
            self._peaks,
            self._inverse_across,
            self._curvature_difference,
            self._centre_squares,
            self._centre_projections,
        ) = self._to_backend(
            centres,
            directions,
            gaussians.peaks,
            1.0 / across,
            1.0 / along - 1.0 / across,
            np.einsum("ij,ij->i", centres, centres),
            np.einsum("ij,ij->i", centres, directions),
        )

    @property
    def n_gaussians(self) -> int:
        """Number of Gaussians."""
        return self.gaussians.n_gaussians

    def _rows_per_chunk(self):
        return max(1, DEFAULT_CHUNK_ELEMENTS // (4 * self.n_gaussians))

    def _hessian_vector_rows_per_chunk(self):
        return self._rows_per_chunk()

    def _hessian_rows_per_chunk(self):
        size = max(self.n_gaussians * self.dimension, self.dimension * self.dimension)
        return max(1, DEFAULT_CHUNK_ELEMENTS // size)

    def _heights_projections(self, points):
        """Return g ``(n, m)`` and p ``(n, m)`` for a chunk of points."""
        xp = self.array_backend
        squared = (
            xp.rowwise_dot(points, points)[:, None]
            - 2.0 * (points @ self._centres.T)
            + self._centre_squares
        )
        # Rounding can make a tiny squared distance negative.
        squared = xp.where(squared > 0, squared, 0.0)
        projections = points @ self._directions.T - self._centre_projections
        exponent = (
            squared * self._inverse_across + self._curvature_difference * projections**2
        )
        return self._peaks * xp.exp(-0.5 * exponent), projections

    def _energies_kernel(self, points):
        heights, _ = self._heights_projections(points)
        return -self.array_backend.sum(heights, axis=1)

    def _energies_gradients_kernel(self, points):
        xp = self.array_backend
        heights, projections = self._heights_projections(points)
        energies = -xp.sum(heights, axis=1)
        weights = heights * self._inverse_across
        along = heights * projections * self._curvature_difference
        gradients = (
            points * xp.sum(weights, axis=1)[:, None]
            - weights @ self._centres
            + along @ self._directions
        )
        return energies, gradients

    def _hessian_vector_products_kernel(self, points, vectors):
        xp = self.array_backend
        heights, projections = self._heights_projections(points)
        direction_dots = vectors @ self._directions.T
        offset_dots = (
            xp.rowwise_dot(points, vectors)[:, None] - vectors @ self._centres.T
        )
        # t_j = m_j · v
        slopes = offset_dots * self._inverse_across + (
            self._curvature_difference * projections * direction_dots
        )
        weights = heights * self._inverse_across
        isotropic = vectors * xp.sum(weights, axis=1)[:, None]
        along = (
            heights * self._curvature_difference * direction_dots
        ) @ self._directions
        outer_weights = heights * slopes * self._inverse_across
        outer = (
            points * xp.sum(outer_weights, axis=1)[:, None]
            - outer_weights @ self._centres
            + (heights * slopes * projections * self._curvature_difference)
            @ self._directions
        )
        return isotropic + along - outer

    def _hessians_kernel(self, points):
        xp = self.array_backend
        heights, projections = self._heights_projections(points)
        identity = xp.eye(self.dimension)
        hessians = []
        for row in range(points.shape[0]):
            height = heights[row]
            slopes = (points[row][None, :] - self._centres) * self._inverse_across[
                :, None
            ] + (
                (self._curvature_difference * projections[row])[:, None]
                * self._directions
            )
            hessian = xp.sum(height * self._inverse_across, axis=0) * identity
            hessian = hessian + (
                self._directions.T
                @ ((height * self._curvature_difference)[:, None] * self._directions)
            )
            hessian = hessian - slopes.T @ (height[:, None] * slopes)
            hessians.append(hessian)
        return xp.stack(hessians, axis=0)


def _check_gaussians(gaussians: RoughnessGaussians) -> None:
    """Raise ValueError for inconsistent shapes or non-positive parameters."""
    m, d = gaussians.centres.shape
    for name in ("directions",):
        if getattr(gaussians, name).shape != (m, d):
            raise ValueError(
                f"{name} must have shape ({m}, {d}) like the centres; got "
                f"{getattr(gaussians, name).shape}"
            )
    for name in ("peaks", "along_variances", "across_variances"):
        values = getattr(gaussians, name)
        if values.shape != (m,):
            raise ValueError(f"{name} must have shape ({m},); got {values.shape}")
        if not (np.isfinite(values).all() and (values > 0).all()):
            raise ValueError(f"{name} must be finite and positive")
    if m == 0:
        raise ValueError("the roughness surface needs at least one Gaussian; got none")

"""A thin-plate-spline RBF interpolant of a data set, used as a landscape.

The interpolant of centres y_j (N, d) with values f_j is

    E(x) = Σ_j w_j φ(‖x − y_j‖) + c_0 + Σ_k c_k (x_k − m_k) / s_k,

with φ(r) = r² log r (φ(0) = 0) and a degree-1 polynomial tail whose
inputs are shifted and scaled to [−1, 1] by the midpoint m and half-range s
of the centres (a range of zero is replaced by one). This is the model of
``scipy.interpolate.RBFInterpolator(kernel="thin_plate_spline", degree=1)``
with its default epsilon of 1. The weights solve the saddle-point system

    [K + diag(λ)  P] [w]   [f]
    [Pᵀ           0] [c] = [0],    K_ij = φ(‖y_i − y_j‖), P = [1, (y − m)/s],

where λ is the smoothing (0 interpolates the data exactly). The scaled
polynomial columns keep the system well conditioned for data of any range.

Derivatives, with r = ‖x − y_j‖, ψ(r) = φ'(r)/r = 2 log r + 1:

    ∇E = Σ_j w_j ψ(r_j) (x − y_j) + c_1:/s,
    ∇²E = (Σ_j w_j ψ(r_j)) I + Σ_j (2 w_j / r_j²) (x − y_j)(x − y_j)ᵀ.

Each centre's gradient term r (2 log r + 1) u tends to zero as r → 0 and
is set to zero at r = 0. Its Hessian term diverges like log r there, so
the Hessian and its products leave out a centre that coincides with x.

Energies and gradients of many points, the hot path of basin-hopping, use
matrix products: ‖x − y‖² = ‖x‖² − 2 x·y + ‖y‖² (one product of
[x, ‖x‖², 1] with [−2 y, 1, ‖y‖²]) and
Σ_j a_ij (x_i − y_j) = x_i Σ_j a_ij − (a Y)_i. They run in chunks of points
so that each work array contains at most about 2**22 numbers (32 MiB),
whatever the number of points. Coordinates are shifted by m first, which
keeps ‖x‖² small and the cancellation in the distance formula mild.

NOTE: the expanded distance still loses digits very close to a centre. For
data in the unit cube (d = 32, 500 centres) the gradient's relative error
was 1e-14 at distance 1e-2 from a centre, 1e-11 at 1e-6 and 4e-8 at 1e-8.
Hessian-vector products form the differences x − y_j directly, in O(N d)
per point, and never the d × d Hessian.
"""

from __future__ import annotations

import logging

import numpy as np
from scipy.linalg import svdvals
from scipy.linalg.lapack import dgesv
from scipy.spatial.distance import cdist

from topograph.potentials.base import DEFAULT_CHUNK_ELEMENTS, BackendPotential
from topograph.potentials.messages import describe_rows

logger = logging.getLogger(__name__)


def _thin_plate_spline_in_place(distances: np.ndarray) -> None:
    """Replace ``distances`` by φ(r) = r² log r, with φ(0) = 0, row by row.

    Working on one row at a time avoids temporaries of the full (N, N) size.
    """
    for row in distances:
        positive = row > 0
        row[positive] = row[positive] ** 2 * np.log(row[positive])


class RBFInterpolant(BackendPotential):
    """Thin-plate-spline RBF interpolant with a degree-1 polynomial tail.

    Parameters
    ----------
    points : array_like, shape (N, d)
        The centres (data inputs), finite, with N ≥ d + 1.
    values : array_like, shape (N,)
        The data values at the centres, finite.
    smoothing : float or array_like of shape (N,), default 0.0
        Non-negative values added to the diagonal of the kernel matrix; 0
        interpolates the data exactly.
    bounds : None, "data" or (low, high), default None
        ``None`` leaves the landscape unbounded, and ``"data"`` bounds it by
        the bounding box of ``points``. ``(low, high)`` takes scalars or
        arrays of shape ``(d,)``.
    backend : {"numpy", "torch"}
        The array library that evaluates the potential.
    device : str, optional
        The torch device; ``None`` means the CPU.
    chunk_size : int, optional
        Points per chunk in batched evaluations; by default about
        ``2**22 / N``.

    Attributes
    ----------
    weights : ndarray, shape (N,)
        The kernel weights w.
    polynomial_coefficients : ndarray, shape (d + 1,)
        c_0, then the coefficients of the scaled inputs.
    shift, scale : ndarray, shape (d,)
        Midpoint and half-range of the centres that scale the polynomial.
    scaling : MinMaxScaling or None
        The scaling of inputs and response to [0, 1] applied before the fit
        (see :mod:`topograph.potentials.scaling`), or ``None``.

    Raises
    ------
    ValueError
        If the shapes disagree, the data contain NaN or infinity, or the
        smoothing is negative. Also if there are fewer than d + 1 points,
        points repeat where the smoothing is 0, or the points lie in a lower
        dimensional affine subspace, because the system is then singular.
    """

    # The min-max scaling applied to the data before fitting, or None. The
    # registry sets it for a description with ``scale: true``.
    scaling = None

    def __init__(
        self,
        points,
        values,
        smoothing=0.0,
        bounds=None,
        backend: str = "numpy",
        device=None,
        chunk_size=None,
    ):
        super().__init__(backend=backend, device=device, chunk_size=chunk_size)
        points, values, smoothing = _check_data(points, values, smoothing)
        self.points = points
        self.values = values
        self.smoothing = smoothing
        self.dimension = points.shape[1]
        self.lower_bounds, self.upper_bounds = _parse_bounds(bounds, points)
        self._fit()

    def _fit(self) -> None:
        """Solve the saddle-point system for the weights and the polynomial."""
        points = self.points
        n_points, dimension = points.shape
        minimum = points.min(axis=0)
        maximum = points.max(axis=0)
        self.shift = (maximum + minimum) / 2
        scale = (maximum - minimum) / 2
        self.scale = np.where(scale == 0.0, 1.0, scale)
        polynomial = np.hstack(
            [np.ones((n_points, 1)), (points - self.shift) / self.scale]
        )
        _check_polynomial_rank(polynomial, scale)

        size = n_points + dimension + 1
        system = np.zeros((size, size))
        system[:n_points, :n_points] = cdist(points, points)
        _thin_plate_spline_in_place(system[:n_points, :n_points])
        system[np.arange(n_points), np.arange(n_points)] += self.smoothing
        system[:n_points, n_points:] = polynomial
        system[n_points:, :n_points] = polynomial.T
        right_hand_side = np.zeros(size)
        right_hand_side[:n_points] = self.values

        # LU with partial pivoting (LAPACK dgesv), as RBFInterpolator of SciPy
        # 1.17 solves it. The system is symmetric, so its transpose, a
        # Fortran-ordered view, is the same matrix and LAPACK needs no copy.
        _, _, solution, info = dgesv(
            system.T, right_hand_side, overwrite_a=True, overwrite_b=True
        )
        if info > 0:
            raise ValueError(
                f"the RBF interpolation system of {n_points} points is singular "
                f"(zero pivot {info} in its LU factorisation); set smoothing > 0 "
                "or remove nearly repeated points"
            )
        self.weights = solution[:n_points]
        self.polynomial_coefficients = solution[n_points:]
        logger.debug(
            "fitted a thin-plate-spline RBF interpolant to %d points in %d dimensions",
            n_points,
            dimension,
        )

        # Constants of the evaluation, in the backend's arrays.
        centres = points - self.shift
        # Rows [−2 y_j, 1, ‖y_j‖²], so that [x, ‖x‖², 1] times their transpose
        # gives ‖x − y_j‖² in one matrix product.
        augmented_centres = np.hstack(
            [
                -2.0 * centres,
                np.ones((n_points, 1)),
                np.einsum("ij,ij->i", centres, centres)[:, None],
            ]
        )
        self._centres, self._augmented_centres, self._weights = self._to_backend(
            centres, augmented_centres, self.weights
        )
        self._shift, self._linear = self._to_backend(
            self.shift, self.polynomial_coefficients[1:] / self.scale
        )
        self._constant = float(self.polynomial_coefficients[0])
        self._weight_sum = float(self.weights.sum())
        (self._weighted_centre_sum,) = self._to_backend(self.weights @ centres)

    # Chunk sizes: each work array contains about DEFAULT_CHUNK_ELEMENTS numbers.

    def _rows_per_chunk(self):
        return max(1, DEFAULT_CHUNK_ELEMENTS // self.points.shape[0])

    def _hessian_vector_rows_per_chunk(self):
        return max(1, DEFAULT_CHUNK_ELEMENTS // self.points.size)

    def _hessian_rows_per_chunk(self):
        return max(
            1,
            DEFAULT_CHUNK_ELEMENTS
            // max(self.points.size, self.dimension * self.dimension),
        )

    # Kernels.

    def _log_squared_distances(self, shifted):
        """Return r² = ‖x − y_j‖² ``(n, N)`` and log r², which is 0 where r² ≤ 0."""
        xp = self.array_backend
        augmented = xp.concatenate(
            [
                shifted,
                xp.rowwise_dot(shifted, shifted)[:, None],
                xp.ones((shifted.shape[0], 1)),
            ],
            axis=1,
        )
        squared = augmented @ self._augmented_centres.T
        return squared, xp.log_or_zero(squared)

    def _energies_kernel(self, points):
        shifted = points - self._shift
        squared, logs = self._log_squared_distances(shifted)
        # φ(r) = r² log r = ½ r² log r².
        logs *= squared
        kernel_sums = 0.5 * (logs @ self._weights)
        return kernel_sums + self._constant + shifted @ self._linear

    def _energies_gradients_kernel(self, points):
        xp = self.array_backend
        shifted = points - self._shift
        squared, weighted_logs = self._log_squared_distances(shifted)
        # In place, to save one (n, N) array: w_j log r_ij².
        weighted_logs *= self._weights
        energies = 0.5 * xp.rowwise_dot(squared, weighted_logs)
        energies = energies + self._constant + shifted @ self._linear

        # a_ij = w_j ψ(r_ij) = w_j (log r² + 1), and Σ_j a_ij (x_i − y_j)
        # = x_i Σ_j a_ij − Σ_j a_ij y_j. Where r = 0 the log is 0, so the
        # term is w_j (x_i − y_j) = 0 up to rounding.
        coefficient_sums = xp.sum(weighted_logs, axis=1) + self._weight_sum
        centre_sums = weighted_logs @ self._centres + self._weighted_centre_sum
        gradients = shifted * coefficient_sums[:, None] - centre_sums + self._linear
        return energies, gradients

    def _pair_curvatures(self, differences):
        """Return Σ_j w_j ψ(r_j) ``(n,)`` and 2 w_j / r_j² ``(n, N)`` from x − y_j.

        A centre at distance 0 is left out of both.
        """
        xp = self.array_backend
        squared = xp.sum(differences * differences, axis=2)
        nonzero = squared > 0
        logs = xp.log_or_zero(squared)
        isotropic = xp.sum(xp.where(nonzero, (logs + 1.0) * self._weights, 0.0), axis=1)
        safe_squared = xp.where(nonzero, squared, 1.0)
        outer = xp.where(nonzero, 2.0 * self._weights / safe_squared, 0.0)
        return isotropic, outer

    def _hessian_vector_products_kernel(self, points, vectors):
        xp = self.array_backend
        differences = (points - self._shift)[:, None, :] - self._centres[None, :, :]
        isotropic, outer = self._pair_curvatures(differences)
        projections = xp.einsum("njd,nd->nj", differences, vectors)
        products = xp.einsum("nj,njd->nd", outer * projections, differences)
        return isotropic[:, None] * vectors + products

    def _hessians_kernel(self, points):
        xp = self.array_backend
        identity = xp.eye(self.dimension)
        hessians = []
        for x in points:
            differences = (x - self._shift)[None, :] - self._centres
            isotropic, outer = self._pair_curvatures(differences[None])
            weighted = differences * outer[0][:, None]
            hessians.append(isotropic[0] * identity + weighted.T @ differences)
        return xp.stack(hessians, axis=0)


def _check_data(points, values, smoothing):
    """Validate and convert the data; raise ValueError naming bad rows."""
    points = np.array(points, dtype=np.float64)
    values = np.array(values, dtype=np.float64)
    if points.ndim != 2:
        raise ValueError(f"points must have shape (N, d); got {points.shape}")
    n_points, dimension = points.shape
    if values.shape != (n_points,):
        raise ValueError(
            f"values must have shape ({n_points},) to match points; got {values.shape}"
        )
    bad_points = np.flatnonzero(~np.isfinite(points).all(axis=1))
    if bad_points.size:
        raise ValueError(
            f"points contain NaN or infinite values in {describe_rows(bad_points)} "
            "(counting from 0); remove or impute these rows"
        )
    bad_values = np.flatnonzero(~np.isfinite(values))
    if bad_values.size:
        raise ValueError(
            f"values contain NaN or infinite values in {describe_rows(bad_values)} "
            "(counting from 0); remove or impute these rows"
        )
    if n_points < dimension + 1:
        raise ValueError(
            f"a degree-1 polynomial tail in {dimension} dimensions needs at least "
            f"{dimension + 1} points; got {n_points}"
        )

    smoothing = np.array(smoothing, dtype=np.float64)
    if smoothing.ndim == 0:
        smoothing = np.full(n_points, float(smoothing))
    if smoothing.shape != (n_points,):
        raise ValueError(
            f"smoothing must be a number or have shape ({n_points},); "
            f"got shape {smoothing.shape}"
        )
    if not np.isfinite(smoothing).all() or (smoothing < 0).any():
        raise ValueError(
            "smoothing must be finite and non-negative; got values in "
            f"[{smoothing.min()}, {smoothing.max()}]"
        )

    _check_repeated_points(points, smoothing)
    return points, values, smoothing


def _check_repeated_points(points, smoothing) -> None:
    """Raise ValueError if two points are equal and either has zero smoothing."""
    _, inverse, counts = np.unique(
        points, axis=0, return_inverse=True, return_counts=True
    )
    inverse = inverse.reshape(-1)
    for group in np.flatnonzero(counts > 1):
        rows = np.flatnonzero(inverse == group)
        if (smoothing[rows] == 0).any():
            raise ValueError(
                f"points in {describe_rows(rows)} (counting from 0) are "
                "identical, and with zero smoothing the interpolation system is "
                "singular; merge repeated points (for example average their "
                "values) or set smoothing > 0"
            )


def _check_polynomial_rank(polynomial, half_ranges) -> None:
    """Raise ValueError unless the polynomial matrix ``(N, d + 1)`` has full rank."""
    constant = np.flatnonzero(half_ranges == 0.0)
    if constant.size:
        raise ValueError(
            f"input {describe_rows(constant, 'column')} (counting from 0) "
            f"{'is' if constant.size == 1 else 'are'} constant over all points, so "
            "the linear polynomial tail is not determined; drop constant columns"
        )
    singular_values = svdvals(polynomial)
    tolerance = singular_values[0] * max(polynomial.shape) * np.finfo(np.float64).eps
    rank = int((singular_values > tolerance).sum())
    if rank < polynomial.shape[1]:
        raise ValueError(
            f"the points lie in an affine subspace of dimension {rank - 1} of the "
            f"{polynomial.shape[1] - 1}-dimensional input space, so the linear "
            "polynomial tail is not determined; remove linearly dependent input "
            "columns (for example by PCA)"
        )


def _parse_bounds(bounds, points):
    """Return ``(lower, upper)`` arrays, or ``(None, None)`` for no bounds."""
    dimension = points.shape[1]
    if bounds is None:
        return None, None
    if isinstance(bounds, str):
        if bounds == "data":
            return points.min(axis=0), points.max(axis=0)
        raise ValueError(f"bounds must be None, 'data' or (low, high); got {bounds!r}")
    try:
        low, high = bounds
    except (TypeError, ValueError):
        raise ValueError(
            f"bounds must be None, 'data' or (low, high); got {bounds!r}"
        ) from None
    try:
        lower = np.broadcast_to(np.asarray(low, dtype=np.float64), (dimension,))
        upper = np.broadcast_to(np.asarray(high, dtype=np.float64), (dimension,))
    except (TypeError, ValueError):
        raise ValueError(
            f"bounds (low, high) must be numbers or arrays of shape ({dimension},); "
            f"got {bounds!r}"
        ) from None
    lower = lower.copy()
    upper = upper.copy()
    if not (np.isfinite(lower).all() and np.isfinite(upper).all()):
        raise ValueError(f"bounds must be finite; got {bounds!r}")
    if (lower >= upper).any():
        raise ValueError(
            f"every lower bound must be below its upper bound; got {bounds!r}"
        )
    return lower, upper

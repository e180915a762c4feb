"""The K-means cost over the cluster centres, smoothed for saddle searches.

For data x_1..x_N in d dimensions and K centres μ_1..μ_K, flattened to one
vector (μ_1, μ_2, ...) of length K·d, the K-means cost is

    E(μ) = Σ_n min_k ‖x_n − μ_k‖².

It is piecewise quadratic: inside a region of fixed assignments it is a
convex quadratic, and its gradient jumps where a point changes cluster. Its
minima are the fixed points of Lloyd's algorithm. Between two neighbouring
assignment regions the cost is the minimum of two quadratics, with a
concave kink on the boundary, and a transition state of the cost is the
lowest point of that boundary. No gradient-based saddle search converges
on a kink, so the landscape engine maps the soft-min cost

    E_T(μ) = −T Σ_n ln Σ_k exp(−‖x_n − μ_k‖² / T),

which is smooth and satisfies E − N·T·ln K ≤ E_T ≤ E. As T → 0 its minima
tend to Lloyd fixed points and its saddles to the lowest points of the
boundaries between assignment regions. Every stationary point is reported
with its exact hard cost :meth:`KMeansCost.hard_costs`, and the minima are
polished to exact Lloyd fixed points by :mod:`topograph.kmeans.lloyd`.

The smoothing temperature is ``T = smoothing · s²`` with s² the mean
squared distance of the points to their mean (the one-cluster cost divided
by N), so one ``smoothing`` value means the same blur on raw and
standardised data. A point is shared between two centres a distance D apart
while its squared distances to them differ by less than about T, which is a
slab of width T/(2D) around their bisector: with the default 0.01 and D = s,
half a percent of s.

NOTE: smaller temperatures make the ridges between assignment regions
narrower and stiffer for the saddle searches. At 0.01, searches between the
minima of Iris with outliers succeed for most pairs, but no elastic band (8
to 40 images tried) resolves the barrier of about 0.25 above the shallow
Iris minimum at cost 142.75 (K = 3, no outliers): the saddle lies within
1/40 of the path from that minimum, so the band has no interior maximum.

With responsibilities r_nk = softmax_k(−‖x_n − μ_k‖²/T), R_k = Σ_n r_nk and
g_nk = 2(μ_k − x_n), the derivatives are

    ∂E_T/∂μ_k = Σ_n r_nk g_nk,
    H_kl = δ_kl (2 R_k I − Σ_n r_nk g_nk g_nkᵀ / T) + Σ_n r_nk r_nl g_nk g_nlᵀ / T,

and the Hessian-vector product needs only s_nk = g_nk·v_k:
(Hv)_k = 2 R_k v_k − Σ_n r_nk (s_nk − Σ_l r_nl s_nl) g_nk / T.

Data are checked when the potential is built: NaN or infinite values, and
more clusters than distinct points, raise ValueError. Duplicate points are
kept, because they are data with a weight, and counted in
``n_duplicate_points``.
"""

from __future__ import annotations

import logging

import numpy as np

from topograph.database.alignment import PermutationAligner
from topograph.potentials.base import DEFAULT_CHUNK_ELEMENTS, BackendPotential
from topograph.potentials.messages import describe_rows

logger = logging.getLogger(__name__)

# Smoothing temperature as a fraction of the data's mean squared distance to
# its mean; see the module docstring.
DEFAULT_SMOOTHING = 0.01


def check_kmeans_data(points, n_clusters, source: str = "the data") -> tuple[np.ndarray, int]:
    """Validate K-means data and the number of clusters.

    Parameters
    ----------
    points : array_like (N, d)
        Data points, one per row.
    n_clusters : int
        Number of clusters K.
    source : str
        Name of the data in error messages (a file name, for example).

    Returns
    -------
    points : ndarray (N, d)
        The points as float64.
    n_distinct : int
        Number of distinct points.

    Raises
    ------
    ValueError
        If the points are not a non-empty 2-D table of finite numbers, or K is
        not an integer between 1 and the number of distinct points.
    """
    try:
        points = np.array(points, dtype=np.float64)
    except (TypeError, ValueError) as error:
        raise ValueError(f"{source} must be a table of numbers ({error})") from None
    if points.ndim != 2 or points.shape[0] == 0 or points.shape[1] == 0:
        raise ValueError(
            f"{source} must be a table of shape (N, d) with at least one row and one "
            f"feature column; got shape {points.shape}"
        )
    bad = np.flatnonzero(~np.isfinite(points).all(axis=1))
    if bad.size:
        raise ValueError(
            f"{source} contains NaN or infinite values in {describe_rows(bad)} "
            "(counting from 0); remove or impute these rows before clustering"
        )
    if isinstance(n_clusters, bool) or not isinstance(n_clusters, (int, np.integer)):
        raise ValueError(f"n_clusters must be a positive integer; got {n_clusters!r}")
    n_distinct = int(np.unique(points, axis=0).shape[0])
    if not 1 <= n_clusters <= n_distinct:
        raise ValueError(
            f"n_clusters={n_clusters} is invalid for {source}, which has "
            f"{n_distinct} distinct points; choose K between 1 and {n_distinct}"
        )
    return points, n_distinct


class KMeansCost(BackendPotential):
    """The soft-min K-means cost of K centres, with exact hard costs on request.

    Parameters
    ----------
    points : array_like (N, d)
        Data points.
    n_clusters : int
        Number of centres K; the dimension is K·d.
    smoothing : float
        Smoothing temperature as a fraction of the data's mean squared
        distance to its mean (> 0). Ignored when ``temperature`` is given.
    temperature : float, optional
        Smoothing temperature T in squared data units (> 0).
    spread : float, optional
        The data's mean squared distance to its mean, which ``smoothing``
        multiplies; computed from ``points`` by default. The K-means study
        passes the spread of the points without outliers, so that adding
        outliers does not change the smoothing.
    backend, device, chunk_size
        As for :class:`~topograph.potentials.base.BackendPotential`.

    Attributes
    ----------
    points : ndarray (N, d)
    n_clusters, n_features : int
    temperature : float
    spread : float
        Mean squared distance of the points to their mean.
    n_duplicate_points : int
        Rows that repeat an earlier row.
    aligner : PermutationAligner
        Compares two centre vectors after the best relabelling of the
        centres; the landscape engine uses it to find duplicate minima.
    """

    def __init__(
        self,
        points,
        n_clusters: int,
        smoothing: float = DEFAULT_SMOOTHING,
        temperature: float | None = None,
        spread: float | None = None,
        backend: str = "numpy",
        device=None,
        chunk_size=None,
    ):
        points, n_distinct = check_kmeans_data(points, n_clusters)
        super().__init__(backend=backend, device=device, chunk_size=chunk_size)
        self.points = points
        self.n_clusters = int(n_clusters)
        self.n_features = points.shape[1]
        self.dimension = self.n_clusters * self.n_features
        self.n_duplicate_points = points.shape[0] - n_distinct
        if self.n_duplicate_points:
            logger.info(
                "the data contain %d duplicate rows; they are kept and weigh as often as they occur",
                self.n_duplicate_points,
            )
        if spread is None:
            spread = float(np.mean(np.sum((points - points.mean(axis=0)) ** 2, axis=1)))
        if not (np.isfinite(spread) and spread >= 0):
            raise ValueError(f"spread must be a finite number >= 0; got {spread!r}")
        self.spread = float(spread)
        if temperature is None:
            if not (np.isfinite(smoothing) and smoothing > 0):
                raise ValueError(f"smoothing must be a positive number; got {smoothing!r}")
            # One distinct point has no spread, so any positive scale will do.
            temperature = float(smoothing) * (self.spread if self.spread > 0 else 1.0)
        if not (np.isfinite(temperature) and temperature > 0):
            raise ValueError(f"temperature must be a positive number; got {temperature!r}")
        self.temperature = float(temperature)
        self.aligner = PermutationAligner(self.n_clusters, self.n_features)
        self._points = self.array_backend.asarray(points)

    # Per-chunk work arrays have N·K·d elements per configuration.
    def _rows_per_chunk(self):
        return max(1, DEFAULT_CHUNK_ELEMENTS // (self.points.shape[0] * self.dimension))

    def _hessian_rows_per_chunk(self):
        per_row = self.points.shape[0] * self.dimension + 2 * self.dimension**2
        return max(1, DEFAULT_CHUNK_ELEMENTS // per_row)

    def _hessian_vector_rows_per_chunk(self):
        return self._rows_per_chunk()

    # Reductions the array backends do not share.

    def _min_over_clusters(self, array):
        if self.backend == "torch":
            return array.amin(dim=-1)
        return np.min(array, axis=-1)

    def _log(self, array):
        if self.backend == "torch":
            return array.log()
        return np.log(array)

    def _geometry(self, points):
        """Return offsets μ_k − x_n ``(m, N, K, d)`` and squared distances ``(m, N, K)``."""
        xp = self.array_backend
        centres = points.reshape(points.shape[0], self.n_clusters, self.n_features)
        offsets = centres[:, None, :, :] - self._points[None, :, None, :]
        return offsets, xp.sum(offsets * offsets, axis=3)

    def _soft_min(self, squared):
        """Return the soft-min costs ``(m,)`` and responsibilities ``(m, N, K)``."""
        xp = self.array_backend
        nearest = self._min_over_clusters(squared)
        weights = xp.exp(-(squared - nearest[..., None]) / self.temperature)
        totals = xp.sum(weights, axis=2)
        per_point = nearest - self.temperature * self._log(totals)
        return xp.sum(per_point, axis=1), weights / totals[..., None]

    def _energies_kernel(self, points):
        _, squared = self._geometry(points)
        return self._soft_min(squared)[0]

    def _energies_gradients_kernel(self, points):
        xp = self.array_backend
        offsets, squared = self._geometry(points)
        energies, responsibilities = self._soft_min(squared)
        gradients = 2.0 * xp.einsum("mnk,mnki->mki", responsibilities, offsets)
        return energies, gradients.reshape(points.shape[0], self.dimension)

    def _hessians_kernel(self, points):
        xp = self.array_backend
        m, n_clusters, d = points.shape[0], self.n_clusters, self.n_features
        offsets, squared = self._geometry(points)
        _, responsibilities = self._soft_min(squared)
        slopes = 2.0 * offsets
        totals = xp.sum(responsibilities, axis=1)

        within = xp.einsum("mnk,mnki,mnkj->mkij", responsibilities, slopes, slopes)
        diagonal_blocks = (
            2.0 * totals[..., None, None] * xp.eye(d) - within / self.temperature
        )
        weighted = responsibilities[..., None] * slopes
        between = xp.einsum("mnki,mnlj->mkilj", weighted, weighted) / self.temperature
        diagonal = xp.einsum("kl,mkij->mkilj", xp.eye(n_clusters), diagonal_blocks)
        return (between + diagonal).reshape(m, self.dimension, self.dimension)

    def _hessian_vector_products_kernel(self, points, vectors):
        xp = self.array_backend
        m = points.shape[0]
        offsets, squared = self._geometry(points)
        _, responsibilities = self._soft_min(squared)
        slopes = 2.0 * offsets
        vectors = vectors.reshape(m, self.n_clusters, self.n_features)

        projections = xp.einsum("mnki,mki->mnk", slopes, vectors)
        mean_projection = xp.sum(responsibilities * projections, axis=2)
        coupling = responsibilities * (projections - mean_projection[..., None])
        totals = xp.sum(responsibilities, axis=1)
        products = 2.0 * totals[..., None] * vectors
        products = products - xp.einsum("mnk,mnki->mki", coupling, slopes) / self.temperature
        return products.reshape(m, self.dimension)

    # The exact K-means cost, always in NumPy.

    def centres(self, x) -> np.ndarray:
        """Return the centres ``(K, d)`` of one point ``x`` of shape ``(K·d,)``."""
        x = np.asarray(x, dtype=np.float64)
        if x.shape != (self.dimension,):
            raise ValueError(f"x must have shape ({self.dimension},); got {x.shape}")
        return x.reshape(self.n_clusters, self.n_features)

    def assignments(self, x) -> np.ndarray:
        """Return the index of the nearest centre of every data point, ties to the lowest."""
        centres = self.centres(x)
        squared = np.sum((self.points[:, None, :] - centres[None, :, :]) ** 2, axis=2)
        return np.argmin(squared, axis=1)

    def hard_costs(self, points) -> np.ndarray:
        """Return the exact K-means cost Σ_n min_k ‖x_n − μ_k‖² of each row ``(n,)``."""
        points = self._check_points(points)
        costs = np.empty(points.shape[0])
        rows = max(1, DEFAULT_CHUNK_ELEMENTS // (self.points.shape[0] * self.dimension))
        for start in range(0, points.shape[0], rows):
            chunk = points[start : start + rows]
            centres = chunk.reshape(-1, self.n_clusters, self.n_features)
            offsets = centres[:, None, :, :] - self.points[None, :, None, :]
            squared = np.einsum("mnki,mnki->mnk", offsets, offsets)
            costs[start : start + rows] = squared.min(axis=2).sum(axis=1)
        return costs

    def hard_cost(self, x) -> float:
        """Return the exact K-means cost of one point ``x``."""
        return float(self.hard_costs(np.asarray(x, dtype=np.float64)[None, :])[0])

    def sample_starts(self, rng: np.random.Generator, n_starts: int) -> np.ndarray:
        """Draw ``n_starts`` starting points, each K distinct data points as centres (Forgy).

        Random points in a box would leave most centres in empty space,
        where the cost is flat, so basin-hopping starts from data points.
        """
        distinct = np.unique(self.points, axis=0)
        starts = np.empty((int(n_starts), self.dimension))
        for row in range(int(n_starts)):
            chosen = rng.choice(distinct.shape[0], size=self.n_clusters, replace=False)
            starts[row] = distinct[chosen].reshape(-1)
        return starts

    def is_excluded_minimum(self, x) -> bool:
        """Test whether a minimum at ``x`` has an empty cluster (no point nearest to some centre).

        The landscape engine leaves such degenerate minima out: the cost is
        flat along the empty centre, so they are not isolated minima with
        K clusters.
        """
        counts = np.bincount(self.assignments(x), minlength=self.n_clusters)
        return bool(np.any(counts == 0))

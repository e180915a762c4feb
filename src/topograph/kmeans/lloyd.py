"""Lloyd's algorithm from given centres, and the test for a Lloyd fixed point.

A minimum of the K-means cost is a fixed point of Lloyd's iteration: every
point is assigned to its nearest centre, and every centre is the mean of
its points. :func:`lloyd_polish` runs the iteration from the centres a
search found (a minimum of the smoothed cost lies within the smoothing blur
of one) until the assignments stop changing, so the reported centres and
cost are exact.

A cluster that loses all its points is empty. Its centre has no mean to move
to, and the cost does not depend on it, so the solution is a degenerate
critical set rather than a minimum with K clusters. The iteration leaves
such a centre where it is and reports the cluster in ``empty_clusters``;
the K-means study drops these solutions and counts them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass
class LloydResult:
    """Outcome of :func:`lloyd_polish`.

    Attributes
    ----------
    centres : ndarray (K, d)
    labels : ndarray (N,) of int
        Index of the nearest centre of each point, ties to the lowest index.
    cost : float
        Σ_n ‖x_n − μ_{labels_n}‖², the exact K-means cost at ``centres``.
    iterations : int
        Assignment steps taken.
    converged : bool
        Whether the assignments stopped changing.
    empty_clusters : ndarray of int
        Clusters without points.
    """

    centres: np.ndarray
    labels: np.ndarray
    cost: float
    iterations: int
    converged: bool
    empty_clusters: np.ndarray


def nearest_centres(points: np.ndarray, centres: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Return the nearest centre of each point and the squared distance to it."""
    offsets = points[:, None, :] - centres[None, :, :]
    squared = np.einsum("nki,nki->nk", offsets, offsets)
    labels = np.argmin(squared, axis=1)
    return labels, squared[np.arange(points.shape[0]), labels]


def cluster_means(points: np.ndarray, labels: np.ndarray, centres: np.ndarray) -> np.ndarray:
    """Return the mean of each cluster's points; an empty cluster keeps its centre."""
    counts = np.bincount(labels, minlength=centres.shape[0])
    sums = np.zeros_like(centres)
    np.add.at(sums, labels, points)
    means = centres.copy()
    filled = counts > 0
    means[filled] = sums[filled] / counts[filled, None]
    return means


def lloyd_polish(points, centres, max_iterations: int = 1000) -> LloydResult:
    """Run Lloyd's iteration from ``centres`` until the assignments stop changing.

    Parameters
    ----------
    points : array_like (N, d)
    centres : array_like (K, d) or (K·d,)
    max_iterations : int
        Maximum number of assignment steps.

    Returns
    -------
    LloydResult
    """
    points = np.asarray(points, dtype=np.float64)
    centres = np.array(centres, dtype=np.float64).reshape(-1, points.shape[1])
    labels, _ = nearest_centres(points, centres)
    converged = False
    iteration = 0
    for iteration in range(1, int(max_iterations) + 1):
        centres = cluster_means(points, labels, centres)
        new_labels, _ = nearest_centres(points, centres)
        if np.array_equal(new_labels, labels):
            converged = True
            break
        labels = new_labels
    _, squared = nearest_centres(points, centres)
    counts = np.bincount(labels, minlength=centres.shape[0])
    return LloydResult(
        centres=centres,
        labels=labels,
        cost=float(squared.sum()),
        iterations=iteration,
        converged=converged,
        empty_clusters=np.flatnonzero(counts == 0),
    )


def is_lloyd_fixed_point(points, centres, tolerance: float = 1e-9) -> bool:
    """Test whether every centre is the mean of the points nearest to it, with no cluster empty.

    ``tolerance`` is relative to the largest absolute coordinate of the data.
    """
    points = np.asarray(points, dtype=np.float64)
    centres = np.asarray(centres, dtype=np.float64).reshape(-1, points.shape[1])
    labels, _ = nearest_centres(points, centres)
    if np.any(np.bincount(labels, minlength=centres.shape[0]) == 0):
        return False
    means = cluster_means(points, labels, centres)
    scale = max(1.0, float(np.abs(points).max()))
    return bool(np.abs(means - centres).max() <= tolerance * scale)


def canonical_partition(labels: np.ndarray) -> tuple[int, ...]:
    """Relabel clusters in order of first appearance, so relabelled partitions compare equal."""
    mapping: dict[int, int] = {}
    return tuple(mapping.setdefault(int(label), len(mapping)) for label in labels)

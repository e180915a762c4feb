"""The outlier protocol of the K-means study.

``n`` outliers are drawn on a sphere around the mean m of the original
points, in directions uniform on the unit sphere (normalised standard
normal draws, seeded). The sphere's radius is R + distance · s. Here R is
the largest distance of an original point from m, and s is the
root-mean-square distance of the original points from m. By the triangle inequality every outlier is then at
least ``distance · s`` from every original point, however the data are
shaped. Outliers get the label ``NO_LABEL``, so accuracy and the adjusted
Rand index are measured on the original points only.
"""

from __future__ import annotations

import numpy as np

from topograph.kmeans.datasets import NO_LABEL, ClusteringData

# Default gap between the outlier sphere and the data, in units of s.
DEFAULT_DISTANCE = 3.0


def add_outliers(data: ClusteringData, n_outliers: int, seed: int, distance: float = DEFAULT_DISTANCE) -> ClusteringData:
    """Return ``data`` with ``n_outliers`` points appended by the outlier protocol.

    Raises
    ------
    ValueError
        If ``n_outliers`` is negative or ``distance`` is not positive.
    """
    if isinstance(n_outliers, bool) or not isinstance(n_outliers, (int, np.integer)) or n_outliers < 0:
        raise ValueError(f"the number of outliers must be an integer >= 0; got {n_outliers!r}")
    if not (np.isfinite(distance) and distance > 0):
        raise ValueError(f"the outlier distance must be a positive multiple of the spread; got {distance!r}")
    original = data.points[data.original]
    mean = original.mean(axis=0)
    radii = np.linalg.norm(original - mean, axis=1)
    rms = float(np.sqrt(np.mean(radii**2)))
    radius = float(radii.max()) + distance * (rms if rms > 0 else 1.0)

    rng = np.random.default_rng(seed)
    directions = rng.standard_normal((int(n_outliers), data.points.shape[1]))
    directions /= np.linalg.norm(directions, axis=1, keepdims=True)
    added = mean + radius * directions
    return ClusteringData(
        points=np.vstack([data.points, added]),
        labels=np.concatenate([data.labels, np.full(int(n_outliers), NO_LABEL, dtype=np.int64)]),
        outliers=np.concatenate([data.outliers, np.ones(int(n_outliers), dtype=bool)]),
        feature_names=list(data.feature_names),
    )

"""ROGI-XD: the roughness of a task's labels over a representation.

The roughness index ROGI (Aldeghi et al., 2022) coarse-grains a data set by
clustering and watches how fast the spread of the labels collapses. ROGI-XD
(Graff et al., 2023) makes it comparable across representations of
different dimension by measuring the coarse-graining in clusters rather
than in distance. As implemented here:

1. Labels y are min–max normalised to [0, 1] (constant labels stay 0).
2. Complete-linkage agglomerative clustering of the Euclidean distances
   between the embeddings merges the N molecules one pair of clusters at a
   time, N − 1 merges in all.
3. After m merges there are N_c = N − m clusters. Each molecule's label is
   replaced by its cluster's mean, and σ(N_c) is the standard deviation of
   these N values (population form), so larger clusters weigh more.
   σ(N) is the spread of the labels and σ(1) = 0.
4. The coarse-graining coordinate is x = 1 − log N_c / log N, from 0 (every
   molecule alone) to 1 (one cluster), and

       ROGI-XD = ∫₀¹ (σ(N) − σ(x)) dx,

   by the trapezoidal rule over the N levels.

Smooth labels (neighbours in the embedding have similar labels) keep their
spread until distant molecules merge, so the integral is small. Rough
labels lose it as soon as neighbours merge, so it is large. Constant labels
give 0. The index lies in [0, 0.5] because σ(N) ≤ 0.5 for labels in [0, 1].

Choices: the Euclidean distance between embeddings, and ties in the
linkage resolved as SciPy's ``linkage(method="complete")`` resolves them.

NOTE: this follows the published description of ROGI-XD and was not
checked against the authors' code, so its values may differ from theirs
by details such as the spread's normalisation.
"""

from __future__ import annotations

import math

import numpy as np
from scipy.cluster.hierarchy import linkage
from scipy.spatial.distance import pdist


def coarse_graining_curve(
    embeddings: np.ndarray, labels: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Return the coordinates x ``(N,)`` and spreads σ ``(N,)`` of the coarse-graining.

    ``x[m]`` and ``sigma[m]`` belong to the level after ``m`` merges.
    """
    embeddings = np.asarray(embeddings, dtype=np.float64)
    labels = np.asarray(labels, dtype=np.float64)
    n = _check_inputs(embeddings, labels)
    normalised = _normalise(labels)

    merges = linkage(pdist(embeddings), method="complete")
    # Cluster sums and sizes, indexed like SciPy's linkage: 0..N−1 are the
    # molecules and N + m is the cluster made by merge m.
    sums = np.concatenate([normalised, np.zeros(n - 1)])
    sizes = np.concatenate([np.ones(n), np.zeros(n - 1)])
    total_mean = normalised.mean()
    # Σ_c n_c μ_c² = Σ_c S_c² / n_c, updated at each merge.
    weighted_squares = float(np.sum(normalised**2))

    sigma = np.empty(n)
    sigma[0] = math.sqrt(max(weighted_squares / n - total_mean**2, 0.0))
    for m, (left, right, _, _) in enumerate(merges, start=1):
        left, right = int(left), int(right)
        merged_sum = sums[left] + sums[right]
        merged_size = sizes[left] + sizes[right]
        weighted_squares += (
            merged_sum**2 / merged_size
            - sums[left] ** 2 / sizes[left]
            - sums[right] ** 2 / sizes[right]
        )
        sums[n + m - 1] = merged_sum
        sizes[n + m - 1] = merged_size
        sigma[m] = math.sqrt(max(weighted_squares / n - total_mean**2, 0.0))

    clusters = n - np.arange(n)
    coordinates = 1.0 - np.log(clusters) / math.log(n)
    return coordinates, sigma


def rogi_xd(embeddings: np.ndarray, labels: np.ndarray) -> float:
    """Return the ROGI-XD of ``labels (N,)`` over ``embeddings (N, d)``.

    Raises
    ------
    ValueError
        If there are fewer than two molecules, the shapes disagree or a value
        is not finite.
    """
    coordinates, sigma = coarse_graining_curve(embeddings, labels)
    return float(np.trapezoid(sigma[0] - sigma, coordinates))


def _check_inputs(embeddings: np.ndarray, labels: np.ndarray) -> int:
    if embeddings.ndim != 2 or labels.shape != (embeddings.shape[0],):
        raise ValueError(
            f"embeddings must have shape (N, d) and labels (N,); got {embeddings.shape} "
            f"and {labels.shape}"
        )
    if embeddings.shape[0] < 2:
        raise ValueError(
            f"ROGI-XD needs at least two molecules; got {embeddings.shape[0]}"
        )
    if not (np.isfinite(embeddings).all() and np.isfinite(labels).all()):
        raise ValueError(
            "embeddings and labels must be finite; remove NaN or infinite rows"
        )
    return embeddings.shape[0]


def _normalise(labels: np.ndarray) -> np.ndarray:
    low, high = labels.min(), labels.max()
    if high == low:
        return np.zeros_like(labels)
    return (labels - low) / (high - low)

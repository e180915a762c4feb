"""Agreement of a clustering with known classes, and with another clustering.

Accuracy is the fraction of points whose cluster, after the best one-to-one
matching of clusters to classes, is their class. The matching maximises the
matched points and is a linear assignment problem
(``scipy.optimize.linear_sum_assignment``); with more clusters than
classes, the points of unmatched clusters count as wrong. The adjusted Rand
index is scikit-learn's ``adjusted_rand_score``. Callers pass the original
points only, so outliers, which have no class, do not count.
"""

from __future__ import annotations

import numpy as np
from scipy.optimize import linear_sum_assignment
from scipy.stats import pearsonr, spearmanr
from sklearn.metrics import adjusted_rand_score


def matched_accuracy(classes: np.ndarray, clusters: np.ndarray) -> float:
    """Return the fraction of points in their class after the best cluster-to-class matching."""
    classes = np.asarray(classes)
    clusters = np.asarray(clusters)
    if classes.shape != clusters.shape or classes.size == 0:
        raise ValueError(
            f"classes and clusters need one entry per point; got shapes {classes.shape} and {clusters.shape}"
        )
    _, class_index = np.unique(classes, return_inverse=True)
    _, cluster_index = np.unique(clusters, return_inverse=True)
    table = np.zeros((cluster_index.max() + 1, class_index.max() + 1))
    np.add.at(table, (cluster_index, class_index), 1.0)
    rows, columns = linear_sum_assignment(table, maximize=True)
    return float(table[rows, columns].sum() / classes.size)


def rand_index(first: np.ndarray, second: np.ndarray) -> float:
    """Return the adjusted Rand index of two labellings of the same points."""
    return float(adjusted_rand_score(first, second))


def correlations(x: np.ndarray, y: np.ndarray) -> dict[str, float]:
    """Return Pearson's r and Spearman's ρ of two samples, NaN when undefined.

    Fewer than three pairs, or a constant sample, give NaN.
    """
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    if x.size < 3 or np.ptp(x) == 0 or np.ptp(y) == 0:
        return {"pearson": float("nan"), "spearman": float("nan")}
    return {"pearson": float(pearsonr(x, y)[0]), "spearman": float(spearmanr(x, y)[0])}

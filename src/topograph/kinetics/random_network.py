"""Random stationary-point networks for tests and benchmarks.

The minima are random points in a unit square, each joined to its nearest
neighbours, as a connection strategy that pairs each minimum with its k
nearest minima would join them. Components left apart are joined to their
nearest point in the rest of the network, so every network is connected
and every edge is local, as on a real landscape. Energies, transition-state
heights and log products are random, and a fraction of the pairs get a
second transition state in parallel.
"""

from __future__ import annotations

import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components
from scipy.spatial import cKDTree


def _nearest_neighbour_pairs(points: np.ndarray, neighbours: int) -> np.ndarray:
    tree = cKDTree(points)
    count = min(neighbours + 1, points.shape[0])
    _, nearest = tree.query(points, k=count)
    nearest = np.atleast_2d(nearest)
    first = np.repeat(np.arange(points.shape[0]), count - 1)
    second = nearest[:, 1:].ravel()
    pairs = np.sort(np.stack([first, second], axis=1), axis=1)
    return np.unique(pairs, axis=0)


def _join_components(points: np.ndarray, pairs: np.ndarray) -> np.ndarray:
    """Add the shortest edge from each stray component to the largest one."""
    n = points.shape[0]
    while True:
        graph = coo_matrix(
            (np.ones(len(pairs)), (pairs[:, 0], pairs[:, 1])), shape=(n, n)
        )
        count, labels = connected_components(graph, directed=False)
        if count == 1:
            return pairs
        largest = np.argmax(np.bincount(labels))
        inside = np.flatnonzero(labels == largest)
        tree = cKDTree(points[inside])
        new_pairs = []
        for label in range(count):
            if label == largest:
                continue
            members = np.flatnonzero(labels == label)
            distances, nearest = tree.query(points[members])
            best = int(np.argmin(distances))
            new_pairs.append(sorted((members[best], inside[nearest[best]])))
        pairs = np.concatenate([pairs, np.array(new_pairs, dtype=pairs.dtype)])


def random_landscape(
    n_minima: int,
    rng: np.random.Generator,
    *,
    neighbours: int = 3,
    energy_scale: float = 1.0,
    barrier_scale: float = 1.0,
    log_product_scale: float = 1.0,
    parallel_fraction: float = 0.1,
) -> dict[str, np.ndarray]:
    """Draw a connected random network of minima and transition states.

    Parameters
    ----------
    n_minima : int
        Number of minima, at least 2.
    rng : numpy.random.Generator
        Source of all randomness.
    neighbours : int, optional
        Each minimum is joined to this many nearest minima in the plane.
    energy_scale : float, optional
        Minimum energies are uniform on ``[0, energy_scale]``.
    barrier_scale : float, optional
        A transition state lies above the higher of its two minima by an
        exponentially distributed amount with this mean.
    log_product_scale : float, optional
        Standard deviation of the log products about 2 (minima) and 1
        (transition states).
    parallel_fraction : float, optional
        Fraction of joined pairs that get a second transition state.

    Returns
    -------
    dict
        The keyword arguments of
        :func:`topograph.kinetics.rates.build_rate_network` other than the
        temperature: ``minimum_energies``, ``minimum_log_products``,
        ``ts_energies``, ``ts_log_products``, ``ts_minimum1``,
        ``ts_minimum2``.
    """
    if n_minima < 2:
        raise ValueError(f"a network needs at least 2 minima, got {n_minima}")
    points = rng.random((n_minima, 2))
    pairs = _join_components(points, _nearest_neighbour_pairs(points, neighbours))
    parallel = pairs[rng.random(len(pairs)) < parallel_fraction]
    pairs = np.concatenate([pairs, parallel])

    minimum_energies = energy_scale * rng.random(n_minima)
    minimum_log_products = 2.0 + log_product_scale * rng.standard_normal(n_minima)
    higher = np.maximum(minimum_energies[pairs[:, 0]], minimum_energies[pairs[:, 1]])
    ts_energies = higher + rng.exponential(barrier_scale, len(pairs))
    ts_log_products = 1.0 + log_product_scale * rng.standard_normal(len(pairs))
    return {
        "minimum_energies": minimum_energies,
        "minimum_log_products": minimum_log_products,
        "ts_energies": ts_energies,
        "ts_log_products": ts_log_products,
        "ts_minimum1": pairs[:, 0].astype(np.int64),
        "ts_minimum2": pairs[:, 1].astype(np.int64),
    }

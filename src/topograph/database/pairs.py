"""Selection of the pairs of minima to connect next.

Two strategies choose the pairs handed to the transition-state search:

- :func:`select_pairs` pairs every minimum with its ``k`` nearest minima in
  Euclidean distance on the raw coordinates (no alignment). Neighbours are
  found with a k-d tree up to ``KD_TREE_MAX_DIMENSION`` coordinates, and by
  blocked exact distance matrices above it, where a k-d tree visits nearly
  every point anyway.
- :func:`component_joining_pairs` joins the components of the
  transition-state graph, after the idea of OPTIM's NEWCONNECT. Edge
  weights are the (squared) distances between minima, and minima already
  joined by transition states cost nothing to cross. The shortest path
  from the global minimum's component to each other component then passes
  through the pairs most worth trying. Each component is contracted into
  one node, so the zero-cost edges never appear explicitly.

Both skip pairs that already share a transition state and pairs whose
number of failed attempts has reached ``max_attempts``.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse import csgraph
from scipy.spatial import cKDTree

from topograph.database.store import StationaryPointDatabase

logger = logging.getLogger(__name__)

Pair = tuple[int, int]

KD_TREE_MAX_DIMENSION = 16
_BLOCK_ELEMENTS = 2**24


def _k_nearest(
    points: np.ndarray, queries: np.ndarray, k: int
) -> tuple[np.ndarray, np.ndarray]:
    """Return distances and indices ``(q, k)`` of the ``k`` nearest ``points``."""
    if points.shape[1] <= KD_TREE_MAX_DIMENSION:
        distances, indices = cKDTree(points).query(queries, k=k)
        return distances.reshape(len(queries), k), indices.reshape(len(queries), k)

    distances = np.empty((len(queries), k))
    indices = np.empty((len(queries), k), dtype=np.int64)
    point_norms = np.einsum("ij,ij->i", points, points)
    # Queries per block, so that neither the (block, n) distance matrix nor
    # the (block, k, dimension) differences exceed _BLOCK_ELEMENTS values.
    widest = max(len(points), k * points.shape[1])
    block = max(1, _BLOCK_ELEMENTS // widest)
    for start in range(0, len(queries), block):
        chunk = queries[start : start + block]
        squared = (
            np.einsum("ij,ij->i", chunk, chunk)[:, None]
            + point_norms[None, :]
            - 2.0 * chunk @ points.T
        )
        nearest = np.argpartition(squared, k - 1, axis=1)[:, :k]

        # Recompute the chosen distances directly, because the expanded
        # form above loses precision for nearby points.
        exact = np.linalg.norm(chunk[:, None, :] - points[nearest], axis=2)
        order = np.lexsort((nearest, exact), axis=1)
        rows = np.arange(len(chunk))[:, None]
        distances[start : start + block] = exact[rows, order]
        indices[start : start + block] = nearest[rows, order]
    return distances, indices


def _ordered(i: int, j: int) -> Pair:
    return (int(i), int(j)) if i < j else (int(j), int(i))


def connected_pairs(database: StationaryPointDatabase) -> set[Pair]:
    """Return the pairs ``(i, j)``, ``i < j``, joined by at least one transition state.

    Transition states that lead back to the same minimum on both sides are
    left out.
    """
    states = database.transition_states
    return {
        _ordered(a, b)
        for a, b in zip(states.minimum1.tolist(), states.minimum2.tolist())
        if a != b
    }


def _exhausted_pairs(
    attempts: Mapping[tuple[int, int], int] | None, max_attempts: int | None
) -> set[Pair]:
    if not attempts or max_attempts is None:
        return set()
    return {
        _ordered(*pair) for pair, count in attempts.items() if count >= max_attempts
    }


def _nearest_neighbour_pairs(
    coordinates: np.ndarray, neighbours: int
) -> tuple[np.ndarray, np.ndarray]:
    """Return unique pairs ``(p, 2)`` with ``i < j`` and their distances ``(p,)``."""
    n = len(coordinates)
    k = min(int(neighbours), n - 1)
    distances, indices = _k_nearest(coordinates, coordinates, k + 1)

    # Drop each point itself. With exact duplicates the point may not be in
    # the first column, so remove it wherever it is and keep k others.
    rows = np.arange(n)[:, None]
    not_self = indices != rows
    keep = np.cumsum(not_self, axis=1) <= k
    keep &= not_self
    first = np.broadcast_to(rows, indices.shape)[keep]
    second = indices[keep]
    lengths = distances[keep]

    low = np.minimum(first, second)
    high = np.maximum(first, second)
    pairs = np.stack([low, high], axis=1)
    pairs, unique = np.unique(pairs, axis=0, return_index=True)
    return pairs.reshape(-1, 2), lengths[unique]


def select_pairs(
    database: StationaryPointDatabase,
    neighbours: int = 10,
    attempts: Mapping[tuple[int, int], int] | None = None,
    max_attempts: int | None = 3,
) -> list[Pair]:
    """Pair each minimum with its nearest minima.

    Parameters
    ----------
    database : StationaryPointDatabase
    neighbours : int
        Number of nearest minima per minimum (k); capped at
        ``n_minima - 1``.
    attempts : dict of (int, int) to int, optional
        Number of connection attempts made per pair, keys in either order.
    max_attempts : int or None
        Pairs with at least this many attempts are skipped; ``None`` skips
        none.

    Returns
    -------
    list of (int, int)
        Pairs ``(i, j)`` with ``i < j``, each once, sorted by distance
        (then by index). A pair is in the list when ``j`` is among the
        ``k`` nearest of ``i`` or the other way round, and it has neither a
        transition state nor exhausted attempts.
    """
    if int(neighbours) < 1:
        raise ValueError(f"neighbours must be at least 1, got {neighbours}.")
    if database.n_minima < 2:
        return []

    pairs, distances = _nearest_neighbour_pairs(database.minima.coordinates, neighbours)
    skipped = connected_pairs(database) | _exhausted_pairs(attempts, max_attempts)
    order = np.lexsort((pairs[:, 1], pairs[:, 0], distances))

    selected = []
    for i, j in pairs[order].tolist():
        if (i, j) not in skipped:
            selected.append((i, j))
    logger.debug(
        "Selected %d of %d nearest-neighbour pairs (k=%d)",
        len(selected),
        len(pairs),
        neighbours,
    )
    return selected


def connected_components(database: StationaryPointDatabase) -> tuple[int, np.ndarray]:
    """Label the components of the graph of minima joined by transition states.

    Returns
    -------
    n_components : int
    labels : ndarray of int, shape (n_minima,)
        Component of each minimum. Labels are numbered in order of each
        component's lowest minimum index, as ``scipy.sparse.csgraph`` does.
    """
    n = database.n_minima
    if n == 0:
        return 0, np.zeros(0, dtype=np.int64)
    states = database.transition_states
    graph = coo_matrix(
        (np.ones(len(states), dtype=np.int8), (states.minimum1, states.minimum2)),
        shape=(n, n),
    )
    n_components, labels = csgraph.connected_components(graph, directed=False)
    return int(n_components), labels.astype(np.int64)


def component_joining_pairs(
    database: StationaryPointDatabase,
    neighbours: int = 10,
    attempts: Mapping[tuple[int, int], int] | None = None,
    max_attempts: int | None = 3,
    squared: bool = True,
) -> list[Pair]:
    """Choose pairs that join the global minimum's component to the others.

    Parameters
    ----------
    database : StationaryPointDatabase
    neighbours : int
        Candidate edges are the pairs of each minimum with its ``k``
        nearest minima. A component that these edges do not reach gets one
        more edge, to its nearest reached minimum.
    attempts, max_attempts
        As in :func:`select_pairs`; exhausted pairs are not edges.
    squared : bool
        Weight edges by squared distance, which favours several short hops
        over one long one (a short connection is more likely to succeed),
        else by distance.

    Returns
    -------
    list of (int, int)
        Pairs ``(i, j)``, ``i < j``, without repeats: the edges of the
        shortest path to each component, components taken in order of
        path length. Empty when the graph is connected.
    """
    n_components, labels = connected_components(database)
    if n_components <= 1:
        return []
    coordinates = database.minima.coordinates
    exhausted = _exhausted_pairs(attempts, max_attempts)
    source = int(labels[database.global_minimum()])

    # Candidate edges between components, from the k-nearest-neighbour graph.
    pairs, distances = _nearest_neighbour_pairs(coordinates, neighbours)
    between = labels[pairs[:, 0]] != labels[pairs[:, 1]]
    pairs, distances = pairs[between], distances[between]
    allowed = [(i, j) not in exhausted for i, j in pairs.tolist()]
    allowed = np.array(allowed, dtype=bool).reshape(-1)
    pairs, distances = pairs[allowed], distances[allowed]

    pairs, distances = _add_edges_to_unreached(
        coordinates, labels, n_components, source, pairs, distances, exhausted
    )
    weights = distances**2 if squared else distances
    return _shortest_path_pairs(labels, n_components, source, pairs, weights)


def _component_edges(
    labels: np.ndarray, pairs: np.ndarray, weights: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Keep the lightest minimum pair per pair of components."""
    a = labels[pairs[:, 0]]
    b = labels[pairs[:, 1]]
    low, high = np.minimum(a, b), np.maximum(a, b)
    order = np.lexsort((weights, high, low))
    keys = np.stack([low[order], high[order]], axis=1)
    _, first = np.unique(keys, axis=0, return_index=True)
    chosen = order[first]
    return np.stack([low[chosen], high[chosen]], axis=1), pairs[chosen], weights[chosen]


def _reached_components(
    n_components: int, source: int, component_pairs: np.ndarray
) -> np.ndarray:
    graph = coo_matrix(
        (np.ones(len(component_pairs)), (component_pairs[:, 0], component_pairs[:, 1])),
        shape=(n_components, n_components),
    )
    order = csgraph.breadth_first_order(graph, source, directed=False)[0]
    reached = np.zeros(n_components, dtype=bool)
    reached[order] = True
    return reached


def _add_edges_to_unreached(
    coordinates: np.ndarray,
    labels: np.ndarray,
    n_components: int,
    source: int,
    pairs: np.ndarray,
    distances: np.ndarray,
    exhausted: set[Pair],
    candidates: int = 8,
) -> tuple[np.ndarray, np.ndarray]:
    """Give each component the k-NN edges do not reach one edge to a reached minimum.

    The edge is the shortest one among each unreached minimum's
    ``candidates`` nearest reached minima that has attempts left.
    """
    component_pairs = labels[pairs].reshape(-1, 2)
    reached = _reached_components(n_components, source, component_pairs)
    if reached.all():
        return pairs, distances

    reached_minima = np.flatnonzero(reached[labels])
    unreached_minima = np.flatnonzero(~reached[labels])
    k = min(candidates, len(reached_minima))
    lengths, neighbours = _k_nearest(
        coordinates[reached_minima], coordinates[unreached_minima], k
    )
    neighbours = reached_minima[neighbours]

    best: dict[int, tuple[float, Pair]] = {}
    for row, minimum in enumerate(unreached_minima.tolist()):
        component = int(labels[minimum])
        for length, other in zip(lengths[row].tolist(), neighbours[row].tolist()):
            pair = _ordered(minimum, other)
            if pair in exhausted:
                continue
            if component not in best or (length, pair) < best[component]:
                best[component] = (length, pair)
            break

    n_unreached = int(n_components - reached.sum())
    if len(best) < n_unreached:
        logger.warning(
            "%d of %d unreached components have no pair with attempts left among "
            "their %d nearest reached minima; they are skipped",
            n_unreached - len(best),
            n_unreached,
            k,
        )
    if not best:
        return pairs, distances
    extra_pairs = np.array([pair for _, pair in best.values()], dtype=np.int64)
    extra_distances = np.array([length for length, _ in best.values()])
    return (
        np.concatenate([pairs.reshape(-1, 2), extra_pairs]),
        np.concatenate([distances, extra_distances]),
    )


def _shortest_path_pairs(
    labels: np.ndarray,
    n_components: int,
    source: int,
    pairs: np.ndarray,
    weights: np.ndarray,
) -> list[Pair]:
    if len(pairs) == 0:
        return []
    component_pairs, minimum_pairs, weights = _component_edges(labels, pairs, weights)

    # A zero weight (two minima at the same coordinates) would read as a
    # missing edge in a sparse graph, so raise it to the smallest float.
    weights = np.maximum(weights, np.finfo(np.float64).tiny)
    graph = coo_matrix(
        (weights, (component_pairs[:, 0], component_pairs[:, 1])),
        shape=(n_components, n_components),
    ).tocsr()
    lengths, predecessors = csgraph.dijkstra(
        graph, directed=False, indices=source, return_predecessors=True
    )
    edge_of = {
        (int(a), int(b)): (int(i), int(j))
        for (a, b), (i, j) in zip(component_pairs.tolist(), minimum_pairs.tolist())
    }

    selected: list[Pair] = []
    seen: set[Pair] = set()
    targets = [c for c in np.argsort(lengths, kind="stable").tolist() if c != source]
    for component in targets:
        if not np.isfinite(lengths[component]):
            continue
        path = []
        node = component
        while node != source:
            parent = int(predecessors[node])
            path.append(edge_of[_ordered(parent, node)])
            node = parent
        for pair in reversed(path):
            if pair not in seen:
                seen.add(pair)
                selected.append(pair)
    return selected

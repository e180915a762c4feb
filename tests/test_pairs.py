"""Tests of pair selection and of the components of the transition-state graph."""

import numpy as np
import pytest
from scipy.spatial.distance import cdist

from topograph.database import (
    StationaryPointDatabase,
    component_joining_pairs,
    connected_components,
    connected_pairs,
    select_pairs,
)


def database_from_points(points, energies=None, connections=()):
    points = np.asarray(points, dtype=float).reshape(len(points), -1)
    if energies is None:
        energies = np.arange(len(points), dtype=float)
    database = StationaryPointDatabase(points.shape[1], distance_tolerance=0.0)
    for energy, x in zip(energies, points):
        index, is_new = database.add_minimum(energy, x)
        assert is_new
    for s, (i, j) in enumerate(connections):
        midpoint = 0.5 * (points[i] + points[j])
        database.add_transition_state(100.0 + s, midpoint, i, j)
    return database


def brute_force_pairs(points, k, skipped):
    distances = cdist(points, points)
    np.fill_diagonal(distances, np.inf)
    pairs = set()
    for i in range(len(points)):
        for j in np.argsort(distances[i])[:k]:
            pairs.add((min(i, int(j)), max(i, int(j))))
    return pairs - skipped, distances


def union_find_labels(n, edges):
    parent = list(range(n))

    def find(i):
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i, j in edges:
        parent[find(i)] = find(j)
    return [find(i) for i in range(n)]


@pytest.mark.parametrize("dimension", [5, 40])
@pytest.mark.parametrize("k", [1, 3, 7])
def test_select_pairs_match_brute_force(k, dimension):
    # 40 coordinates exceed the k-d tree limit and use the distance matrix.
    rng = np.random.default_rng(k)
    points = rng.normal(size=(80, dimension))
    connections = [tuple(pair) for pair in rng.choice(80, size=(15, 2), replace=True)]
    connections = [(int(i), int(j)) for i, j in connections if i != j]
    database = database_from_points(points, connections=connections)
    attempts = {(3, 1): 3, (10, 20): 2}
    for i in range(80):
        attempts[(i, (i + 1) % 80)] = 5

    pairs = select_pairs(database, neighbours=k, attempts=attempts, max_attempts=3)

    skipped = {(min(i, j), max(i, j)) for i, j in connections}
    skipped |= {(min(i, j), max(i, j)) for (i, j), n in attempts.items() if n >= 3}
    expected, distances = brute_force_pairs(points, k, skipped)
    assert set(pairs) == expected
    assert len(pairs) == len(set(pairs))
    assert all(i < j for i, j in pairs)
    lengths = [distances[i, j] for i, j in pairs]
    assert lengths == sorted(lengths)


def test_select_pairs_without_attempt_bound():
    points = np.arange(6.0)[:, None]
    database = database_from_points(points)
    attempts = {(0, 1): 10}
    assert (0, 1) not in select_pairs(database, neighbours=1, attempts=attempts)
    unbounded = select_pairs(
        database, neighbours=1, attempts=attempts, max_attempts=None
    )
    assert (0, 1) in unbounded


def test_select_pairs_duplicate_coordinates():
    points = [[0.0], [0.0], [5.0], [5.1]]
    database = database_from_points(points, energies=[0.0, 1.0, 2.0, 3.0])
    pairs = select_pairs(database, neighbours=1)
    assert sorted(pairs) == [(0, 1), (2, 3)]


def test_select_pairs_small_databases():
    assert select_pairs(StationaryPointDatabase(2), neighbours=3) == []
    single = database_from_points([[0.0, 0.0]])
    assert select_pairs(single, neighbours=3) == []
    two = database_from_points([[0.0, 0.0], [1.0, 0.0]])
    assert select_pairs(two, neighbours=5) == [(0, 1)]


def test_select_pairs_rejects_zero_neighbours():
    with pytest.raises(ValueError, match="neighbours must be at least 1, got 0"):
        select_pairs(database_from_points([[0.0], [1.0]]), neighbours=0)


def test_connected_pairs_ignore_self_connections():
    database = database_from_points(
        np.arange(4.0)[:, None], connections=[(2, 1), (1, 2), (3, 3)]
    )
    assert connected_pairs(database) == {(1, 2)}


def test_components_match_union_find():
    rng = np.random.default_rng(4)
    n = 60
    edges = [(int(i), int(j)) for i, j in rng.integers(0, n, size=(35, 2))]
    database = database_from_points(rng.normal(size=(n, 2)), connections=edges)

    n_components, labels = connected_components(database)
    reference = union_find_labels(n, edges)

    assert n_components == len(set(reference))
    for i in range(n):
        for j in range(n):
            assert (labels[i] == labels[j]) == (reference[i] == reference[j])
    first_seen = [int(label) for label in dict.fromkeys(labels.tolist())]
    assert first_seen == list(range(n_components))


def test_components_of_empty_database():
    n_components, labels = connected_components(StationaryPointDatabase(3))
    assert n_components == 0
    assert labels.shape == (0,)


def test_joining_pairs_prefer_short_hops():
    # Components: {0, 1} (contains the global minimum), {2}, {3}, on a line.
    points = [[0.0], [1.0], [3.0], [10.0]]
    database = database_from_points(
        points, energies=[0.0, 1.0, 2.0, 3.0], connections=[(0, 1)]
    )
    # Squared weights: 1 -> 2 -> 3 costs 4 + 49 = 53 < 81 for 1 -> 3.
    assert component_joining_pairs(database, neighbours=3) == [(1, 2), (2, 3)]


def test_joining_pairs_plain_distance():
    # Plain distances: 0 -> 2 direct (4.61) beats 0 -> 1 -> 2 (3 + 3.04).
    # Squared, the two-hop path wins: 9 + 9.25 = 18.25 < 21.25.
    points = [[0.0, 0.0], [3.0, 0.0], [3.5, 3.0]]
    database = database_from_points(points, energies=[0.0, 1.0, 2.0])
    assert component_joining_pairs(database, neighbours=2, squared=False) == [
        (0, 1),
        (0, 2),
    ]
    assert component_joining_pairs(database, neighbours=2, squared=True) == [
        (0, 1),
        (1, 2),
    ]


def test_joining_pairs_start_at_global_minimum():
    points = [[0.0], [1.0], [2.0], [50.0]]
    # The global minimum (index 3) is isolated; the others are joined.
    database = database_from_points(
        points, energies=[1.0, 2.0, 3.0, -5.0], connections=[(0, 1), (1, 2)]
    )
    assert component_joining_pairs(database, neighbours=3) == [(2, 3)]


def test_joining_pairs_reach_beyond_neighbours():
    # With one neighbour each, {0, 1} and {2, 3} never meet in the k-NN
    # graph, so the fallback edge joins them through their closest pair.
    points = [[0.0], [0.1], [5.0], [5.1]]
    database = database_from_points(points, energies=[0.0, 1.0, 2.0, 3.0])
    assert component_joining_pairs(database, neighbours=1) == [(0, 1), (1, 2), (2, 3)]


def test_joining_pairs_skip_exhausted():
    points = [[0.0], [1.0], [3.0], [10.0]]
    database = database_from_points(
        points, energies=[0.0, 1.0, 2.0, 3.0], connections=[(0, 1)]
    )
    attempts = {(1, 2): 3}
    pairs = component_joining_pairs(database, neighbours=3, attempts=attempts)
    # Without (1, 2) the next shortest route to {2} is 0 -> 2 (9), and {3}
    # is best reached from {2} (49) rather than directly (81).
    assert pairs == [(0, 2), (2, 3)]


def test_joining_pairs_empty_when_connected():
    database = database_from_points(
        np.arange(3.0)[:, None], connections=[(0, 1), (1, 2)]
    )
    assert component_joining_pairs(database) == []


@pytest.mark.parametrize("dimension", [3, 40])
def test_joining_pairs_reach_every_component(dimension):
    rng = np.random.default_rng(9)
    points = rng.normal(size=(50, dimension))
    connections = [(int(i), int(i) + 1) for i in range(0, 48, 3)]
    database = database_from_points(
        points, energies=rng.normal(size=50), connections=connections
    )
    pairs = component_joining_pairs(database, neighbours=2)

    joined = StationaryPointDatabase(dimension)
    for i in range(50):
        joined.add_minimum(database.minima.energies[i], points[i])
    for s, (i, j) in enumerate(connections + pairs):
        joined.add_transition_state(100.0 + s, 0.5 * (points[i] + points[j]), i, j)
    assert connected_components(joined)[0] == 1

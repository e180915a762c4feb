"""K-means landscapes mapped by the engine, checked against Lloyd's algorithm and scikit-learn."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.optimize
from sklearn.cluster import KMeans
from sklearn.datasets import load_iris

from topograph.kmeans.datasets import load_dataset
from topograph.kmeans.lloyd import canonical_partition, is_lloyd_fixed_point, lloyd_polish
from topograph.kmeans.outliers import add_outliers
from topograph.kmeans.solutions import harden_landscape
from topograph.landscape.connect import connect_landscape
from topograph.landscape.explore import explore_shard
from topograph.landscape.merge import merge_shard_files
from topograph.landscape.spec import validate_spec
from topograph.optimize.lbfgs import minimize
from topograph.potentials.kmeans import KMeansCost
from topograph.potentials.registry import build_potential
from topograph.search.transition_state import find_transition_state

IRIS = load_iris().data
# Iris with 10 outliers: a landscape with many minima and transition states.
IRIS_OUTLIERS = add_outliers(load_dataset({"source": "iris"}), 10, seed=0).points
# Global minimum of the K-means cost of raw Iris with K = 3.
IRIS_K3_GLOBAL_MINIMUM = 78.851441


def map_landscape(folder, n_clusters, points=IRIS, starts=6, steps=15):
    parameters = {"points": points.tolist(), "n_clusters": n_clusters, "temperature": KMeansCost(IRIS, 1).temperature}
    spec = validate_spec({
        "potential": {"potential": "kmeans", "parameters": parameters},
        "explore": {"n_starts": starts, "steps": steps, "temperature": 20.0, "step_size": 0.8, "shards": 2, "seed": 0},
        "connect": {"neighbours": 3, "max_attempts": 1, "rounds": 1, "neb_images": 8},
    })  # fmt: skip
    shards = [folder / f"shard_{shard}.npz" for shard in range(2)]
    for shard, path in enumerate(shards):
        explore_shard(spec, shard, 2, path)
    merge_shard_files(shards, folder / "minima.npz", spec)
    smoothed = connect_landscape(spec, folder / "minima.npz", folder / "database.npz")
    potential = build_potential(spec["potential"])
    return smoothed, potential, harden_landscape(smoothed, potential)


@pytest.fixture(scope="module")
def iris_k3(tmp_path_factory):
    return map_landscape(tmp_path_factory.mktemp("iris_k3"), 3)


@pytest.fixture(scope="module")
def iris_k4(tmp_path_factory):
    return map_landscape(tmp_path_factory.mktemp("iris_k4"), 4)


@pytest.fixture(scope="module")
def iris_outliers(tmp_path_factory):
    return map_landscape(tmp_path_factory.mktemp("iris_outliers"), 3, points=IRIS_OUTLIERS, starts=8, steps=20)


def test_iris_global_minimum(iris_k3):
    _, _, exact = iris_k3
    lowest = exact.database.minima.energies.min()
    assert lowest == pytest.approx(IRIS_K3_GLOBAL_MINIMUM, abs=1e-5)
    reference = KMeans(n_clusters=3, n_init=50, random_state=0).fit(IRIS).inertia_
    assert lowest == pytest.approx(reference, rel=1e-9)


@pytest.mark.parametrize("landscape", ["iris_k3", "iris_k4", "iris_outliers"])
def test_minima_are_lloyd_fixed_points(landscape, request):
    _, potential, exact = request.getfixturevalue(landscape)
    points = potential.points
    minima = exact.database.minima
    assert len(minima) >= 2
    for cost, centres in zip(minima.energies, minima.coordinates):
        centres = centres.reshape(potential.n_clusters, 4)
        assert is_lloyd_fixed_point(points, centres)
        # One Lloyd step of scikit-learn from these centres leaves them in place.
        step = KMeans(n_clusters=potential.n_clusters, init=centres, n_init=1, max_iter=1).fit(points)
        np.testing.assert_allclose(step.cluster_centers_, centres, atol=1e-10)
        assert cost == pytest.approx(step.inertia_, rel=1e-10)


@pytest.mark.parametrize("landscape", ["iris_k3", "iris_k4", "iris_outliers"])
def test_relabelled_copies_are_one_minimum(landscape, request):
    smoothed, potential, exact = request.getfixturevalue(landscape)
    keys = [canonical_partition(labels) for labels in exact.partitions]
    assert len(set(keys)) == len(keys)
    aligner = potential.aligner
    for database in (smoothed, exact.database):
        coordinates = database.minima.coordinates
        for i in range(len(coordinates)):
            for j in range(i):
                aligned = aligner(coordinates[j], coordinates[i])
                assert np.linalg.norm(aligned - coordinates[j]) > database.distance_tolerance
    # A relabelled copy of a stored minimum is found as that minimum.
    first = smoothed.minima.coordinates[0].reshape(potential.n_clusters, 4)
    relabelled = first[::-1].reshape(-1)
    assert smoothed.match_minimum(smoothed.minima.energies[0], relabelled) == 0


def test_transition_states_join_distinct_minima(iris_outliers):
    smoothed, potential, exact = iris_outliers
    database = exact.database
    assert database.n_minima >= 4
    assert database.n_transition_states >= 3
    energies = database.minima.energies
    for s in range(database.n_transition_states):
        first, second = database.transition_states.minimum1[s], database.transition_states.minimum2[s]
        assert first != second
        cost = database.transition_states.energies[s]
        assert cost == pytest.approx(potential.hard_cost(database.transition_states.coordinates[s]))
        assert cost >= max(energies[first], energies[second]) - 1e-6


def test_k4_search_drops_empty_cluster_solutions(iris_k4):
    smoothed, potential, exact = iris_k4
    for coordinates in smoothed.minima.coordinates:
        assert not potential.is_excluded_minimum(coordinates)
    assert exact.counts["empty_cluster_minima"] == 0
    assert exact.database.minima.energies.min() == pytest.approx(
        KMeans(n_clusters=4, n_init=50, random_state=0).fit(IRIS).inertia_, rel=1e-9
    )


# Seven points on a line; K = 2 has two Lloyd minima of cost 13.1875, with
# the middle point 4.5 in the left or the right cluster.
LINE = np.array([0.0, 1.0, 2.0, 4.5, 7.0, 8.0, 9.0])[:, None]


def ridge_minimum():
    """Lowest exact cost on the boundary where 4.5 is equidistant from both centres (μ1 + μ2 = 9)."""
    cost = KMeansCost(LINE, 2).hard_cost
    found = scipy.optimize.minimize_scalar(
        lambda left: cost(np.array([left, 9.0 - left])), bounds=(0.5, 3.0), method="bounded",
        options={"xatol": 1e-12},
    )  # fmt: skip
    return found.x, found.fun


def smoothed_saddle(temperature):
    """Solve ∇E_T = 0 by Newton's method from the ridge minimum."""
    potential = KMeansCost(LINE, 2, temperature=temperature)
    left, _ = ridge_minimum()
    x = np.array([left, 9.0 - left])
    for _ in range(100):
        x = x - np.linalg.solve(potential.hessian(x), potential.gradient(x))
    return potential, x


def test_smoothed_saddle_tends_to_exact_barrier():
    left, barrier = ridge_minimum()
    assert barrier == pytest.approx(14.5, abs=1e-9)
    assert lloyd_polish(LINE, [[1.0], [8.0]]).cost == pytest.approx(13.1875)
    errors = []
    for temperature in (0.3, 0.1, 0.03, 0.01):
        potential, saddle = smoothed_saddle(temperature)
        assert np.linalg.norm(potential.gradient(saddle)) < 1e-8
        eigenvalues = np.linalg.eigvalsh(potential.hessian(saddle))
        assert np.sum(eigenvalues < 0) == 1
        errors.append(abs(potential.hard_cost(saddle) - barrier) + np.linalg.norm(saddle - [left, 9.0 - left]))
    assert errors[-1] < 1e-3
    assert errors == sorted(errors, reverse=True)


def test_engine_finds_exact_barrier_on_a_line():
    potential = KMeansCost(LINE, 2, temperature=0.03)
    left = minimize(potential, np.array([1.875, 8.0])).coordinates
    right = minimize(potential, np.array([1.0, 7.125])).coordinates
    result = find_transition_state(potential, left, right, n_images=8)
    assert result is not None
    assert potential.hard_cost(result.coordinates) == pytest.approx(14.5, abs=1e-4)
    polished = sorted(lloyd_polish(LINE, minimum.coordinates).cost for minimum in (result.minimum1, result.minimum2))
    assert polished == pytest.approx([13.1875, 13.1875])

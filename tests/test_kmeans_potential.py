"""The soft-min K-means cost: derivatives, its hard limit and input checks."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.datasets import load_iris

from topograph.kmeans.datasets import ClusteringData, write_clustering_csv
from topograph.potentials.kmeans import KMeansCost
from topograph.potentials.registry import build_potential

IRIS = load_iris().data


@pytest.fixture(autouse=True)
def single_thread():
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def random_centres(potential, seed=0, noise=0.2):
    rng = np.random.default_rng(seed)
    return potential.sample_starts(rng, 1)[0] + noise * rng.standard_normal(potential.dimension)


def central_difference(function, x, step=1e-6):
    columns = []
    for i in range(x.size):
        offset = np.zeros_like(x)
        offset[i] = step
        columns.append((function(x + offset) - function(x - offset)) / (2 * step))
    return np.array(columns)


@pytest.mark.parametrize("smoothing", [0.01, 0.1])
def test_gradient_matches_finite_differences(smoothing):
    potential = KMeansCost(IRIS, 3, smoothing=smoothing)
    x = random_centres(potential)
    numerical = central_difference(potential.energy, x)
    np.testing.assert_allclose(potential.gradient(x), numerical, rtol=1e-6, atol=1e-5)


@pytest.mark.parametrize("backend", ["numpy", "torch"])
def test_hessian_and_hvp_match_finite_differences(backend):
    potential = KMeansCost(IRIS, 3, smoothing=0.05, backend=backend)
    x = random_centres(potential, seed=1)
    numerical = central_difference(potential.gradient, x).T
    hessian = potential.hessian(x)
    np.testing.assert_allclose(hessian, numerical, rtol=1e-5, atol=1e-4)
    np.testing.assert_allclose(hessian, hessian.T, atol=1e-9)
    vector = np.random.default_rng(2).standard_normal(potential.dimension)
    np.testing.assert_allclose(potential.hessian_vector_product(x, vector), hessian @ vector, rtol=1e-10, atol=1e-8)


def test_batched_evaluation_matches_single_points():
    potential = KMeansCost(IRIS, 4, chunk_size=3)
    points = potential.sample_starts(np.random.default_rng(3), 7)
    energies, gradients = potential.energies_gradients(points)
    for row, x in enumerate(points):
        energy, gradient = KMeansCost(IRIS, 4).energy_gradient(x)
        assert energies[row] == pytest.approx(energy, rel=1e-12)
        np.testing.assert_allclose(gradients[row], gradient, rtol=1e-10, atol=1e-10)


def test_torch_backend_matches_numpy():
    x = random_centres(KMeansCost(IRIS, 3), seed=4)
    numpy_energy, numpy_gradient = KMeansCost(IRIS, 3).energy_gradient(x)
    torch_energy, torch_gradient = KMeansCost(IRIS, 3, backend="torch").energy_gradient(x)
    assert torch_energy == pytest.approx(numpy_energy, rel=1e-12)
    np.testing.assert_allclose(torch_gradient, numpy_gradient, rtol=1e-10, atol=1e-10)


def test_smoothed_cost_tends_to_hard_cost():
    x = random_centres(KMeansCost(IRIS, 3), seed=5)
    exact = np.sum(np.min(((IRIS[:, None, :] - x.reshape(3, 4)[None]) ** 2).sum(axis=2), axis=1))
    gaps = []
    for temperature in (1.0, 0.1, 0.01, 1e-3, 1e-4):
        potential = KMeansCost(IRIS, 3, temperature=temperature)
        assert potential.hard_cost(x) == pytest.approx(exact, rel=1e-12)
        gap = potential.hard_cost(x) - potential.energy(x)
        # E - N T ln K <= E_T <= E for the soft minimum of K terms.
        assert 0.0 <= gap <= IRIS.shape[0] * temperature * np.log(3) + 1e-9
        gaps.append(gap)
    assert np.all(np.diff(gaps) < 0)
    assert gaps[-1] < 1e-6


def test_smoothing_scales_with_spread():
    spread = np.mean(np.sum((IRIS - IRIS.mean(axis=0)) ** 2, axis=1))
    assert KMeansCost(IRIS, 3, smoothing=0.02).temperature == pytest.approx(0.02 * spread)
    assert KMeansCost(10.0 * IRIS, 3, smoothing=0.02).temperature == pytest.approx(2.0 * spread)


def test_nan_in_data_is_rejected():
    points = IRIS.copy()
    points[7, 2] = np.nan
    with pytest.raises(ValueError, match=r"NaN or infinite values in row 7.*remove or impute"):
        KMeansCost(points, 3)


def test_more_clusters_than_distinct_points_is_rejected():
    points = np.array([[0.0, 0.0], [0.0, 0.0], [1.0, 1.0], [1.0, 1.0]])
    with pytest.raises(ValueError, match=r"n_clusters=3 .* 2 distinct points; choose K between 1 and 2"):
        KMeansCost(points, 3)


def test_duplicate_points_are_kept_and_counted():
    points = np.array([[0.0], [0.0], [0.0], [4.0]])
    potential = KMeansCost(points, 2, temperature=1e-6)
    assert potential.n_duplicate_points == 2
    # Duplicates weigh as often as they occur: the cost of one centre at the
    # mean 1.0 is 3 * 1 + 9.
    assert KMeansCost(points, 1).hard_cost(np.array([1.0])) == pytest.approx(12.0)
    assert potential.hard_cost(np.array([0.0, 4.0])) == 0.0


def test_invalid_cluster_count_is_rejected():
    for value in (0, 2.5, True):
        with pytest.raises(ValueError, match="n_clusters"):
            KMeansCost(IRIS, value)


def test_registry_builds_from_csv_with_outlier_column(tmp_path):
    labels = np.zeros(IRIS.shape[0] + 1, dtype=np.int64)
    outliers = np.zeros(IRIS.shape[0] + 1, dtype=bool)
    outliers[-1] = True
    points = np.vstack([IRIS, [[100.0, 100.0, 100.0, 100.0]]])
    path = tmp_path / "data.csv"
    write_clustering_csv(path, ClusteringData(points, labels, outliers, ["a", "b", "c", "d"]))
    potential = build_potential(
        {"potential": "kmeans", "parameters": {"data": str(path), "n_clusters": 3, "smoothing": 0.01}}
    )
    assert potential.points.shape == (151, 4)
    # The smoothing follows the spread of the original points, not the outlier.
    assert potential.temperature == pytest.approx(KMeansCost(IRIS, 3).temperature)


def test_registry_reports_missing_and_invalid_parameters():
    with pytest.raises(ValueError, match="requires the parameter 'n_clusters'"):
        build_potential({"potential": "kmeans", "parameters": {"points": [[0.0], [1.0]]}})
    with pytest.raises(ValueError, match="exactly one of 'data'"):
        build_potential({"potential": "kmeans", "parameters": {"n_clusters": 1}})
    with pytest.raises(ValueError, match="n_clusters=3 .* 2 distinct points"):
        build_potential({"potential": "kmeans", "parameters": {"points": [[0.0], [1.0]], "n_clusters": 3}})


def test_excluded_minimum_marks_empty_clusters():
    potential = KMeansCost(IRIS, 2)
    far_centre = np.concatenate([IRIS.mean(axis=0), [50.0, 50.0, 50.0, 50.0]])
    assert potential.is_excluded_minimum(far_centre)
    assert not potential.is_excluded_minimum(np.concatenate([IRIS[0], IRIS[100]]))

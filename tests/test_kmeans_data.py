"""Data sets, outliers, clustering metrics, funnel measures and the study tables of the K-means study."""

from __future__ import annotations

import itertools
import json

import numpy as np
import pytest
from sklearn.datasets import load_iris, load_wine
from sklearn.metrics import adjusted_rand_score

from conftest import run_topograph
from topograph.database.store import StationaryPointDatabase
from topograph.kmeans.datasets import (
    NO_LABEL,
    ClusteringData,
    load_dataset,
    read_clustering_csv,
    write_clustering_csv,
)
from topograph.kmeans.funnels import barriers_to_global, drains_to_global, funnel_bottoms
from topograph.kmeans.grid import PACKAGED_DISTINCT_ROWS, check_cluster_counts
from topograph.kmeans.lloyd import canonical_partition, lloyd_polish
from topograph.kmeans.metrics import matched_accuracy, rand_index
from topograph.kmeans.outliers import add_outliers
from topograph.kmeans.study import write_study_tables


def test_builtin_datasets():
    iris = load_dataset({"source": "iris"})
    np.testing.assert_array_equal(iris.points, load_iris().data)
    assert iris.has_labels
    assert not iris.outliers.any()
    wine = load_dataset({"source": "wine", "standardise": True})
    assert wine.points.shape == load_wine().data.shape
    np.testing.assert_allclose(wine.points.mean(axis=0), 0.0, atol=1e-12)
    np.testing.assert_allclose(wine.points.std(axis=0), 1.0, rtol=1e-12)


def test_blobs_are_seeded_with_known_labels():
    settings = {"source": "blobs", "n_samples": 60, "centers": 4, "n_features": 3, "cluster_std": 0.1, "seed": 7}
    first, second = load_dataset(settings), load_dataset(settings)
    np.testing.assert_array_equal(first.points, second.points)
    assert first.points.shape == (60, 3)
    assert set(first.labels.tolist()) == {0, 1, 2, 3}
    # Tight blobs: Lloyd from the true means recovers the labels exactly.
    means = np.array([first.points[first.labels == k].mean(axis=0) for k in range(4)])
    assert matched_accuracy(first.labels, lloyd_polish(first.points, means).labels) == 1.0


def test_outliers_lie_beyond_the_data():
    iris = load_dataset({"source": "iris"})
    distance = 2.5
    noisy = add_outliers(iris, 12, seed=3, distance=distance)
    assert noisy.points.shape == (162, 4)
    assert noisy.outliers.sum() == 12
    assert not noisy.outliers[:150].any()
    assert np.all(noisy.labels[150:] == NO_LABEL)
    rms = np.sqrt(iris.spread())
    gaps = np.linalg.norm(noisy.points[150:, None, :] - iris.points[None, :, :], axis=2)
    assert gaps.min() >= distance * rms - 1e-9
    again = add_outliers(iris, 12, seed=3, distance=distance)
    np.testing.assert_array_equal(again.points, noisy.points)
    assert not np.array_equal(add_outliers(iris, 12, seed=4).points, noisy.points)
    assert noisy.spread() == pytest.approx(iris.spread())


@pytest.mark.parametrize("standardise", [False, True])
@pytest.mark.parametrize("source", sorted(PACKAGED_DISTINCT_ROWS))
def test_packaged_distinct_rows_match_data(source, standardise):
    points = load_dataset({"source": source, "standardise": standardise}).points
    assert np.unique(points, axis=0).shape[0] == PACKAGED_DISTINCT_ROWS[source]


def kmeans_settings(datasets, clusters, outliers=(0,)):
    return {"datasets": datasets, "clusters": list(clusters), "outliers": list(outliers), "seeds": [0],
            "outlier_distance": 3.0}  # fmt: skip


BLOBS = {"source": "blobs", "standardise": False, "n_samples": 20, "centers": 3, "n_features": 2,
         "cluster_std": 1.0, "seed": 0}  # fmt: skip


@pytest.mark.parametrize(
    ("dataset", "clusters", "expected"),
    [
        ({"source": "iris", "standardise": False}, [3, 150],
         "kmeans.clusters includes K = 150, but data set 'd' (source iris) with 0 outliers has only 149 "
         "distinct points; lower K to at most 149"),
        ({"source": "wine", "standardise": True}, [400],
         "K = 400, but data set 'd' (source wine) with 0 outliers has only 178 distinct points"),
        (BLOBS, [21], "K = 21, but data set 'd' (source blobs) with 0 outliers has only 20 distinct points; "
         "lower K to at most 20 or raise its n_samples"),
    ],
)  # fmt: skip
def test_cluster_count_above_distinct_points(dataset, clusters, expected):
    with pytest.raises(ValueError) as raised:
        check_cluster_counts(kmeans_settings({"d": dataset}, clusters))
    assert expected in str(raised.value)


def test_cluster_counts_within_data_pass():
    csv_entry = {"source": "csv", "standardise": False, "path": "absent.csv", "label_column": None}
    datasets = {"iris": {"source": "iris", "standardise": False}, "blobs": BLOBS, "user": csv_entry}
    check_cluster_counts(kmeans_settings(datasets, [2, 20]))
    # Outliers are distinct points too: 149 distinct rows and 10 outliers allow K = 159.
    check_cluster_counts(kmeans_settings({"iris": datasets["iris"]}, [159], outliers=[10]))
    with pytest.raises(ValueError, match="with 10 outliers has only 159 distinct points"):
        check_cluster_counts(kmeans_settings({"iris": datasets["iris"]}, [160], outliers=[10, 20]))


def test_outlier_count_must_be_valid():
    iris = load_dataset({"source": "iris"})
    with pytest.raises(ValueError, match="number of outliers"):
        add_outliers(iris, -1, seed=0)
    with pytest.raises(ValueError, match="outlier distance"):
        add_outliers(iris, 3, seed=0, distance=0.0)


def test_csv_round_trip(tmp_path):
    data = add_outliers(load_dataset({"source": "iris"}), 3, seed=0)
    path = tmp_path / "iris.csv"
    write_clustering_csv(path, data)
    read = read_clustering_csv(path)
    np.testing.assert_array_equal(read.points, data.points)
    np.testing.assert_array_equal(read.labels, data.labels)
    np.testing.assert_array_equal(read.outliers, data.outliers)


def test_user_csv_with_labels_and_nan(tmp_path):
    path = tmp_path / "user.csv"
    path.write_text("a,b,species\n1,2,x\n3,4,y\n5,6,x\n")
    data = load_dataset({"source": "csv", "path": str(path), "label_column": "species"})
    np.testing.assert_array_equal(data.labels, [0, 1, 0])
    assert data.feature_names == ["a", "b"]
    path.write_text("a,b,species\n1,2,x\n3,nan,y\n")
    with pytest.raises(ValueError, match=r"line 3, column 'b' has 'nan', not a finite number"):
        load_dataset({"source": "csv", "path": str(path), "label_column": "species"})
    with pytest.raises(ValueError, match="label column 'kind' not found"):
        load_dataset({"source": "csv", "path": str(path), "label_column": "kind"})


def test_matched_accuracy_is_best_permutation():
    rng = np.random.default_rng(0)
    classes = rng.integers(0, 3, size=40)
    clusters = rng.integers(0, 3, size=40)
    best = max(
        np.mean(np.array(permutation)[clusters] == classes) for permutation in itertools.permutations(range(3))
    )
    assert matched_accuracy(classes, clusters) == pytest.approx(best)
    assert matched_accuracy(classes, (classes + 1) % 3) == 1.0
    assert rand_index(classes, clusters) == pytest.approx(adjusted_rand_score(classes, clusters))


def test_canonical_partition_ignores_labels():
    assert canonical_partition([2, 2, 0, 1]) == canonical_partition([0, 0, 1, 2])
    assert canonical_partition([0, 1, 1]) != canonical_partition([0, 0, 1])


def test_lloyd_reports_empty_clusters():
    points = np.array([[0.0], [1.0], [10.0]])
    result = lloyd_polish(points, [[0.5], [10.0], [100.0]])
    assert result.converged
    np.testing.assert_array_equal(result.empty_clusters, [2])
    assert result.cost == pytest.approx(0.5)


def funnel_database():
    """Minima 0 (global) and 1 joined by a saddle at 5; 2 joined to 1 at 4; 3 lower than 2 but only joined to 2 at 9."""
    database = StationaryPointDatabase(1)
    for energy in (0.0, 2.0, 3.0, 1.0, 7.0):
        database.add_minimum(energy, [energy])
    for energy, first, second in ((5.0, 0, 1), (4.0, 1, 2), (9.0, 2, 3)):
        database.add_transition_state(energy, [energy + 0.5], first, second)
    return database


def test_funnel_measures():
    database = funnel_database()
    np.testing.assert_array_equal(funnel_bottoms(database), [0, 3, 4])
    np.testing.assert_array_equal(drains_to_global(database), [True, True, True, False, False])
    barriers = barriers_to_global(database)
    np.testing.assert_allclose(barriers[:4], [0.0, 3.0, 2.0, 8.0])
    assert np.isnan(barriers[4])


def test_study_tables_put_outlier_counts_side_by_side(tmp_path):
    folders = []
    for outliers, cost in ((0, 78.85), (10, 708.3)):
        folder = tmp_path / f"cell{outliers}"
        folder.mkdir()
        summary = {
            "cell": {"dataset": "iris", "n_clusters": 3, "outliers": outliers, "seed": 0},
            "minima": 2 + outliers, "transition_states": 1, "global_minimum": {"cost": cost, "accuracy": 0.9},
            "similarity_ari": {"spearman": 0.5}, "funnels": {"funnel_bottoms": 1},
        }  # fmt: skip
        (folder / "summary.json").write_text(json.dumps(summary))
        (folder / "pairs.csv").write_text(
            "minimum_a,minimum_b,cost_a,cost_b,kinetic_similarity,ari\n0,1,1,2,0.5,0.1\n0,2,1,3,0.1,0.2\n1,2,2,3,0.9,0.3\n"
        )
        folders.append(folder)
    tables = write_study_tables(folders, tmp_path / "study")
    lines = (tmp_path / "study" / "outlier_comparison.csv").read_text().splitlines()
    assert lines[0] == "dataset,n_clusters,measure,outliers_0,outliers_10"
    assert "iris,3,global_minimum_cost,78.85,708.3" in lines
    assert "iris,3,minima,2,12" in lines
    assert "iris,3,pooled_similarity_ari_spearman,0.5,0.5" in lines
    assert len(tables["pairs"]) == 6


def test_cli_writes_data_and_rejects_missing_path(tmp_path):
    output = tmp_path / "blobs.csv"
    run_topograph("kmeans", "data", "blobs", "--n-samples", "30", "--outliers", "4", "--seed", "1", "--output", output)
    data = read_clustering_csv(output)
    assert data.points.shape == (34, 2)
    assert data.outliers.sum() == 4
    completed = run_topograph("kmeans", "data", "csv", "--output", tmp_path / "x.csv", check=False)
    assert completed.returncode == 2
    assert "source csv needs --path" in completed.stderr


def test_cli_analyse_rejects_wrong_cluster_count(tmp_path):
    data = tmp_path / "points.csv"
    write_clustering_csv(data, ClusteringData(np.array([[0.0], [1.0]]), np.array([0, 1]), np.zeros(2, bool), ["x"]))
    database = StationaryPointDatabase(2)
    database.add_minimum(0.0, [0.0, 1.0])
    database.save(tmp_path / "database.npz")
    completed = run_topograph(
        "kmeans", "analyse", tmp_path / "database.npz", "--data", data, "--n-clusters", "3",
        "--output", tmp_path / "out", check=False,
    )  # fmt: skip
    assert completed.returncode == 2
    assert "n_clusters=3" in completed.stderr
    assert "2 distinct points" in completed.stderr


def test_explore_reports_bad_kmeans_data(tmp_path):
    data = tmp_path / "points.csv"
    data.write_text("a,b\n1,2\n1,2\n3,4\n")
    spec = tmp_path / "landscape.yaml"
    spec.write_text(f"potential: {{potential: kmeans, parameters: {{data: {data}, n_clusters: 3}}}}\n")
    completed = run_topograph("landscape", "explore", spec, "--output", tmp_path / "shard.npz", check=False)
    assert completed.returncode == 2
    assert "n_clusters=3 is invalid" in completed.stderr
    assert "2 distinct points" in completed.stderr
    data.write_text("a,b\n1,2\n3,nan\n")
    completed = run_topograph("landscape", "explore", spec, "--output", tmp_path / "shard.npz", check=False)
    assert completed.returncode == 2
    assert "line 3, column 'b' has 'nan'" in completed.stderr

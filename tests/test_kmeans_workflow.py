"""The K-means part of the workflow, run by Snakemake in a temporary folder."""

from __future__ import annotations

import csv
import json
import shutil

import numpy as np
import pytest
import yaml
from sklearn.cluster import KMeans

from conftest import REPOSITORY
from test_workflow import snakemake
from topograph.database.store import StationaryPointDatabase
from topograph.kmeans.datasets import read_clustering_csv

IRIS_K3_GLOBAL_MINIMUM = 78.851441

CONFIG = {
    "kmeans": {
        "datasets": {"iris-raw": {"source": "iris"}},
        "clusters": [3],
        "outliers": [0, 5],
        "seeds": [0],
        "explore": {"n_starts": 4, "steps": 10, "temperature": 20.0, "step_size": 0.8, "shards": 2},
        "connect": {"neighbours": 3, "max_attempts": 1, "rounds": 1, "neb_images": 8},
    }
}
TABLES = ("landscapes.csv", "outlier_comparison.csv", "similarity_pairs.csv")


def read_rows(path):
    with open(path, newline="") as handle:
        return list(csv.DictReader(handle))


def test_kmeans_study_outputs(tmp_path):
    shutil.copy(REPOSITORY / "Snakefile", tmp_path / "Snakefile")
    for folder in ("workflow", "config", "envs"):
        if (REPOSITORY / folder).is_dir():
            shutil.copytree(REPOSITORY / folder, tmp_path / folder)
    (tmp_path / "config" / "config.yaml").write_text(yaml.safe_dump(CONFIG))
    targets = [f"results/kmeans/{name}" for name in (*TABLES, "outlier_effects.png", "similarity_vs_ari.png")]

    completed = snakemake(tmp_path, *targets)
    assert completed.returncode == 0, completed.stderr[-4000:]

    rows = {int(row["outliers"]): row for row in read_rows(tmp_path / "results/kmeans/landscapes.csv")}
    assert sorted(rows) == [0, 5]
    assert float(rows[0]["global_minimum_cost"]) == pytest.approx(IRIS_K3_GLOBAL_MINIMUM, abs=1e-5)
    # Outliers far from the data can only raise the lowest cost.
    assert float(rows[5]["global_minimum_cost"]) > IRIS_K3_GLOBAL_MINIMUM
    for row in rows.values():
        assert int(row["minima"]) >= 1
        assert 0.0 < float(row["global_minimum_accuracy"]) <= 1.0

    comparison = read_rows(tmp_path / "results/kmeans/outlier_comparison.csv")
    assert set(comparison[0]) == {"dataset", "n_clusters", "measure", "outliers_0", "outliers_5"}
    minima = next(row for row in comparison if row["measure"] == "minima")
    assert float(minima["outliers_0"]) == float(rows[0]["minima"])
    for name in ("outlier_effects.png", "similarity_vs_ari.png"):
        assert (tmp_path / "results/kmeans" / name).stat().st_size > 10_000

    # Every minimum in the tables is a Lloyd fixed point with scikit-learn's cost.
    for outliers in (0, 5):
        folder = tmp_path / f"results/kmeans/landscapes/kmeans_iris-raw_k3_o{outliers}_s0"
        points = read_clustering_csv(tmp_path / f"results/kmeans/data/iris-raw_o{outliers}_s0.csv").points
        assert points.shape == (150 + outliers, 4)
        exact = StationaryPointDatabase.load(folder / "exact.npz")
        table = read_rows(folder / "minima.csv")
        assert len(table) == exact.n_minima
        for row, centres in zip(table, exact.minima.coordinates):
            step = KMeans(n_clusters=3, init=centres.reshape(3, 4), n_init=1, max_iter=1).fit(points)
            np.testing.assert_allclose(step.cluster_centers_, centres.reshape(3, 4), atol=1e-10)
            assert float(row["cost"]) == pytest.approx(step.inertia_, rel=1e-9)
        summary = json.loads((folder / "summary.json").read_text())
        assert summary["cell"] == {"dataset": "iris-raw", "n_clusters": 3, "outliers": outliers, "seed": 0}
        assert (folder / "disconnectivity.png").stat().st_size > 10_000

    rerun = snakemake(tmp_path, *targets)
    assert rerun.returncode == 0
    assert "Nothing to be done" in rerun.stdout + rerun.stderr

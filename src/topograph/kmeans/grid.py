"""The grid of the K-means study: data set × K × number of outliers × seed.

Each cell is one landscape of the engine, named
``kmeans_{dataset}_k{K}_o{outliers}_s{seed}``, mapped from the data file
``{results}/kmeans/data/{dataset}_o{outliers}_s{seed}.csv``. The seed draws
the outliers and seeds basin-hopping, so two seeds of one cell differ in
both. The workflow registers these descriptions with the landscape rules.
"""

from __future__ import annotations

import itertools

import numpy as np

from topograph.kmeans.datasets import load_dataset
from topograph.kmeans.outliers import add_outliers

# Key of a data set entry whose mapping overrides the study's explore settings.
EXPLORE_OVERRIDE_KEY = "explore"

# Distinct rows of the data sets that ship with scikit-learn: Iris repeats
# one of its 150 rows, and the 178 rows of Wine are all different.
# Standardising maps distinct rows to distinct rows.
PACKAGED_DISTINCT_ROWS = {"iris": 149, "wine": 178}


def landscape_name(dataset: str, n_clusters: int, outliers: int, seed: int) -> str:
    """Return the landscape name of one cell of the grid."""
    return f"kmeans_{dataset}_k{n_clusters}_o{outliers}_s{seed}"


def data_file(results: str, dataset: str, outliers: int, seed: int) -> str:
    """Return the path of the data file of a data set with outliers added."""
    return f"{results}/kmeans/data/{dataset}_o{outliers}_s{seed}.csv"


def study_cells(settings: dict) -> list[dict]:
    """Return every cell of the grid as a dict with ``dataset``, ``n_clusters``, ``outliers``, ``seed`` and ``name``."""
    cells = []
    for dataset, n_clusters, outliers, seed in itertools.product(
        settings["datasets"], settings["clusters"], settings["outliers"], settings["seeds"]
    ):
        cells.append({
            "dataset": dataset, "n_clusters": int(n_clusters), "outliers": int(outliers), "seed": int(seed),
            "name": landscape_name(dataset, n_clusters, outliers, seed),
        })  # fmt: skip
    return cells


def check_cluster_counts(settings: dict) -> None:
    """Check every K of the grid against the distinct points of each packaged data set.

    The data of a cell are its data set's points with the cell's outliers
    appended, and the K-means cost needs at least K distinct points. A K
    within the distinct rows of the data set passes without loading it.
    Blobs count ``n_samples`` rows, which are Gaussian draws and distinct with
    probability one. Data sets of source ``csv`` are checked by the job that
    reads the file.

    Parameters
    ----------
    settings : dict
        The ``kmeans`` section of the configuration, with defaults filled in.

    Raises
    ------
    ValueError
        Naming the data set, K and the number of distinct points, for the
        cell with the fewest outliers whose K is too large.
    """
    for dataset, entry in settings["datasets"].items():
        source = entry["source"]
        if source == "csv":
            continue
        rows = PACKAGED_DISTINCT_ROWS[source] if source in PACKAGED_DISTINCT_ROWS else int(entry["n_samples"])
        too_large = sorted({int(k) for k in settings["clusters"] if k > rows})
        if not too_large:
            continue
        data = load_dataset(entry)
        for outliers, seed in itertools.product(sorted(settings["outliers"]), settings["seeds"]):
            points = add_outliers(data, int(outliers), int(seed), settings["outlier_distance"]).points
            n_distinct = int(np.unique(points, axis=0).shape[0])
            if too_large[-1] > n_distinct:
                fix = " or raise its n_samples" if source == "blobs" else ""
                raise ValueError(
                    f"kmeans.clusters includes K = {too_large[-1]}, but data set {dataset!r} "
                    f"(source {source}) with {outliers} outliers has only {n_distinct} "
                    f"distinct points; lower K to at most {n_distinct}{fix}"
                )


def landscape_description(settings: dict, cell: dict, results: str) -> dict:
    """Return the landscape description of one cell, for the landscape engine.

    A data set entry's ``explore`` mapping overrides the study's explore
    settings, because step sizes and temperatures depend on the data's scale.
    """
    explore = {**settings["explore"], **settings["datasets"][cell["dataset"]].get(EXPLORE_OVERRIDE_KEY, {})}
    explore["seed"] = cell["seed"]
    explore["starts"] = "random"
    return {
        "potential": {
            "potential": "kmeans",
            "parameters": {
                "data": data_file(results, cell["dataset"], cell["outliers"], cell["seed"]),
                "n_clusters": cell["n_clusters"],
                "smoothing": settings["smoothing"],
            },
        },
        "explore": explore,
        "connect": dict(settings["connect"]),
        "database": dict(settings["database"]),
        "analysis": {
            "levels": settings["analysis"]["levels"],
            "length_scale": settings["analysis"]["length_scale"],
            "temperatures": [settings["analysis"]["kinetic_temperature"]],
        },
    }

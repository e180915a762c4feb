"""The grid of the K-means study: data set × K × number of outliers × seed.

Each cell is one landscape of the engine, named
``kmeans_{dataset}_k{K}_o{outliers}_s{seed}``, mapped from the data file
``{results}/kmeans/data/{dataset}_o{outliers}_s{seed}.csv``. The seed draws
the outliers and seeds basin-hopping, so two seeds of one cell differ in
both. The workflow registers these descriptions with the landscape rules.
"""

from __future__ import annotations

import itertools

# Key of a data set entry whose mapping overrides the study's explore settings.
EXPLORE_OVERRIDE_KEY = "explore"


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

"""Tables of the K-means study across data sets, K, outlier counts and seeds.

:func:`write_study_tables` reads the ``summary.json`` and ``pairs.csv`` of
every analysed landscape (:mod:`topograph.kmeans.analysis`) and writes

- ``landscapes.csv``: one row per landscape with its main measures;
- ``outlier_comparison.csv``: one row per data set, K and measure, with one
  column per outlier count (the mean over seeds), so the landscapes with 0
  and more outliers sit side by side;
- ``similarity_pairs.csv``: every pair of minima with its kinetic
  similarity and adjusted Rand index, labelled with its landscape.

Correlations of kinetic similarity with the adjusted Rand index per outlier
count are computed over the pairs of all seeds together.
"""

from __future__ import annotations

import csv
import json
import logging
from pathlib import Path

import numpy as np

from topograph.database.atomic import atomic_write
from topograph.kmeans.metrics import correlations

logger = logging.getLogger(__name__)

CELL_COLUMNS = ("dataset", "n_clusters", "outliers", "seed")
# Measures of landscapes.csv, each a path into summary.json.
MEASURES = {
    "minima": ("minima",),
    "transition_states": ("transition_states",),
    "connected_components": ("connected_components",),
    "global_minimum_cost": ("global_minimum", "cost"),
    "global_minimum_accuracy": ("global_minimum", "accuracy"),
    "global_minimum_ari": ("global_minimum", "ari"),
    "mean_accuracy": ("mean_accuracy",),
    "cost_accuracy_pearson": ("cost_accuracy", "pearson"),
    "cost_accuracy_spearman": ("cost_accuracy", "spearman"),
    "funnel_bottoms": ("funnels", "funnel_bottoms"),
    "fraction_draining_to_global": ("funnels", "fraction_draining_to_global"),
    "mean_barrier_to_global": ("funnels", "mean_barrier_to_global"),
    "frustration": ("frustration",),
    "similarity_pairs": ("similarity_pairs",),
    "similarity_ari_spearman": ("similarity_ari", "spearman"),
    "empty_cluster_minima": ("exact_landscape", "empty_cluster_minima"),
}


def _lookup(summary: dict, path: tuple[str, ...]) -> float:
    value = summary
    for key in path:
        if not isinstance(value, dict) or value.get(key) is None:
            return float("nan")
        value = value[key]
    return float(value)


def _format(value) -> str:
    if isinstance(value, float):
        return "nan" if np.isnan(value) else f"{value:.10g}"
    return str(value)


def _write(path: Path, columns, rows) -> None:
    with atomic_write(path, "w") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(columns)
        for row in rows:
            writer.writerow([_format(value) for value in row])


def read_analyses(folders: list[str | Path]) -> tuple[list[dict], list[dict]]:
    """Return one row of measures per analysed landscape and every pair of minima, labelled by cell."""
    landscapes, pairs = [], []
    for folder in folders:
        folder = Path(folder)
        try:
            summary = json.loads((folder / "summary.json").read_text())
        except FileNotFoundError:
            raise ValueError(f"{folder} has no summary.json; run `topograph kmeans analyse` for it first") from None
        cell = summary.get("cell")
        if not cell:
            raise ValueError(f"{folder / 'summary.json'} has no cell; analyse it with --dataset and --seed")
        landscapes.append({**cell, **{name: _lookup(summary, path) for name, path in MEASURES.items()}})
        with open(folder / "pairs.csv", newline="") as handle:
            for row in csv.DictReader(handle):
                pairs.append({**cell, "kinetic_similarity": float(row["kinetic_similarity"]), "ari": float(row["ari"])})
    landscapes.sort(key=lambda row: tuple(row[key] for key in CELL_COLUMNS))
    return landscapes, pairs


def write_study_tables(folders: list[str | Path], output: str | Path) -> dict:
    """Write the study's tables into ``output`` and return them as lists of rows."""
    output = Path(output)
    output.mkdir(parents=True, exist_ok=True)
    landscapes, pairs = read_analyses(folders)
    _write(
        output / "landscapes.csv",
        (*CELL_COLUMNS, *MEASURES),
        [[row[key] for key in (*CELL_COLUMNS, *MEASURES)] for row in landscapes],
    )

    counts = sorted({row["outliers"] for row in landscapes})
    groups = sorted({(row["dataset"], row["n_clusters"]) for row in landscapes})
    comparison = []
    for dataset, n_clusters in groups:
        members = [row for row in landscapes if (row["dataset"], row["n_clusters"]) == (dataset, n_clusters)]
        for measure in (*MEASURES, "pooled_similarity_ari_spearman"):
            values = []
            for count in counts:
                if measure == "pooled_similarity_ari_spearman":
                    chosen = [
                        pair for pair in pairs
                        if (pair["dataset"], pair["n_clusters"], pair["outliers"]) == (dataset, n_clusters, count)
                    ]  # fmt: skip
                    similarity = np.array([pair["kinetic_similarity"] for pair in chosen])
                    agreement = np.array([pair["ari"] for pair in chosen])
                    values.append(correlations(similarity, agreement)["spearman"])
                    continue
                cell_values = [row[measure] for row in members if row["outliers"] == count]
                finite = [value for value in cell_values if np.isfinite(value)]
                values.append(float(np.mean(finite)) if finite else float("nan"))
            comparison.append([dataset, n_clusters, measure, *values])
    _write(
        output / "outlier_comparison.csv",
        ("dataset", "n_clusters", "measure", *(f"outliers_{count}" for count in counts)),
        comparison,
    )
    _write(
        output / "similarity_pairs.csv",
        (*CELL_COLUMNS, "kinetic_similarity", "ari"),
        [[pair[key] for key in (*CELL_COLUMNS, "kinetic_similarity", "ari")] for pair in pairs],
    )
    logger.info("%d landscapes and %d pairs of minima tabulated in %s", len(landscapes), len(pairs), output)
    return {"landscapes": landscapes, "comparison": comparison, "pairs": pairs, "outlier_counts": counts}

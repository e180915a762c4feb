"""Analysis of one K-means landscape: accuracy, funnels, frustration and kinetic similarity.

:func:`analyse_landscape` reads the database of the smoothed cost and the
data, builds the exact landscape (:mod:`topograph.kmeans.solutions`) and
writes, into one folder:

- ``exact.npz``: the exact landscape, with the per-minimum properties
  ``accuracy`` and ``ari`` when the data have classes;
- ``minima.csv``: per minimum its cost, accuracy, adjusted Rand index,
  cluster sizes, outliers in clusters of their own, and funnel measures;
- ``pairs.csv``: for pairs of minima joined through the network, the
  kinetic similarity (:func:`topograph.kinetics.similarity.set_similarity`)
  and the adjusted Rand index between their partitions;
- ``disconnectivity.png``: the disconnectivity graph coloured by accuracy;
- ``summary.json``: counts, the global minimum, correlations of cost with
  accuracy and of kinetic similarity with the adjusted Rand index, funnel
  and frustration measures.

Length scales and temperatures scale with the data. The frustration length
is ``length_scale`` · s and the kinetic temperature is
``kinetic_temperature`` · s². Here s² is the mean squared distance of the
original points (outliers left out) to their mean, so adding outliers does
not change either.
Accuracy and the adjusted Rand index are measured on the original points.
"""

from __future__ import annotations

import csv
import json
import logging
from pathlib import Path

import numpy as np

from topograph.analysis.disconnectivity import plot_disconnectivity
from topograph.analysis.frustration import frustration
from topograph.database.atomic import atomic_write
from topograph.database.pairs import connected_components
from topograph.database.store import StationaryPointDatabase
from topograph.kinetics.rates import database_rate_network
from topograph.kinetics.similarity import set_similarity
from topograph.kmeans.datasets import read_clustering_csv
from topograph.kmeans.funnels import barriers_to_global, drains_to_global, funnel_bottoms, funnel_summary
from topograph.kmeans.metrics import correlations, matched_accuracy, rand_index
from topograph.kmeans.solutions import harden_landscape
from topograph.potentials.kmeans import KMeansCost

logger = logging.getLogger(__name__)

PAIR_COLUMNS = ("minimum_a", "minimum_b", "cost_a", "cost_b", "kinetic_similarity", "ari")


def analyse_landscape(
    database_path: str | Path,
    data_path: str | Path,
    n_clusters: int,
    smoothing: float,
    output: str | Path,
    levels: int = 20,
    length_scale: float = 0.5,
    kinetic_temperature: float = 0.5,
    max_pair_minima: int = 25,
    cell: dict | None = None,
) -> dict:
    """Analyse one K-means landscape and write its tables, graph and summary into ``output``.

    Parameters
    ----------
    database_path : path
        Database of the smoothed cost, as written by ``topograph landscape connect``.
    data_path : path
        The data in the layout of :func:`topograph.kmeans.datasets.write_clustering_csv`.
    n_clusters, smoothing : int, float
        K and the smoothing the landscape was mapped with.
    output : path
        Folder to write into.
    levels : int
        Energy levels of the disconnectivity graph.
    length_scale : float
        Frustration length scale, in units of the data's spread s.
    kinetic_temperature : float
        Temperature of the rates behind the kinetic similarity, in units of s².
    max_pair_minima : int
        Kinetic similarities are computed between every two of this many
        lowest minima that share a connected component.
    cell : dict, optional
        The landscape's place in the study grid (``dataset``, ``n_clusters``,
        ``outliers``, ``seed``), copied into the summary.

    Returns
    -------
    dict
        The summary written to ``summary.json``.
    """
    output = Path(output)
    output.mkdir(parents=True, exist_ok=True)
    data = read_clustering_csv(data_path)
    spread = data.spread()
    potential = KMeansCost(data.points, n_clusters, smoothing=smoothing, spread=spread)
    smoothed = StationaryPointDatabase.load(database_path)
    exact = harden_landscape(smoothed, potential)
    database = exact.database
    if database.n_minima == 0:
        raise ValueError(
            f"no minimum of {database_path} is a K-means solution with {n_clusters} non-empty clusters; "
            "explore with more chains or steps"
        )

    original = data.original
    costs = np.asarray(database.minima.energies)
    accuracy = np.full(database.n_minima, np.nan)
    ari = np.full(database.n_minima, np.nan)
    if data.has_labels:
        classes = data.labels[original]
        for i, labels in enumerate(exact.partitions):
            accuracy[i] = matched_accuracy(classes, labels[original])
            ari[i] = rand_index(classes, labels[original])
        database.set_property("accuracy", accuracy)
        database.set_property("ari", ari)
    database.save(output / "exact.npz")

    _write_minima_table(output / "minima.csv", database, exact.partitions, data, accuracy, ari)
    pairs = _kinetic_pairs(database, exact.partitions, original, kinetic_temperature * spread, max_pair_minima)
    _write_rows(output / "pairs.csv", PAIR_COLUMNS, pairs)
    plot_disconnectivity(
        database,
        output / "disconnectivity.png",
        levels=levels,
        colour_by="accuracy" if data.has_labels else None,
        colour_label="accuracy",
        energy_label="K-means cost",
        title=f"K = {n_clusters}, {int(data.outliers.sum())} outliers",
    )

    summary = _summary(database, exact, data, accuracy, ari, pairs, spread, length_scale, kinetic_temperature)
    summary["smoothing"] = smoothing
    if cell is not None:
        summary["cell"] = cell
    summary["smoothing_temperature"] = potential.temperature
    with atomic_write(output / "summary.json", "w") as handle:
        # Undefined numbers (no classes, too few minima) become null, which is valid JSON.
        json.dump(_nan_to_none(summary), handle, indent=2)
        handle.write("\n")
    logger.info(
        "%d minima, %d transition states, global minimum %.10g",
        database.n_minima, database.n_transition_states, summary["global_minimum"]["cost"],
    )  # fmt: skip
    return summary


def _nan_to_none(value):
    if isinstance(value, dict):
        return {key: _nan_to_none(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_nan_to_none(item) for item in value]
    if isinstance(value, float) and np.isnan(value):
        return None
    return value


def _write_rows(path: Path, columns, rows) -> None:
    with atomic_write(path, "w") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(columns)
        for row in rows:
            writer.writerow([f"{value:.12g}" if isinstance(value, float) else value for value in row])


def _write_minima_table(path, database, partitions, data, accuracy, ari) -> None:
    drains = drains_to_global(database)
    barriers = barriers_to_global(database)
    bottoms = set(funnel_bottoms(database).tolist())
    rows = []
    for i, labels in enumerate(partitions):
        sizes = np.bincount(labels, minlength=database.dimension // data.points.shape[1])
        # Clusters made of outliers only, the solutions outliers create.
        outlier_clusters = sum(
            1 for k in range(sizes.size) if sizes[k] and np.all(data.outliers[labels == k])
        )
        rows.append((
            i, float(database.minima.energies[i]), float(accuracy[i]), float(ari[i]),
            " ".join(str(size) for size in sizes), outlier_clusters,
            int(i == database.global_minimum()), int(i in bottoms), int(drains[i]), float(barriers[i]),
        ))  # fmt: skip
    columns = (
        "minimum", "cost", "accuracy", "ari", "cluster_sizes", "outlier_clusters",
        "global", "funnel_bottom", "drains_to_global", "barrier_to_global",
    )  # fmt: skip
    _write_rows(path, columns, rows)


def _kinetic_pairs(database, partitions, original, temperature, max_pair_minima):
    """Return (a, b, cost_a, cost_b, similarity, ARI) for pairs of low minima in one component."""
    if database.n_transition_states == 0:
        return []
    network = database_rate_network(database, temperature)
    _, components = connected_components(database)
    lowest = np.argsort(database.minima.energies, kind="stable")[:max_pair_minima]
    rows = []
    for position, a in enumerate(lowest):
        for b in lowest[position + 1 :]:
            if components[a] != components[b]:
                continue
            similarity = set_similarity(network, [int(a)], [int(b)])
            agreement = rand_index(partitions[a][original], partitions[b][original])
            energies = database.minima.energies
            rows.append((int(a), int(b), float(energies[a]), float(energies[b]), float(similarity), agreement))
    return rows


def _summary(database, exact, data, accuracy, ari, pairs, spread, length_scale, kinetic_temperature) -> dict:
    lowest = database.global_minimum()
    n_components, _ = connected_components(database)
    states = database.transition_states
    energies = database.minima.energies
    below = int(np.sum(states.energies < np.maximum(energies[states.minimum1], energies[states.minimum2])))
    summary = {
        "points": int(data.points.shape[0]),
        "outliers": int(data.outliers.sum()),
        "features": int(data.points.shape[1]),
        "n_clusters": database.dimension // data.points.shape[1],
        "spread": spread,
        "minima": database.n_minima,
        "transition_states": database.n_transition_states,
        "connected_components": n_components,
        "transition_states_below_a_minimum": below,
        "global_minimum": {
            "index": lowest,
            "cost": float(energies[lowest]),
            "accuracy": float(accuracy[lowest]),
            "ari": float(ari[lowest]),
            "centres": database.minima.coordinates[lowest].tolist(),
        },
        "exact_landscape": exact.counts,
        "cost_accuracy": correlations(energies, accuracy) if data.has_labels else None,
        "cost_ari": correlations(energies, ari) if data.has_labels else None,
        "mean_accuracy": float(np.mean(accuracy)) if data.has_labels else None,
        "funnels": funnel_summary(database),
        "frustration": frustration(database, length_scale * np.sqrt(spread))[0],
        "frustration_length_scale": float(length_scale * np.sqrt(spread)),
        "kinetic_temperature": float(kinetic_temperature * spread),
        "similarity_pairs": len(pairs),
    }
    if pairs:
        table = np.array([[row[4], row[5]] for row in pairs])
        summary["similarity_ari"] = correlations(table[:, 0], table[:, 1])
    else:
        summary["similarity_ari"] = {"pearson": float("nan"), "spearman": float("nan")}
    return summary

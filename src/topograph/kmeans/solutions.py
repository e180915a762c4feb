"""The exact K-means landscape, built from the database of the smoothed cost.

The landscape engine maps the soft-min cost of
:class:`~topograph.potentials.kmeans.KMeansCost`. This module turns its
database into one of the exact K-means cost:

- every minimum is polished by Lloyd's iteration to an exact fixed point
  and stored with its exact cost. Minima that polish to the same partition
  of the points, including relabelled copies, become one minimum. The
  database also compares centres after the best permutation
  (:class:`~topograph.database.alignment.PermutationAligner`). Its log
  product is that of the exact Hessian, which is block diagonal with
  2·n_k·I for a cluster of n_k points: Σ_k d·ln(2 n_k);
- every transition state keeps its coordinates and the Hessian log product
  of the smoothed cost, and gets the exact cost at its coordinates. The
  smoothed saddle lies within the smoothing blur of the lowest point of the
  boundary between two assignment regions. The exact cost is continuous
  there, so it tends to the exact barrier top as the smoothing temperature
  tends to 0;
- a minimum whose polished solution has an empty cluster is dropped, with
  its transition states, and so is a transition state whose two minima
  polish to one solution. Both are counted in the report.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import numpy as np

from topograph.database.store import StationaryPointDatabase
from topograph.kmeans.lloyd import canonical_partition, lloyd_polish
from topograph.potentials.kmeans import KMeansCost

logger = logging.getLogger(__name__)


@dataclass
class HardLandscape:
    """The exact K-means landscape and how it was derived from the smoothed one.

    Attributes
    ----------
    database : StationaryPointDatabase
        Exact costs, polished centres and the transition states that join two
        distinct solutions.
    partitions : list of ndarray
        Cluster index of every data point, per minimum of ``database``.
    smoothed_minimum : ndarray of int
        For each minimum of the smoothed database, its index in ``database``,
        or -1 when dropped.
    counts : dict
        ``smoothed_minima``, ``smoothed_transition_states``,
        ``empty_cluster_minima`` (dropped), ``unconverged_polishes``,
        ``merged_minima`` (smoothed minima that polished onto an earlier
        solution), ``collapsed_transition_states`` (both sides polish to one
        solution) and ``dropped_transition_states`` (joined to a dropped
        minimum).
    """

    database: StationaryPointDatabase
    partitions: list[np.ndarray]
    smoothed_minimum: np.ndarray
    counts: dict = field(default_factory=dict)


def exact_log_product(labels: np.ndarray, n_clusters: int, n_features: int) -> float:
    """Return Σ ln λ of the exact Hessian at a Lloyd fixed point, Σ_k d·ln(2 n_k)."""
    sizes = np.bincount(labels, minlength=n_clusters)
    return float(n_features * np.sum(np.log(2.0 * sizes)))


def harden_landscape(smoothed: StationaryPointDatabase, potential: KMeansCost) -> HardLandscape:
    """Build the exact K-means landscape from a database of the smoothed cost.

    Parameters
    ----------
    smoothed : StationaryPointDatabase
        Minima and transition states of ``potential``'s soft-min cost.
    potential : KMeansCost
        The potential the database was mapped with.

    Returns
    -------
    HardLandscape
    """
    if smoothed.dimension != potential.dimension:
        raise ValueError(
            f"the database has dimension {smoothed.dimension} but the K-means potential has "
            f"{potential.dimension} (K={potential.n_clusters}, d={potential.n_features}); pass the "
            "database mapped with this data set and K"
        )
    hard = StationaryPointDatabase(
        potential.dimension,
        energy_tolerance=smoothed.energy_tolerance,
        distance_tolerance=smoothed.distance_tolerance,
        aligner=potential.aligner,
        metadata={**smoothed.metadata, "kmeans_exact": True, "smoothing_temperature": potential.temperature},
    )
    counts = dict.fromkeys(
        ("empty_cluster_minima", "unconverged_polishes", "merged_minima",
         "collapsed_transition_states", "dropped_transition_states"), 0,
    )  # fmt: skip
    counts["smoothed_minima"] = smoothed.n_minima
    counts["smoothed_transition_states"] = smoothed.n_transition_states

    index_of_partition: dict[tuple[int, ...], int] = {}
    partitions: list[np.ndarray] = []
    mapping = np.full(smoothed.n_minima, -1, dtype=np.int64)
    for i, coordinates in enumerate(smoothed.minima.coordinates):
        polished = lloyd_polish(potential.points, coordinates)
        if not polished.converged:
            counts["unconverged_polishes"] += 1
            continue
        if polished.empty_clusters.size:
            counts["empty_cluster_minima"] += 1
            continue
        key = canonical_partition(polished.labels)
        if key in index_of_partition:
            mapping[i] = index_of_partition[key]
            counts["merged_minima"] += 1
            continue
        index, is_new = hard.add_minimum(
            polished.cost,
            polished.centres.reshape(-1),
            log_product=exact_log_product(polished.labels, potential.n_clusters, potential.n_features),
        )
        if is_new:
            partitions.append(polished.labels)
        else:
            counts["merged_minima"] += 1
        index_of_partition[key] = index
        mapping[i] = index

    states = smoothed.transition_states
    if len(states):
        exact_costs = potential.hard_costs(states.coordinates)
    for s in range(len(states)):
        first, second = mapping[states.minimum1[s]], mapping[states.minimum2[s]]
        if first < 0 or second < 0:
            counts["dropped_transition_states"] += 1
            continue
        if first == second:
            counts["collapsed_transition_states"] += 1
            continue
        hard.add_transition_state(
            exact_costs[s],
            states.coordinates[s],
            int(first),
            int(second),
            log_product=states.log_products[s],
            negative_eigenvalue=states.negative_eigenvalues[s],
        )
    logger.info(
        "exact landscape: %d minima and %d transition states from %d and %d smoothed ones (%s)",
        hard.n_minima, hard.n_transition_states, smoothed.n_minima, smoothed.n_transition_states,
        ", ".join(f"{key} {value}" for key, value in counts.items()),
    )  # fmt: skip
    return HardLandscape(hard, partitions, mapping, counts)

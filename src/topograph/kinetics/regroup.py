"""Regrouping minima separated by low barriers into kinetic groups.

Minima that interconvert much faster than they leave their neighbourhood
reach a local equilibrium, and can be treated as one state. Following the
free-energy regrouping of Carr and Wales (J. Phys. Chem. B 112, 8760, 2008),
two groups I and J are joined when the free-energy barrier between them is
below a threshold θ in either direction:

    min(ΔF_{I→J}, ΔF_{J→I}) < θ,   ΔF_{I→J} = −T ln(2π k_{I→J} / T),

which is the barrier seen from the higher of the two groups. With the
harmonic rates of :mod:`topograph.kinetics.rates`, ΔF_{I→J} = F‡_{IJ} − F_I
where F_I = −T ln Σ_{i∈I} Z_i and F‡_{IJ} = −T ln Σ_s Z_s over every
transition state between I and J. Judging from the higher group means a
shallow group is absorbed into a deep neighbour that it drains into
quickly, however deep the neighbour is.

The group rate constants assume local equilibrium inside each group:

    k_{I→J} = Σ_{i∈I} (p_i / p_I) Σ_{j∈J} k_{i→j},   p_I = Σ_{i∈I} p_i,

so they satisfy detailed balance, p_I k_{I→J} = p_J k_{J→I}. Joining
changes the group free energies and rates, so the joining is repeated on
the new groups until no pair is below the threshold. In each round, every
pair below the threshold is joined at once, transitively (the connected
components of the graph of such pairs, the union-find of the pairs).

:func:`regroup_by_energy` is the single-pass potential-energy version: i
and j are joined when a transition state s between them has
E_s − max(E_i, E_j) < θ, for landscapes without Hessians.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass

import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from topograph.kinetics.rates import (
    LOG_TWO_PI,
    RateNetwork,
    combine_parallel,
    database_rate_network,
)

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Regrouping:
    """Kinetic groups of minima and the rate network between them.

    Attributes
    ----------
    labels : ndarray of int64, shape (n_minima,)
        Group of each minimum. Groups are numbered by decreasing
        equilibrium occupation, so group 0 has the lowest free energy.
    network : RateNetwork
        Rate constants between groups (one node per group) and their log
        occupations ln p_I.
    free_energies : ndarray, shape (n_groups,)
        F_I = −T ln p_I, the group free energies relative to the whole
        network.
    rounds : int
        Number of joining rounds until no pair was below the threshold.
    """

    labels: np.ndarray
    network: RateNetwork
    free_energies: np.ndarray
    rounds: int

    @property
    def n_groups(self) -> int:
        return self.network.n_minima

    def members(self, group: int) -> np.ndarray:
        """Return the minima of ``group``, sorted."""
        return np.flatnonzero(self.labels == group)


def _components(n: int, first: np.ndarray, second: np.ndarray) -> np.ndarray:
    graph = coo_matrix((np.ones(first.size), (first, second)), shape=(n, n))
    _, labels = connected_components(graph, directed=False)
    return labels.astype(np.int64)


def free_energy_barriers(network: RateNetwork) -> np.ndarray:
    """Return ΔF = −T ln(2π k / T) for every edge of ``network``.

    This is F‡ − F of the source, in energy units.
    """
    temperature = network.temperature
    return -temperature * (network.log_rates + LOG_TWO_PI - math.log(temperature))


def group_network(network: RateNetwork, labels: np.ndarray) -> RateNetwork:
    """Lump minima into groups, with local equilibrium inside each group.

    Parameters
    ----------
    network : RateNetwork
        Rate network of the minima.
    labels : array_like of int, shape (n_minima,)
        Group of each minimum, numbered ``0 .. n_groups - 1``.

    Returns
    -------
    RateNetwork
        One node per group, with ``k_{I→J} = Σ_{i∈I} (p_i/p_I) Σ_{j∈J} k_ij``
        and ``ln p_I`` as occupations.
    """
    labels = np.asarray(labels, dtype=np.int64)
    if labels.shape != (network.n_minima,):
        raise ValueError(
            f"labels must have shape ({network.n_minima},), got {labels.shape}"
        )
    n_groups = int(labels.max()) + 1
    log_occupations = np.full(n_groups, -np.inf)
    np.logaddexp.at(log_occupations, labels, network.log_occupations)
    if np.any(np.isneginf(log_occupations)):
        empty = np.flatnonzero(np.isneginf(log_occupations))
        raise ValueError(f"groups {empty[:10].tolist()} have no minima")

    source_groups = labels[network.sources]
    target_groups = labels[network.targets]
    between = source_groups != target_groups
    log_fluxes = (
        network.log_occupations[network.sources[between]] + network.log_rates[between]
    )
    sources, targets, log_group_fluxes = (
        combine_parallel(
            source_groups[between], target_groups[between], log_fluxes, n_groups
        )
        if np.any(between)
        else (np.empty(0, np.int64), np.empty(0, np.int64), np.empty(0))
    )
    return RateNetwork(
        n_minima=n_groups,
        sources=sources.astype(np.int64),
        targets=targets.astype(np.int64),
        log_rates=log_group_fluxes - log_occupations[sources],
        log_occupations=log_occupations,
        temperature=network.temperature,
    )


def _renumber_by_occupation(labels: np.ndarray, log_occupations: np.ndarray):
    order = np.argsort(-log_occupations, kind="stable")
    new_label = np.empty_like(order)
    new_label[order] = np.arange(order.size)
    return new_label[labels]


def regroup(
    network: RateNetwork, threshold: float, *, max_rounds: int = 1000
) -> Regrouping:
    """Join groups of minima whose free-energy barrier is below ``threshold``.

    Parameters
    ----------
    network : RateNetwork
        Rate network of the minima at the regrouping temperature.
    threshold : float
        θ in energy units: groups I and J are joined when
        ``min(ΔF_{I→J}, ΔF_{J→I}) < θ``.
    max_rounds : int, optional
        Upper bound on joining rounds; each round joins at least one pair,
        so ``n_minima - 1`` rounds always suffice.

    Returns
    -------
    Regrouping
    """
    threshold = float(threshold)
    if not np.isfinite(threshold):
        raise ValueError(f"threshold must be a finite energy, got {threshold!r}")
    labels = np.arange(network.n_minima, dtype=np.int64)
    groups = network
    rounds = 0
    while True:
        # Each direction is an edge, so a pair is joined when either of its
        # two barriers, that is the lower one, is below the threshold.
        below = free_energy_barriers(groups) < threshold
        if not np.any(below):
            break
        if rounds == max_rounds:
            logger.warning(
                "regrouping stopped after max_rounds=%d with pairs still below the"
                " threshold %g. Raise max_rounds for the converged grouping",
                max_rounds,
                threshold,
            )
            break
        rounds += 1
        merged = _components(
            groups.n_minima, groups.sources[below], groups.targets[below]
        )
        labels = merged[labels]
        groups = group_network(network, labels)
        logger.debug("regrouping round %d: %d groups", rounds, groups.n_minima)

    labels = _renumber_by_occupation(labels, groups.log_occupations)
    groups = group_network(network, labels)
    return Regrouping(
        labels=labels,
        network=groups,
        free_energies=-network.temperature * groups.log_occupations,
        rounds=rounds,
    )


def regroup_by_energy(
    minimum_energies, ts_energies, ts_minimum1, ts_minimum2, threshold: float
) -> np.ndarray:
    """Join minima whose transition state is less than ``threshold`` above the higher.

    Parameters
    ----------
    minimum_energies : array_like, shape (n,)
    ts_energies : array_like, shape (m,)
    ts_minimum1, ts_minimum2 : array_like of int, shape (m,)
        The two minima each transition state joins.
    threshold : float
        θ in energy units.

    Returns
    -------
    ndarray of int64, shape (n,)
        Group of each minimum, numbered by increasing lowest member energy,
        so group 0 contains the global minimum.
    """
    minimum_energies = np.asarray(minimum_energies, dtype=np.float64)
    ts_energies = np.asarray(ts_energies, dtype=np.float64)
    first = np.asarray(ts_minimum1, dtype=np.int64)
    second = np.asarray(ts_minimum2, dtype=np.int64)
    higher = np.maximum(minimum_energies[first], minimum_energies[second])
    below = ts_energies - higher < threshold
    labels = _components(minimum_energies.size, first[below], second[below])

    lowest = np.full(labels.max() + 1, np.inf)
    np.minimum.at(lowest, labels, minimum_energies)
    order = np.argsort(lowest, kind="stable")
    new_label = np.empty_like(order)
    new_label[order] = np.arange(order.size)
    return new_label[labels]


def database_regroup(database, temperature: float, threshold: float, **rate_options):
    """Regroup the minima of a :class:`StationaryPointDatabase` at ``temperature``.

    ``rate_options`` are passed to
    :func:`topograph.kinetics.rates.database_rate_network`.
    """
    network = database_rate_network(database, temperature, **rate_options)
    return regroup(network, threshold)

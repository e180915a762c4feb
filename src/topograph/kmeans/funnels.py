"""Funnel measures of a landscape: monotonic sequences and barriers to the global minimum.

A monotonic sequence is a chain of minima, each joined to the next by a
transition state, whose energies decrease. A funnel bottom is a minimum
with no joined neighbour below it; a landscape with one funnel bottom is a
single funnel. Minima from which some monotonic sequence reaches the global
minimum drain into its funnel.

The barrier of a minimum to the global minimum is the lowest possible
maximum along a path of transition states between them, minus the
minimum's energy: the level at which the two merge in the disconnectivity
graph. A transition state counts at the highest of its own energy and its
two minima's, as in :mod:`topograph.analysis.disconnectivity`.
"""

from __future__ import annotations

import numpy as np
from scipy.cluster.hierarchy import DisjointSet

from topograph.database.store import StationaryPointDatabase


def _edges(database: StationaryPointDatabase):
    states = database.transition_states
    energies = database.minima.energies
    first, second = np.asarray(states.minimum1), np.asarray(states.minimum2)
    joining = first != second
    levels = np.maximum.reduce([np.asarray(states.energies), energies[first], energies[second]])
    return first[joining], second[joining], levels[joining]


def funnel_bottoms(database: StationaryPointDatabase) -> np.ndarray:
    """Return the minima with no lower minimum joined to them by a transition state."""
    energies = np.asarray(database.minima.energies)
    first, second, _ = _edges(database)
    has_lower = np.zeros(energies.size, dtype=bool)
    has_lower[first[energies[second] < energies[first]]] = True
    has_lower[second[energies[first] < energies[second]]] = True
    return np.flatnonzero(~has_lower)


def drains_to_global(database: StationaryPointDatabase) -> np.ndarray:
    """Return, per minimum, whether a monotonic sequence leads from it to the global minimum."""
    energies = np.asarray(database.minima.energies)
    first, second, _ = _edges(database)
    lowest = database.global_minimum()
    neighbours: list[list[int]] = [[] for _ in range(energies.size)]
    for a, b in zip(first.tolist(), second.tolist()):
        neighbours[a].append(b)
        neighbours[b].append(a)
    drains = np.zeros(energies.size, dtype=bool)
    drains[lowest] = True
    for i in np.argsort(energies, kind="stable"):
        if i == lowest:
            continue
        drains[i] = any(drains[j] and energies[j] < energies[i] for j in neighbours[i])
    return drains


def barriers_to_global(database: StationaryPointDatabase) -> np.ndarray:
    """Return each minimum's barrier to the global minimum; NaN when not connected to it."""
    energies = np.asarray(database.minima.energies)
    first, second, levels = _edges(database)
    lowest = database.global_minimum()
    merge_level = np.full(energies.size, np.nan)
    merge_level[lowest] = energies[lowest]
    components = DisjointSet(range(energies.size))
    for edge in np.argsort(levels, kind="stable"):
        a, b = int(first[edge]), int(second[edge])
        if components.connected(a, b):
            continue
        joined_global = components.connected(a, lowest) or components.connected(b, lowest)
        newcomers = components.subset(b) if components.connected(a, lowest) else components.subset(a)
        components.merge(a, b)
        if joined_global:
            for member in newcomers:
                merge_level[member] = levels[edge]
    return merge_level - energies


def funnel_summary(database: StationaryPointDatabase) -> dict:
    """Return the number of funnel bottoms, the fraction draining to the global minimum and barrier statistics."""
    bottoms = funnel_bottoms(database)
    drains = drains_to_global(database)
    barriers = barriers_to_global(database)
    connected = np.isfinite(barriers)
    others = connected.copy()
    others[database.global_minimum()] = False
    return {
        "funnel_bottoms": int(bottoms.size),
        "fraction_draining_to_global": float(drains.mean()),
        "fraction_connected_to_global": float(connected.mean()),
        "mean_barrier_to_global": float(barriers[others].mean()) if others.any() else float("nan"),
        "max_barrier_to_global": float(barriers[others].max()) if others.any() else float("nan"),
    }

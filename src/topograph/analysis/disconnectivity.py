"""Disconnectivity graphs of a stationary-point database.

At each energy level, the minima below that level fall into superbasins:
two minima share a superbasin when a chain of transition states, each below
the level, joins them. Going up the levels, superbasins only merge, so they
form a tree. The graph draws each superbasin as a node at its level, joins
it to the superbasins it contains one level down, and ends each minimum's
line at the minimum's own energy. The horizontal axis carries no meaning.

A transition state counts at the highest of its own energy and the energies
of its two minima. A malformed transition state that lies below one of its
minima therefore cannot join minima that are not yet present.
Minima above the top level are left out of the graph.
"""

from __future__ import annotations

import dataclasses
import logging
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse import csgraph

from topograph.database.atomic import atomic_write
from topograph.database.store import StationaryPointDatabase

logger = logging.getLogger(__name__)


@dataclasses.dataclass
class DisconnectivityTree:
    """Superbasins of a landscape at a series of energy levels.

    Attributes
    ----------
    levels : ndarray, shape (L,)
        Energy levels, ascending.
    basins : list of list of ndarray
        ``basins[k]`` lists the superbasins at ``levels[k]``, each a sorted
        array of minimum indices, ordered by their lowest energy and then by
        their lowest index.
    labels : ndarray of int, shape (L, n_minima)
        ``labels[k, i]`` is the position of minimum ``i``'s superbasin in
        ``basins[k]``, or -1 when the minimum lies above ``levels[k]``.
    energies : ndarray, shape (n_minima,)
        The minimum energies the tree was built from.
    """

    levels: np.ndarray
    basins: list[list[np.ndarray]]
    labels: np.ndarray
    energies: np.ndarray


def _resolve_levels(
    database: StationaryPointDatabase,
    levels: int | Sequence[float] | np.ndarray,
    energy_range: tuple[float, float] | None,
) -> np.ndarray:
    if not np.isscalar(levels):
        values = np.unique(np.asarray(levels, dtype=np.float64))
        if values.size == 0 or not np.all(np.isfinite(values)):
            raise ValueError(
                f"levels must be a positive count or a non-empty sequence of finite "
                f"energies, got {levels!r}."
            )
        return values

    count = int(levels)
    if count < 1:
        raise ValueError(f"levels must be at least 1, got {levels}.")
    minimum_energies = database.minima.energies
    state_energies = database.transition_states.energies
    if energy_range is not None:
        low, high = (float(value) for value in energy_range)
        if not high > low:
            raise ValueError(
                f"energy_range must be (low, high) with high > low, got {energy_range}."
            )
    else:
        low = float(minimum_energies.min())
        high = float(minimum_energies.max())
        if state_energies.size:
            high = max(high, float(state_energies.max()))
        if high <= low:
            # One minimum, or all at the same energy: any spacing will do.
            high = low + 1.0

    # The lowest level lies one spacing above ``low``, so even the global
    # minimum's line has a visible length.
    return np.linspace(low, high, count + 1)[1:]


def disconnectivity_tree(
    database: StationaryPointDatabase,
    levels: int | Sequence[float] | np.ndarray = 20,
    energy_range: tuple[float, float] | None = None,
) -> DisconnectivityTree:
    """Group the minima into superbasins at each energy level.

    Parameters
    ----------
    database : StationaryPointDatabase
        Needs at least one minimum; transition states are optional.
    levels : int or sequence of float
        A number of evenly spaced levels, whose top is the highest
        transition-state (or minimum) energy and whose spacing divides the
        range above the global minimum, or the level energies themselves.
    energy_range : (float, float), optional
        ``(low, high)`` for evenly spaced levels in place of the data range.

    Returns
    -------
    DisconnectivityTree
    """
    if database.n_minima == 0:
        raise ValueError(
            "The database has no minima, so there is no disconnectivity graph to "
            "build. Add minima (for example by basin-hopping) first."
        )
    level_values = _resolve_levels(database, levels, energy_range)
    energies = np.array(database.minima.energies)
    n = energies.size

    states = database.transition_states
    first = states.minimum1
    second = states.minimum2
    joining = first != second
    edge_energies = np.maximum.reduce(
        [states.energies, energies[first], energies[second]]
    )[joining]
    first, second = first[joining], second[joining]

    labels = np.full((level_values.size, n), -1, dtype=np.int64)
    basins: list[list[np.ndarray]] = []
    for k, level in enumerate(level_values):
        below = edge_energies <= level
        graph = coo_matrix(
            (np.ones(int(below.sum()), dtype=np.int8), (first[below], second[below])),
            shape=(n, n),
        )
        _, components = csgraph.connected_components(graph, directed=False)

        present = np.flatnonzero(energies <= level)
        groups: dict[int, list[int]] = {}
        for minimum in present.tolist():
            groups.setdefault(int(components[minimum]), []).append(minimum)
        level_basins = [
            np.array(members, dtype=np.int64) for members in groups.values()
        ]
        level_basins.sort(key=lambda members: (energies[members].min(), members[0]))
        for position, members in enumerate(level_basins):
            labels[k, members] = position
        basins.append(level_basins)

    excluded = int(np.sum(labels[-1] < 0))
    if excluded:
        logger.info(
            "%d of %d minima lie above the top level %.6g and are left out",
            excluded,
            n,
            level_values[-1],
        )
    return DisconnectivityTree(level_values, basins, labels, energies)


def _centre_order(items: list[Any], keys: list[float]) -> list[Any]:
    """Put the lowest item in the middle and the others alternately right and left."""
    ranked = [items[i] for i in np.argsort(keys, kind="stable")]
    left = ranked[1::2]
    right = ranked[2::2]
    return left[::-1] + ranked[:1] + right


def _layout(
    tree: DisconnectivityTree, arrangement: str
) -> tuple[list[tuple[tuple[float, float], tuple[float, float], int]], int]:
    """Return line segments ``(start, end, minimum or -1)`` and the leaf count.

    The third entry names the one minimum below a segment, so the caller can
    colour it, and is -1 where a segment leads to several minima.
    """
    levels, basins, labels, energies = (
        tree.levels,
        tree.basins,
        tree.labels,
        tree.energies,
    )

    # Children of each node (k, b): the superbasins one level down that it
    # contains, as ("basin", b'), and the minima that first appear at level k,
    # as ("minimum", i).
    children: list[list[list[tuple[str, int]]]] = []
    for k, level_basins in enumerate(basins):
        level_children: list[list[tuple[str, int]]] = [[] for _ in level_basins]
        if k > 0:
            for position, members in enumerate(basins[k - 1]):
                level_children[labels[k, members[0]]].append(("basin", position))
        for position, members in enumerate(level_basins):
            new = members[labels[k - 1, members] < 0] if k > 0 else members
            level_children[position].extend(("minimum", int(i)) for i in new)
        children.append(level_children)

    def key(k: int, item: tuple[str, int]) -> float:
        kind, index = item
        if kind == "minimum":
            return float(energies[index])
        return float(energies[basins[k - 1][index]].min())

    def order(k: int, items: list[tuple[str, int]]) -> list[tuple[str, int]]:
        keys = [key(k, item) for item in items]
        if arrangement == "centre":
            return _centre_order(items, keys)
        return [items[i] for i in np.argsort(keys, kind="stable")]

    # Leaves left to right, by a depth-first walk from the top-level basins.
    top = len(basins) - 1
    leaf_position: dict[int, float] = {}
    roots = [("basin", position) for position in range(len(basins[top]))]
    stack = [(top + 1, item) for item in reversed(order(top + 1, roots))]
    while stack:
        k, (kind, index) = stack.pop()
        if kind == "minimum":
            leaf_position[index] = float(len(leaf_position))
            continue
        level = k - 1
        for child in reversed(order(level, children[level][index])):
            stack.append((level, child))

    # Node positions, bottom-up: the mean of the children's positions.
    node_position: list[list[float]] = []
    segments = []
    for k, level_children in enumerate(children):
        positions = []
        for position, items in enumerate(level_children):
            ends = []
            for kind, index in items:
                if kind == "minimum":
                    ends.append((leaf_position[index], float(energies[index]), index))
                else:
                    members = basins[k - 1][index]
                    single = int(members[0]) if members.size == 1 else -1
                    ends.append((node_position[k - 1][index], levels[k - 1], single))
            x = float(np.mean([end[0] for end in ends]))
            positions.append(x)
            for end_x, end_y, minimum in ends:
                segments.append(((x, float(levels[k])), (end_x, float(end_y)), minimum))
        node_position.append(positions)

    # A stub above each top-level node shows where the graph is cut off.
    spacing = levels[-1] - levels[-2] if levels.size > 1 else 1.0
    for position, x in enumerate(node_position[top]):
        members = basins[top][position]
        single = int(members[0]) if members.size == 1 else -1
        stub_top = float(levels[-1] + 0.5 * spacing)
        segments.append(((x, stub_top), (x, float(levels[-1])), single))
    return segments, len(leaf_position)


def _colour_values(
    database: StationaryPointDatabase, colour_by: str | Sequence[float] | np.ndarray
) -> np.ndarray:
    if isinstance(colour_by, str):
        properties = database.minima.properties
        if colour_by not in properties:
            raise ValueError(
                f"colour_by={colour_by!r} is not a minimum property; the database "
                f"has {sorted(properties) or 'none'}. Set it with set_property first."
            )
        return np.asarray(properties[colour_by], dtype=np.float64)
    values = np.asarray(colour_by, dtype=np.float64)
    if values.shape != (database.n_minima,):
        raise ValueError(
            f"colour_by has shape {values.shape}, expected ({database.n_minima},): "
            f"one value per minimum, in index order."
        )
    return values


def plot_disconnectivity(
    database: StationaryPointDatabase,
    path: str | os.PathLike,
    levels: int | Sequence[float] | np.ndarray = 20,
    colour_by: str | Sequence[float] | np.ndarray | None = None,
    cmap: str = "viridis",
    energy_range: tuple[float, float] | None = None,
    energy_label: str = "Energy",
    colour_label: str | None = None,
    title: str | None = None,
    arrangement: str = "centre",
    figsize: tuple[float, float] = (6.0, 4.5),
    dpi: int = 300,
    linewidth: float = 0.8,
) -> DisconnectivityTree:
    """Draw a disconnectivity graph and save it to ``path``.

    Parameters
    ----------
    database : StationaryPointDatabase
        Needs at least one minimum. Without transition states, each minimum
        is drawn as its own unjoined line.
    path : path-like
        Output file; the format follows the suffix (``.png``, ``.pdf``,
        ``.svg``).
    levels, energy_range
        As in :func:`disconnectivity_tree`.
    colour_by : str or array_like, optional
        A minimum property name or one value per minimum. Each line that
        leads to a single minimum takes that minimum's colour, and a colour
        bar is added. NaN values are drawn grey.
    cmap : str
        Matplotlib colour map for ``colour_by``.
    energy_label, colour_label, title : str
        Axis label, colour-bar label (defaults to the property name) and
        title.
    arrangement : {"centre", "energy"}
        Order of branches under each node: lowest in the middle, or lowest
        on the left.
    figsize, dpi, linewidth
        Figure size in inches, resolution of raster output, line width in
        points.

    Returns
    -------
    DisconnectivityTree
        The tree that was drawn.
    """
    # Figure and FigureCanvasAgg are used directly so that plotting neither
    # needs a display nor changes pyplot's global backend.
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.cm import ScalarMappable
    from matplotlib.collections import LineCollection
    from matplotlib.colors import Normalize
    from matplotlib.figure import Figure

    if arrangement not in ("centre", "energy"):
        raise ValueError(
            f"arrangement must be 'centre' or 'energy', got {arrangement!r}."
        )
    tree = disconnectivity_tree(database, levels, energy_range)
    segments, n_leaves = _layout(tree, arrangement)

    figure = Figure(figsize=figsize)
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    lines = [(start, end) for start, end, _ in segments]
    colours: Any = "black"
    mappable = None
    if colour_by is not None:
        values = _colour_values(database, colour_by)
        finite = values[np.isfinite(values)]
        low, high = (finite.min(), finite.max()) if finite.size else (0.0, 1.0)
        if high <= low:
            low, high = low - 0.5, high + 0.5
        mappable = ScalarMappable(norm=Normalize(low, high), cmap=cmap)
        colours = []
        for _, _, minimum in segments:
            if minimum < 0:
                colours.append((0.0, 0.0, 0.0, 1.0))
            elif not np.isfinite(values[minimum]):
                colours.append((0.6, 0.6, 0.6, 1.0))
            else:
                colours.append(mappable.to_rgba(values[minimum]))
    axes.add_collection(
        LineCollection(lines, colors=colours, linewidths=linewidth, capstyle="round")
    )

    all_y = np.array([[start[1], end[1]] for start, end in lines]).ravel()
    margin = 0.03 * (all_y.max() - all_y.min() or 1.0)
    axes.set_xlim(-1.0, max(n_leaves, 1))
    axes.set_ylim(all_y.min() - margin, all_y.max() + margin)
    axes.set_xticks([])
    for side in ("top", "right", "bottom"):
        axes.spines[side].set_visible(False)
    axes.set_ylabel(energy_label)
    if title:
        axes.set_title(title)
    if mappable is not None:
        if colour_label is None and isinstance(colour_by, str):
            colour_label = colour_by
        colour_bar = figure.colorbar(mappable, ax=axes)
        if colour_label:
            colour_bar.set_label(colour_label)

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_write(path, "wb") as handle:
        figure.savefig(handle, format=path.suffix.lstrip(".") or "png", dpi=dpi, bbox_inches="tight")
    logger.info(
        "Drew a disconnectivity graph of %d minima at %d levels to %s",
        n_leaves,
        tree.levels.size,
        path,
    )
    return tree

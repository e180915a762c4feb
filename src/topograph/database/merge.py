"""Deterministic, lossless merging of database shards.

Each basin-hopping chain or connection job writes its own shard. Merging
inserts the shards in the order given: for each shard, its minima in index
order through ``add_minimum``, then its transition states in index order
through ``add_transition_state`` with their minimum indices remapped to the
merged database. The result therefore equals what one database would hold
had every point been added to it in that order, and every point of every
shard is either stored or a duplicate (within the tolerances) of a stored
point.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from topograph.database.alignment import Aligner
from topograph.database.store import StationaryPointDatabase

logger = logging.getLogger(__name__)

_UNSET: Any = object()


def merge_into(
    target: StationaryPointDatabase, source: StationaryPointDatabase
) -> tuple[np.ndarray, np.ndarray]:
    """Insert every point of ``source`` into ``target``.

    Parameters
    ----------
    target : StationaryPointDatabase
        Modified in place; its tolerances and aligner decide duplicates.
    source : StationaryPointDatabase
        Read only.

    Returns
    -------
    minimum_map : ndarray of int, shape (source.n_minima,)
        Index in ``target`` of each minimum of ``source``.
    transition_state_map : ndarray of int, shape (source.n_transition_states,)
        Index in ``target`` of each transition state of ``source``.
    """
    if source.dimension != target.dimension:
        raise ValueError(
            f"Cannot merge a database of dimension {source.dimension} into one of "
            f"dimension {target.dimension}. Merge only shards of the same landscape."
        )

    minima = source.minima
    properties = minima.properties
    minimum_map = np.empty(source.n_minima, dtype=np.int64)
    for i in range(source.n_minima):
        values = {
            name: float(column[i])
            for name, column in properties.items()
            if not np.isnan(column[i])
        }
        minimum_map[i], _ = target.add_minimum(
            minima.energies[i],
            minima.coordinates[i],
            log_product=minima.log_products[i],
            on_bounds=bool(minima.on_bounds[i]),
            properties=values,
        )

    states = source.transition_states
    transition_state_map = np.empty(source.n_transition_states, dtype=np.int64)
    for s in range(source.n_transition_states):
        transition_state_map[s], _ = target.add_transition_state(
            states.energies[s],
            states.coordinates[s],
            int(minimum_map[states.minimum1[s]]),
            int(minimum_map[states.minimum2[s]]),
            log_product=states.log_products[s],
            negative_eigenvalue=states.negative_eigenvalues[s],
        )
    return minimum_map, transition_state_map


def merge_databases(
    databases: Sequence[StationaryPointDatabase],
    energy_tolerance: float | None = None,
    distance_tolerance: float | None = None,
    aligner: Aligner | None = _UNSET,
    metadata: dict[str, Any] | None = None,
) -> StationaryPointDatabase:
    """Merge shards, in the order given, into a new database.

    Parameters
    ----------
    databases : sequence of StationaryPointDatabase
        At least one; all of the same dimension. None is modified.
    energy_tolerance, distance_tolerance : float, optional
        Default to the first shard's tolerances.
    aligner : callable or None, optional
        Defaults to the first shard's aligner; pass ``None`` explicitly to
        compare without alignment.
    metadata : dict, optional
        Defaults to the first shard's metadata.

    Returns
    -------
    StationaryPointDatabase
    """
    if len(databases) == 0:
        raise ValueError(
            "merge_databases needs at least one database; got an empty sequence."
        )
    first = databases[0]
    if energy_tolerance is None:
        energy_tolerance = first.energy_tolerance
    if distance_tolerance is None:
        distance_tolerance = first.distance_tolerance
    merged = StationaryPointDatabase(
        first.dimension,
        energy_tolerance=energy_tolerance,
        distance_tolerance=distance_tolerance,
        aligner=first.aligner if aligner is _UNSET else aligner,
        metadata=first.metadata if metadata is None else metadata,
    )

    for position, shard in enumerate(databases):
        before = (merged.n_minima, merged.n_transition_states)
        merge_into(merged, shard)
        logger.debug(
            "Shard %d: %d of %d minima and %d of %d transition states were new",
            position,
            merged.n_minima - before[0],
            shard.n_minima,
            merged.n_transition_states - before[1],
            shard.n_transition_states,
        )
    logger.info(
        "Merged %d shards into %d minima and %d transition states",
        len(databases),
        merged.n_minima,
        merged.n_transition_states,
    )
    return merged


def merge_files(
    paths: Sequence[str | os.PathLike],
    out_path: str | os.PathLike,
    aligner: Aligner | None = None,
) -> StationaryPointDatabase:
    """Merge database files, sorted by path name, and save the result atomically.

    Sorting makes the result independent of the order in which a workflow
    lists the shards.

    Parameters
    ----------
    paths : sequence of path-like
        Files written by ``StationaryPointDatabase.save``.
    out_path : path-like
        Output file; may be one of ``paths``, because it is replaced only
        after every shard has been read.
    aligner : callable, optional
        Used for loading and merging instead of the saved aligner, which is
        needed when the shards were saved with a custom callable.

    Returns
    -------
    StationaryPointDatabase
        The merged database, as saved.
    """
    if len(paths) == 0:
        raise ValueError(
            "merge_files needs at least one database file; got an empty list. Check "
            "the pattern that lists the shards."
        )
    ordered = sorted((Path(path) for path in paths), key=lambda path: str(path))
    shards = [StationaryPointDatabase.load(path, aligner=aligner) for path in ordered]
    merged = merge_databases(shards)
    merged.save(out_path)
    return merged

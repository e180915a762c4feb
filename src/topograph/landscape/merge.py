"""Merging the shard databases of one landscape."""

from __future__ import annotations

import logging
from pathlib import Path

from topograph.database.merge import merge_databases
from topograph.database.store import StationaryPointDatabase

logger = logging.getLogger(__name__)


def merge_shard_files(paths: list[str | Path], output: str | Path, spec: dict | None = None) -> StationaryPointDatabase:
    """Merge shard databases in the order given and save the result atomically.

    The order is the shard order (the workflow lists shards 0, 1, 2, ...),
    which makes the merged database equal to one run of all chains.
    ``spec`` supplies the duplicate tolerances; without it the first shard's
    are used.
    """
    if not paths:
        raise ValueError("no shard databases given; pass the files written by `topograph landscape explore`")
    shards = [StationaryPointDatabase.load(path) for path in paths]
    tolerances = {}
    if spec is not None:
        tolerances = {
            "energy_tolerance": spec["database"]["energy_tolerance"],
            "distance_tolerance": spec["database"]["distance_tolerance"],
        }
    metadata = dict(shards[0].metadata)
    for key in ("shard", "chains"):
        metadata.pop(key, None)
    merged = merge_databases(shards, metadata=metadata, **tolerances)
    Path(output).parent.mkdir(parents=True, exist_ok=True)
    merged.save(output)
    logger.info("merged %d shards: %d minima, written to %s", len(paths), merged.n_minima, output)
    return merged

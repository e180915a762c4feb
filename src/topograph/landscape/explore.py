"""Basin-hopping exploration of a landscape, one shard of chains at a time.

The chains of a landscape are numbered 0..n-1 and split into contiguous
blocks, one per shard. Chain ``i`` draws from ``SeedSequence(seed).spawn(n)[i]``
and random starting points come from one generator seeded with ``seed``, so
a chain's minima do not depend on the number of shards. A shard inserts its
minima into its database chain by chain in order of discovery, so merging
the shards in shard order inserts the same minima in the same order as one
run of all chains.

The chains of a shard advance in lockstep, with one batched quench per step,
and the shard writes a checkpoint every ``checkpoint_every`` steps. A killed
shard rerun with the same settings and data resumes from it and produces the
same database as an uninterrupted run.
"""

from __future__ import annotations

import json
import logging
import time
from pathlib import Path

import numpy as np

from topograph.database.store import StationaryPointDatabase
from topograph.landscape.checkpoint import (
    checkpoint_path,
    fingerprint,
    load_checkpoint,
    potential_identity,
    save_checkpoint,
)
from topograph.potentials.base import Potential
from topograph.potentials.registry import build_potential
from topograph.search.basin_hopping import BasinHoppingChain, advance_chains
from topograph.search.transition_state import hessian_log_product

logger = logging.getLogger(__name__)

# Steps between step-size updates of a chain.
ADJUST_INTERVAL = 10


def chain_starts(potential: Potential, explore: dict) -> np.ndarray:
    """Return the starting point of every chain of the landscape, shape (n, d)."""
    if explore["starts"] == "data":
        points = getattr(potential, "points", None)
        if points is None:
            raise ValueError(
                f"explore.starts is 'data' but the potential {type(potential).__name__} "
                "has no data points; use starts: random"
            )
        return np.array(points, dtype=np.float64)

    rng = np.random.default_rng(explore["seed"])
    # A potential whose useful region is not a box (K-means centres belong
    # near data points) draws its own random starts.
    sample_starts = getattr(potential, "sample_starts", None)
    if callable(sample_starts):
        return sample_starts(rng, explore["n_starts"])
    if potential.bounded:
        low, high = potential.lower_bounds, potential.upper_bounds
    else:
        low, high = explore["start_box"]
        if not low < high:
            raise ValueError(f"invalid explore.start_box {explore['start_box']}: give [low, high] with low < high")
    return rng.uniform(low, high, size=(explore["n_starts"], potential.dimension))


def shard_chains(n_chains: int, shard: int, shards: int) -> np.ndarray:
    """Return the indices of the chains that belong to ``shard``."""
    if shards < 1:
        raise ValueError(f"the number of shards must be at least 1, got {shards}")
    if not 0 <= shard < shards:
        raise ValueError(f"shard index {shard} is out of range for {shards} shards (0 to {shards - 1})")
    return np.array_split(np.arange(n_chains), shards)[shard]


def empty_database(potential: Potential, spec: dict, metadata: dict | None = None) -> StationaryPointDatabase:
    """Return an empty database with the landscape's duplicate tolerances.

    A potential with an ``aligner`` attribute, such as the K-means cost whose
    centres are interchangeable, has its minima compared after alignment.
    """
    return StationaryPointDatabase(
        potential.dimension,
        energy_tolerance=spec["database"]["energy_tolerance"],
        distance_tolerance=spec["database"]["distance_tolerance"],
        aligner=getattr(potential, "aligner", None),
        metadata={"landscape": spec, **(metadata or {})},
    )


def explore_shard(
    spec: dict,
    shard: int,
    shards: int,
    output: str | Path,
    restart: bool = False,
) -> StationaryPointDatabase:
    """Run the basin-hopping chains of one shard and save their minima.

    Parameters
    ----------
    spec
        Validated landscape description.
    shard, shards
        This shard's index and the number of shards.
    output
        Database file to write.
    restart
        Ignore a checkpoint of an interrupted run.
    """
    output = Path(output)
    explore = spec["explore"]
    potential = build_potential(spec["potential"])
    starts = chain_starts(potential, explore)
    members = shard_chains(len(starts), shard, shards)
    seeds = np.random.SeedSequence(explore["seed"]).spawn(len(starts))
    settings = {
        "potential": potential_identity(spec["potential"]),
        "explore": {**explore, "shards": shards},
        "shard": shard,
    }
    key = fingerprint(settings)

    chains, found = None, _Found(potential.dimension, members)
    resumed = None if restart else load_checkpoint(checkpoint_path(output), key)
    if resumed is not None:
        header, arrays = resumed
        chains = [BasinHoppingChain.from_state(potential, state) for state in header["chains"]]
        found = _Found.from_arrays(potential.dimension, members, arrays)
        logger.info("resuming shard %d from step %d of %d", shard, header["completed_steps"], explore["steps"])
    else:
        chains = [
            BasinHoppingChain(
                potential,
                starts[index],
                seed=seeds[index],
                temperature=explore["temperature"],
                step_size=explore["step_size"],
                adjust_interval=ADJUST_INTERVAL if explore["adapt_step_size"] else 0,
                gradient_tolerance=explore["gradient_tolerance"],
            )
            for index in members
        ]
    completed = chains[0].step if chains else explore["steps"]

    logger.info(
        "shard %d of %d: %d chains (%d to %d of %d), %d steps each",
        shard, shards, len(chains), members[0] if len(members) else 0,
        members[-1] if len(members) else 0, len(starts), explore["steps"],
    )  # fmt: skip
    started = time.perf_counter()
    while chains and (completed < explore["steps"] or not chains[0].initialised):
        segment = min(explore["checkpoint_every"], explore["steps"] - completed)
        advance_chains(chains, segment, callback=found.record)
        completed = chains[0].step
        save_checkpoint(
            checkpoint_path(output),
            {
                "fingerprint": key,
                "completed_steps": completed,
                "chains": [chain.state_dict() for chain in chains],
            },
            found.arrays(),
        )
        best = min(chain.best_energy for chain in chains)
        logger.info(
            "step %d/%d: %d quenches, lowest energy %.10g, %.1f s",
            completed, explore["steps"], len(found), best, time.perf_counter() - started,
        )  # fmt: skip

    database = empty_database(potential, spec, {"shard": shard, "shards": shards, "chains": members.tolist()})
    _insert_minima(database, potential, found, keep_bound_minima=spec["database"]["keep_bound_minima"])
    output.parent.mkdir(parents=True, exist_ok=True)
    database.save(output)
    checkpoint_path(output).unlink(missing_ok=True)
    logger.info(
        "shard %d: %d distinct minima (%d on the bounds) from %d quenches, written to %s",
        shard, database.n_minima, int(database.minima.on_bounds.sum()), len(found), output,
    )  # fmt: skip
    return database


def _insert_minima(database, potential, found, keep_bound_minima):
    """Insert the quenched minima chain by chain, with the Hessian log product of each new one."""
    quenches = found.arrays()
    order = np.lexsort((quenches["steps"], quenches["chains"]))
    skipped = 0
    # A potential may exclude degenerate minima, such as K-means solutions
    # with an empty cluster, whose cost is flat along the empty centre.
    excluded_minimum = getattr(potential, "is_excluded_minimum", None)
    excluded = set()
    for row in order:
        on_bounds = bool(quenches["on_bounds"][row].any())
        if on_bounds and not keep_bound_minima:
            skipped += 1
            continue
        coordinates = quenches["coordinates"][row]
        if callable(excluded_minimum) and excluded_minimum(coordinates):
            excluded.add(round(float(quenches["energies"][row]), 8))
            continue
        energy = quenches["energies"][row]
        if database.match_minimum(energy, coordinates) is not None:
            continue
        log_product = hessian_log_product(potential, coordinates)
        database.add_minimum(energy, coordinates, log_product=log_product, on_bounds=on_bounds)
    if skipped:
        logger.warning(
            "dropped %d quenches that ended on the bounds (database.keep_bound_minima is false)", skipped
        )
    if excluded:
        logger.info("excluded quenches at %d energies that the potential marks as degenerate minima", len(excluded))


class _Found:
    """Every converged quench of a shard, with the global chain index and step that found it."""

    def __init__(self, dimension: int, chain_indices: np.ndarray):
        self.dimension = dimension
        self.chain_indices = chain_indices
        self.rows: list[tuple[int, int, float, np.ndarray, np.ndarray]] = []

    @classmethod
    def from_arrays(cls, dimension, chain_indices, arrays):
        found = cls(dimension, chain_indices)
        columns = ("chains", "steps", "energies", "coordinates", "on_bounds")
        for chain, step, energy, coordinates, on_bounds in zip(*(arrays[name] for name in columns)):
            found.rows.append((int(chain), int(step), float(energy), coordinates, on_bounds))
        return found

    def record(self, local_index, step, coordinates, energy, on_bounds):
        """Store one quench; the callback of :func:`advance_chains`."""
        chain = int(self.chain_indices[local_index])
        self.rows.append((chain, step, energy, np.array(coordinates), np.array(on_bounds, dtype=bool)))

    def __len__(self):
        return len(self.rows)

    def arrays(self) -> dict[str, np.ndarray]:
        d = self.dimension
        return {
            "chains": np.array([row[0] for row in self.rows], dtype=np.int64),
            "steps": np.array([row[1] for row in self.rows], dtype=np.int64),
            "energies": np.array([row[2] for row in self.rows], dtype=np.float64),
            "coordinates": np.array([row[3] for row in self.rows], dtype=np.float64).reshape(-1, d),
            "on_bounds": np.array([row[4] for row in self.rows], dtype=bool).reshape(-1, d),
        }

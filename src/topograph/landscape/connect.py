"""Connecting the minima of a landscape by transition-state searches.

Each round pairs every minimum with its nearest minima, skipping pairs
already joined by a transition state or tried ``max_attempts`` times. When
the graph of minima is disconnected, the round also adds the pairs along the
shortest paths that would join the other components to the global
minimum's. Every pair gets a double-ended search: a nudged elastic band,
then hybrid eigenvector-following from its climbing image. A transition
state found is stored with the two minima that steepest descent from it
reaches, which may be new minima.

Pairs are searched in batches of ``batch_size`` whose elastic bands relax
together. The database, the attempt counts and the pairs still to try are
saved as a checkpoint after every batch, so a killed run resumes with the
next untried batch.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path

import numpy as np

from topograph.database.pairs import component_joining_pairs, connected_components, select_pairs
from topograph.database.store import StationaryPointDatabase
from topograph.landscape.checkpoint import checkpoint_path, file_digest, fingerprint, potential_identity
from topograph.potentials.registry import build_potential
from topograph.search.transition_state import find_transition_states

logger = logging.getLogger(__name__)


def connect_landscape(
    spec: dict,
    database_path: str | Path,
    output: str | Path,
    restart: bool = False,
) -> StationaryPointDatabase:
    """Search for transition states between nearby minima and save the database.

    Parameters
    ----------
    spec
        Validated landscape description.
    database_path
        Database of minima, usually the merged basin-hopping shards.
    output
        Database file to write, with the transition states.
    restart
        Ignore a checkpoint of an interrupted run.
    """
    output = Path(output)
    output.parent.mkdir(parents=True, exist_ok=True)
    settings = spec["connect"]
    potential = build_potential(spec["potential"])
    database = StationaryPointDatabase.load(database_path)
    if database.dimension != potential.dimension:
        raise ValueError(
            f"{database_path} contains points of dimension {database.dimension}, but the potential of the "
            f"landscape description has dimension {potential.dimension}; pass the database explored "
            "with this description"
        )
    key = fingerprint(
        {
            "potential": potential_identity(spec["potential"]),
            "connect": settings,
            "input": file_digest(database_path),
        }
    )

    state = {"round": 0, "attempts": {}, "pending": None, "searches": 0}
    resumed = None if restart else _load_connect_checkpoint(checkpoint_path(output), key)
    if resumed is not None:
        database, state = resumed
        logger.info(
            "resuming from round %d after %d searches (%d pairs pending)",
            state["round"], state["searches"], len(state["pending"] or []),
        )  # fmt: skip

    started = time.perf_counter()
    while state["round"] < settings["rounds"]:
        if state["pending"] is None:
            state["pending"] = _round_pairs(database, settings, state["attempts"])
            logger.info(
                "round %d: %d minima, %d transition states, %d pairs to try",
                state["round"], database.n_minima, database.n_transition_states, len(state["pending"]),
            )  # fmt: skip
            if not state["pending"]:
                break
        while state["pending"]:
            batch = state["pending"][: settings["batch_size"]]
            _search_pairs(potential, database, batch, settings)
            for pair in batch:
                state["attempts"][pair] = state["attempts"].get(pair, 0) + 1
            del state["pending"][: len(batch)]
            state["searches"] += len(batch)
            _save_connect_checkpoint(checkpoint_path(output), database, state, key)
            logger.info(
                "%d searches: %d minima, %d transition states, %.1f s",
                state["searches"], database.n_minima, database.n_transition_states,
                time.perf_counter() - started,
            )  # fmt: skip
        state["pending"] = None
        state["round"] += 1

    n_components, _ = connected_components(database)
    output.parent.mkdir(parents=True, exist_ok=True)
    database.save(output)
    checkpoint_path(output).unlink(missing_ok=True)
    logger.info(
        "%d searches: %d minima, %d transition states, %d connected components, written to %s",
        state["searches"], database.n_minima, database.n_transition_states, n_components, output,
    )  # fmt: skip
    return database


def _round_pairs(database, settings, attempts):
    """Return the pairs of one round: nearest neighbours, then component-joining pairs."""
    pairs = select_pairs(
        database, neighbours=settings["neighbours"], attempts=attempts, max_attempts=settings["max_attempts"]
    )
    if settings["join_components"]:
        joining = component_joining_pairs(
            database, neighbours=settings["neighbours"], attempts=attempts, max_attempts=settings["max_attempts"]
        )
        chosen = set(pairs)
        pairs += [pair for pair in joining if pair not in chosen]
    return [tuple(int(index) for index in pair) for pair in pairs]


def _search_pairs(potential, database, pairs, settings) -> int:
    """Run the double-ended searches of a batch of pairs and store what they find.

    Returns the number of new transition states.
    """
    minima = database.minima
    starts = np.array([minima.coordinates[i] for i, _ in pairs])
    ends = np.array([minima.coordinates[j] for _, j in pairs])
    if database.aligner is not None:
        # Bring each end to the symmetry copy nearest its start (for K-means,
        # the best relabelling of the centres), so the band does not cross
        # the barrier between two copies of one minimum.
        ends = np.array([database.aligner(start, end) for start, end in zip(starts, ends)])
    results = find_transition_states(
        potential,
        starts,
        ends,
        n_images=settings["neb_images"],
        neb_options={"max_iterations": settings["neb_iterations"]},
    )
    found = 0
    excluded_minimum = getattr(potential, "is_excluded_minimum", None)
    for (i, j), result in zip(pairs, results):
        if result is None:
            logger.debug("no transition state between minima %d and %d", i, j)
            continue
        if callable(excluded_minimum) and any(
            excluded_minimum(minimum.coordinates) for minimum in (result.minimum1, result.minimum2)
        ):
            logger.debug("the transition state between %d and %d leads to an excluded minimum; not stored", i, j)
            continue
        endpoints = []
        for minimum in (result.minimum1, result.minimum2):
            index, is_new = database.add_minimum(
                minimum.energy,
                minimum.coordinates,
                log_product=minimum.log_product,
                on_bounds=bool(np.any(minimum.on_bounds)),
            )
            if is_new:
                logger.debug("new minimum %d at energy %.10g found from the pair (%d, %d)", index, minimum.energy, i, j)
            endpoints.append(index)
        if endpoints[0] == endpoints[1]:
            logger.debug("the transition state between %d and %d leads to one stored minimum; not stored", i, j)
            continue
        _, is_new = database.add_transition_state(
            result.energy,
            result.coordinates,
            endpoints[0],
            endpoints[1],
            log_product=result.log_product,
            negative_eigenvalue=result.negative_eigenvalue,
        )
        found += is_new
    return found


def _save_connect_checkpoint(path, database, state, key):
    snapshot = database.copy()
    snapshot.metadata = {
        **database.metadata,
        "connect_checkpoint": {
            "fingerprint": key,
            "round": state["round"],
            "searches": state["searches"],
            "attempts": [[i, j, count] for (i, j), count in sorted(state["attempts"].items())],
            "pending": [list(pair) for pair in (state["pending"] or [])],
        },
    }
    snapshot.save(path)


def _load_connect_checkpoint(path, key):
    if not Path(path).exists():
        return None
    try:
        database = StationaryPointDatabase.load(path)
    except ValueError as error:
        logger.warning("ignoring unreadable checkpoint %s (%s); starting from the beginning", path, error)
        return None
    saved = database.metadata.pop("connect_checkpoint", None)
    if saved is None or saved.get("fingerprint") != key:
        logger.warning("ignoring checkpoint %s: it was written for other settings", path)
        return None
    state = {
        "round": saved["round"],
        "searches": saved["searches"],
        "attempts": {(i, j): count for i, j, count in saved["attempts"]},
        "pending": [tuple(pair) for pair in saved["pending"]],
    }
    return database, state

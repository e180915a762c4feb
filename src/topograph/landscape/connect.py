"""Connecting the minima of a landscape by transition-state searches.

Each round pairs every minimum with its nearest minima (pairs already joined
by a transition state, or tried ``max_attempts`` times, are skipped) and,
when the graph of minima is disconnected, adds the pairs along the shortest
paths that would join the other components to the global minimum's. Every
pair gets a double-ended search (nudged elastic band, then hybrid
eigenvector-following); a transition state found is stored with the two
minima that steepest descent from it reaches, which may be new minima.

The database, the attempt counts and the pairs still to try are saved as a
checkpoint every ``checkpoint_every`` searches, so a killed run resumes with
the next untried pair.
"""

from __future__ import annotations

import hashlib
import logging
import time
from pathlib import Path

import numpy as np

from topograph.database.pairs import component_joining_pairs, connected_components, select_pairs
from topograph.database.store import StationaryPointDatabase
from topograph.landscape.checkpoint import checkpoint_path, fingerprint
from topograph.potentials.registry import build_potential
from topograph.search.transition_state import find_transition_state

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
    settings = spec["connect"]
    potential = build_potential(spec["potential"])
    database = StationaryPointDatabase.load(database_path)
    key = fingerprint({"potential": spec["potential"], "connect": settings, "input": _file_digest(database_path)})

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
            i, j = state["pending"][0]
            _search_pair(potential, database, i, j, settings)
            state["attempts"][(i, j)] = state["attempts"].get((i, j), 0) + 1
            state["pending"].pop(0)
            state["searches"] += 1
            if state["searches"] % settings["checkpoint_every"] == 0:
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


def _search_pair(potential, database, i, j, settings) -> bool:
    """Run one double-ended search and store what it finds; return whether a transition state was found."""
    minima = database.minima
    result = find_transition_state(
        potential, minima.coordinates[i], minima.coordinates[j], n_images=settings["neb_images"]
    )
    if result is None:
        logger.debug("no transition state between minima %d and %d", i, j)
        return False
    ends = []
    for minimum in (result.minimum1, result.minimum2):
        index, is_new = database.add_minimum(
            minimum.energy,
            minimum.coordinates,
            log_product=minimum.log_product,
            on_bounds=bool(np.any(minimum.on_bounds)),
        )
        if is_new:
            logger.debug("new minimum %d at energy %.10g found from the pair (%d, %d)", index, minimum.energy, i, j)
        ends.append(index)
    if ends[0] == ends[1]:
        logger.debug("the transition state between %d and %d leads to one stored minimum; not stored", i, j)
        return False
    database.add_transition_state(
        result.energy,
        result.coordinates,
        ends[0],
        ends[1],
        log_product=result.log_product,
        negative_eigenvalue=result.negative_eigenvalue,
    )
    return True


def _file_digest(path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()[:16]


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

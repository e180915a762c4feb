"""Tables and summaries of a landscape database, as written by the workflow."""

from __future__ import annotations

import csv
import json
import logging
from pathlib import Path

import numpy as np

from topograph.analysis.frustration import frustration
from topograph.database.atomic import atomic_write
from topograph.database.pairs import connected_components
from topograph.database.store import StationaryPointDatabase

logger = logging.getLogger(__name__)

# Columns of the rate tables of topograph.kinetics.table, written as the
# header of a table without rows so that readers see stable columns.
RATE_TABLE_COLUMNS = (
    "temperature", "a", "b", "k_AB", "k_BA", "k_AB_ss", "k_BA_ss", "mfpt_AB", "mfpt_BA",
    "log10_k_AB", "log10_k_BA", "log10_k_AB_ss", "log10_k_BA_ss", "log10_mfpt_AB",
    "log10_mfpt_BA", "similarity",
)  # fmt: skip
GROUP_RATE_TABLE_COLUMNS = RATE_TABLE_COLUMNS + (
    "group_a", "group_b", "size_a", "size_b", "barrier_AB", "barrier_BA",
)  # fmt: skip


def landscape_summary(database: StationaryPointDatabase, length_scale: float | None = None) -> dict:
    """Return counts, the global minimum and the connectivity of a database."""
    n_components, labels = connected_components(database)
    summary = {
        "dimension": database.dimension,
        "minima": database.n_minima,
        "transition_states": database.n_transition_states,
        "minima_on_bounds": int(np.count_nonzero(database.minima.on_bounds)),
        "connected_components": n_components,
        "largest_component": int(np.bincount(labels).max()) if len(labels) else 0,
    }
    if database.n_minima:
        lowest = database.global_minimum()
        summary["global_minimum"] = {
            "index": int(lowest),
            "energy": float(database.minima.energies[lowest]),
            "coordinates": database.minima.coordinates[lowest].tolist(),
        }
    if database.n_transition_states:
        summary["lowest_transition_state_energy"] = float(database.transition_states.energies.min())
    if length_scale is not None and database.n_minima:
        summary["frustration"] = frustration(database, length_scale)[0]
        summary["frustration_length_scale"] = length_scale
    return summary


def write_summary(
    database_path: str | Path, spec: dict | None, output: str | Path, length_scale: float | None = None
) -> dict:
    """Write :func:`landscape_summary` of a database file as JSON."""
    database = StationaryPointDatabase.load(database_path)
    summary = landscape_summary(database, length_scale)
    if spec is not None:
        summary["landscape"] = spec
    Path(output).parent.mkdir(parents=True, exist_ok=True)
    with atomic_write(output, "w") as handle:
        json.dump(summary, handle, indent=2)
        handle.write("\n")
    logger.info(
        "%d minima, %d transition states, %d connected components",
        summary["minima"], summary["transition_states"], summary["connected_components"],
    )  # fmt: skip
    return summary


def write_frustration_table(database_path: str | Path, length_scale: float, output: str | Path) -> float:
    """Write the frustration contributions of a database file as CSV, largest first."""
    database = StationaryPointDatabase.load(database_path)
    value, contributions = frustration(database, length_scale)
    Path(output).parent.mkdir(parents=True, exist_ok=True)
    with atomic_write(output, "w") as handle:
        writer = csv.writer(handle)
        writer.writerow(contributions.dtype.names)
        for row in contributions:
            writer.writerow([f"{cell:.12g}" if isinstance(cell, float) else cell for cell in row.tolist()])
    logger.info("frustration %.6g over %d contributions (length scale %g)", value, len(contributions), length_scale)
    return value


def write_rates(
    database_path: str | Path,
    a: list[int] | None,
    b: list[int] | None,
    temperatures: list[float],
    output: str | Path,
    lowest: int = 10,
    equal_prefactors: bool = False,
    group_threshold: float | None = None,
) -> None:
    """Write rate constants and mean first-passage times between sets of minima as CSV.

    Without ``a``, A is the global minimum. Without ``b``, each of the
    ``lowest`` lowest other minima connected to A is taken in turn as B, so
    the table gives the rate from each of them to the global minimum. Every
    row costs one graph transformation of the whole network. With
    ``group_threshold``, minima are regrouped first and the table has one
    row per pair of adjacent groups.
    """
    from topograph.kinetics.table import group_rates_table, rates_table, write_rates_table

    database = StationaryPointDatabase.load(database_path)
    if database.n_minima == 0:
        raise ValueError(f"{database_path} has no minima, so no rates can be computed")
    for name, members in (("--a", a), ("--b", b)):
        invalid = [index for index in members or [] if not 0 <= index < database.n_minima]
        if invalid:
            raise ValueError(
                f"{name} names minima {invalid}, but {database_path} has minima 0 to {database.n_minima - 1}"
            )
    options = {"equal_prefactors": equal_prefactors}
    if group_threshold is not None:
        if a is not None or b is not None:
            raise ValueError(
                "--a and --b cannot be combined with --group-threshold, which tabulates every pair of "
                "adjacent groups; drop one or the other"
            )
        rows = group_rates_table(database, group_threshold, temperatures, **options)
        columns = GROUP_RATE_TABLE_COLUMNS
        empty_reason = (
            f"regrouping at threshold {group_threshold} left no two groups joined by a transition "
            "state at any temperature; lower --group-threshold or the temperatures"
        )
    else:
        if a is None:
            a = [database.global_minimum()]
        if b is not None:
            pairs = [(a, b)]
        else:
            pairs = [(a, [j]) for j in _lowest_connected(database, a, lowest)]
        rows = []
        for set_a, set_b in pairs:
            rows += rates_table(database, set_a, set_b, temperatures, **options)
        columns = RATE_TABLE_COLUMNS
        empty_reason = "no minimum is connected to A by transition states"
    if not rows:
        logger.warning("%s; the rate table has no rows", empty_reason)
        Path(output).parent.mkdir(parents=True, exist_ok=True)
        with atomic_write(output, "w") as handle:
            handle.write(",".join(columns) + "\n")
        return
    write_rates_table(rows, output)
    logger.info("wrote %d rows of rates to %s", len(rows), output)


def _lowest_connected(database: StationaryPointDatabase, a: list[int], count: int) -> list[int]:
    """Return up to ``count`` minima outside ``a`` connected to ``a[0]``, lowest energy first."""
    _, labels = connected_components(database)
    members = set(a)
    candidates = [int(j) for j in np.flatnonzero(labels == labels[a[0]]) if j not in members]
    candidates.sort(key=lambda j: (database.minima.energies[j], j))
    return candidates[:count]

"""Tables of rate constants and mean first-passage times for a database.

Each row is one pair of states at one temperature. Following Wales's
A ← B convention, ``k_AB`` is the rate constant for B → A and ``mfpt_AB``
the mean first-passage time from B (in local equilibrium) to A; see
:mod:`topograph.kinetics.ngt`. Rates at low temperature can be smaller than
the smallest float64, so every rate and time is also given as a base-10
logarithm, which stays exact where the plain value underflows to 0 or
overflows to inf.
"""

from __future__ import annotations

import csv
import logging
import math
from pathlib import Path

import numpy as np

from topograph.database.atomic import atomic_write
from topograph.kinetics.ngt import NGTResult, ngt_rates
from topograph.kinetics.rates import RateNetwork, database_rate_network
from topograph.kinetics.regroup import free_energy_barriers, regroup
from topograph.kinetics.similarity import kinetic_similarity

logger = logging.getLogger(__name__)

LOG10_E = 1.0 / math.log(10.0)


def _format_set(members) -> str:
    return ";".join(str(int(i)) for i in sorted(set(int(i) for i in members)))


def _result_columns(result: NGTResult, temperature: float) -> dict:
    columns = {
        "k_AB": result.rate_ab,
        "k_BA": result.rate_ba,
        "k_AB_ss": result.rate_ab_ss,
        "k_BA_ss": result.rate_ba_ss,
        "mfpt_AB": result.mfpt_ab,
        "mfpt_BA": result.mfpt_ba,
        "log10_k_AB": result.log_rate_ab * LOG10_E,
        "log10_k_BA": result.log_rate_ba * LOG10_E,
        "log10_k_AB_ss": result.log_rate_ab_ss * LOG10_E,
        "log10_k_BA_ss": result.log_rate_ba_ss * LOG10_E,
        "log10_mfpt_AB": result.log_mfpt_ab * LOG10_E,
        "log10_mfpt_BA": result.log_mfpt_ba * LOG10_E,
    }
    columns["similarity"] = float(
        kinetic_similarity(result.log_rate_ab_ss, result.log_rate_ba_ss, temperature)
    )
    return columns


def network_rates_rows(network: RateNetwork, a, b) -> dict:
    """Return the table columns for A ← B on one rate network."""
    result = ngt_rates(network, a, b)
    return {
        "temperature": network.temperature,
        "a": _format_set(a),
        "b": _format_set(b),
    } | _result_columns(result, network.temperature)


def rates_table(database, a, b, temperatures, **rate_options) -> list[dict]:
    """Compute rates and MFPTs between minima sets A and B at each temperature.

    Parameters
    ----------
    database : StationaryPointDatabase
    a, b : iterable of int
        Indices of the minima in A and in B.
    temperatures : iterable of float
        Temperatures in energy units (k_B = 1).
    **rate_options
        Passed to :func:`topograph.kinetics.rates.database_rate_network`,
        for example ``equal_prefactors=True`` for a database without
        Hessian eigenvalues.

    Returns
    -------
    list of dict
        One row per temperature with ``temperature``, ``a``, ``b`` (indices
        joined by ``;``), ``k_AB``, ``k_BA`` (NGT), ``k_AB_ss``,
        ``k_BA_ss`` (steady state), ``mfpt_AB``, ``mfpt_BA``, the
        ``log10_`` of each, and ``similarity``.

    Raises
    ------
    ValueError
        As :func:`topograph.kinetics.ngt.ngt_rates`, for example when A and
        B are not connected.
    """
    a = list(a)
    b = list(b)
    rows = []
    for temperature in temperatures:
        network = database_rate_network(database, temperature, **rate_options)
        rows.append(network_rates_rows(network, a, b))
    return rows


def group_rates_table(
    database, threshold: float, temperatures, **rate_options
) -> list[dict]:
    """Regroup the minima at each temperature and tabulate adjacent group pairs.

    For each pair of groups joined by a transition state, the NGT rates,
    MFPTs and similarity are computed on the full network of minima with A
    and B the members of the two groups. Every pair costs one graph
    transformation of the whole network.

    Parameters
    ----------
    database : StationaryPointDatabase
    threshold : float
        Free-energy threshold of :func:`topograph.kinetics.regroup.regroup`.
    temperatures : iterable of float
    **rate_options
        Passed to :func:`topograph.kinetics.rates.database_rate_network`.

    Returns
    -------
    list of dict
        The columns of :func:`rates_table`, plus ``group_a``, ``group_b``,
        their sizes, and the free-energy barriers ``barrier_AB`` (B → A)
        and ``barrier_BA`` between the groups.
    """
    rows = []
    for temperature in temperatures:
        network = database_rate_network(database, temperature, **rate_options)
        grouping = regroup(network, threshold)
        groups = grouping.network
        barriers = free_energy_barriers(groups)
        edges = zip(groups.sources.tolist(), groups.targets.tolist())
        barrier = dict(zip(edges, barriers.tolist()))
        pairs = sorted({(min(i, j), max(i, j)) for i, j in barrier})
        logger.info(
            "T=%g: %d groups, %d adjacent pairs",
            temperature,
            groups.n_minima,
            len(pairs),
        )
        for group_a, group_b in pairs:
            members_a = grouping.members(group_a)
            members_b = grouping.members(group_b)
            row = network_rates_rows(network, members_a, members_b)
            row |= {
                "group_a": group_a,
                "group_b": group_b,
                "size_a": members_a.size,
                "size_b": members_b.size,
                "barrier_AB": float(barrier[(group_b, group_a)]),
                "barrier_BA": float(barrier[(group_a, group_b)]),
            }
            rows.append(row)
    return rows


def _format_cell(value) -> str:
    if isinstance(value, (float, np.floating)):
        return repr(float(value))
    return str(value)


def write_rates_table(rows: list[dict], path) -> None:
    """Write table rows as CSV, atomically.

    The columns are those of the first row, in order, followed by any new
    ones of later rows. Floats are written with full precision. The parent
    directory is created if it is missing.
    """
    path = Path(path)
    columns: list[str] = []
    for row in rows:
        columns += [name for name in row if name not in columns]
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_write(path, "w") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(columns)
        for row in rows:
            writer.writerow([_format_cell(row.get(name, "")) for name in columns])

"""Rate constants and mean first-passage times between two sets of minima.

The rates follow the new graph-transformation (NGT) scheme of Wales
(J. Chem. Phys. 130, 204111, 2009), computed with the log-space graph
transformation of :mod:`topograph.kinetics.graph_transformation`. For sets
A and B of minima, the minima outside A ∪ B (the intermediates I) are
removed once, keeping the rows of A and B, and the records of that removal
give the committors. Removing B next, from a copy with A absorbing, gives
the mean first-passage time T_Ab from each b ∈ B to A. Back-substituting
through the records of both removals gives T to A from every other minimum.
A to B is the same with the roles swapped. The cost is one removal of I and
two of the smaller sets.

Conventions, following Wales (2009): A ← B, so ``k_AB`` is the rate
constant for going from B to A. With p_b the equilibrium occupation of b and
p_B = Σ_{b∈B} p_b:

- ``k_AB^SS = (1/p_B) Σ_b p_b C_b / τ_b``, the steady-state rate, where
  τ_b = 1 / Σ_j k_bj is the waiting time of b and C_b the probability that
  a trajectory leaving b reaches A before any minimum of B (b included).
  It treats I as being in a steady state and satisfies detailed balance,
  p_B k_AB^SS = p_A k_BA^SS.
- ``k_AB^NGT = (1/p_B) Σ_b p_b / T_Ab``, the occupation-weighted mean of the
  inverse mean first-passage times T_Ab from each b ∈ B to A.
- ``mfpt_AB = (1/p_B) Σ_b p_b T_Ab``, the mean first-passage time from B,
  started in local equilibrium, to A.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass

import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components
from scipy.special import logsumexp

from topograph.kinetics.graph_transformation import (
    DENSE_DEGREE,
    DENSE_LIMIT,
    NEGATIVE_INFINITY,
    Record,
    back_substitute_probabilities,
    back_substitute_times,
    build_rows,
    eliminate,
    log_sum,
)
from topograph.kinetics.rates import RateNetwork, database_rate_network

logger = logging.getLogger(__name__)


def validate_sets(network: RateNetwork, a, b) -> tuple[np.ndarray, np.ndarray]:
    """Return A and B as sorted unique index arrays, checking that they are valid.

    Raises
    ------
    ValueError
        If a set is empty, an index is out of range, or the sets overlap.
    """
    sets = []
    for name, members in (("A", a), ("B", b)):
        members = np.unique(np.asarray(list(members), dtype=np.int64))
        if members.size == 0:
            raise ValueError(
                f"set {name} is empty. Give at least one minimum index for {name}"
            )
        outside = members[(members < 0) | (members >= network.n_minima)]
        if outside.size:
            raise ValueError(
                f"set {name} contains minima {outside[:10].tolist()} outside"
                f" 0..{network.n_minima - 1}"
            )
        sets.append(members)
    shared = np.intersect1d(sets[0], sets[1])
    if shared.size:
        raise ValueError(
            f"sets A and B share minima {shared[:10].tolist()}"
            f"{' ...' if shared.size > 10 else ''}, but a minimum can be in at most"
            f" one of them"
        )
    return sets[0], sets[1]


def connected_component(
    network: RateNetwork, a: np.ndarray, b: np.ndarray
) -> np.ndarray:
    """Return the sorted minima of the connected component that contains A and B.

    Raises
    ------
    ValueError
        If no path of transition states joins A to B, or if some minima of
        A or B lie outside the component that joins them.
    """
    graph = coo_matrix(
        (np.ones(network.sources.size), (network.sources, network.targets)),
        shape=(network.n_minima, network.n_minima),
    )
    _, labels = connected_components(graph, directed=False)
    shared = np.intersect1d(labels[a], labels[b])
    if shared.size == 0:
        raise ValueError(
            f"A and B are not connected, because no path of transition states joins"
            f" minima {a[:5].tolist()} of A to minima {b[:5].tolist()} of B."
            f" Connect the landscape by running more transition-state searches"
            f" between its components, then recompute the rates"
        )
    # When A and B meet in several components, use the one with most of them.
    members = np.concatenate([a, b])
    counts = [np.count_nonzero(labels[members] == label) for label in shared]
    label = shared[int(np.argmax(counts))]
    stray_a = a[labels[a] != label]
    stray_b = b[labels[b] != label]
    if stray_a.size or stray_b.size:
        raise ValueError(
            f"minima {stray_a[:10].tolist()} of A and {stray_b[:10].tolist()} of B"
            f" have no path of transition states to the rest of A and B. Connect"
            f" them by running more transition-state searches, or leave them out"
            f" of A and B"
        )
    return np.flatnonzero(labels == label)


def _exp(value: float) -> float:
    """Return e^value, with inf past the float64 range instead of an error."""
    try:
        return math.exp(value)
    except OverflowError:
        return math.inf


@dataclass(frozen=True)
class NGTResult:
    """Rates and first-passage times between two sets of minima, A ← B.

    All quantities are natural logarithms, because they may leave the range
    of float64; the properties without ``log_`` return the exponentials.

    Attributes
    ----------
    log_rate_ab, log_rate_ba : float
        ln k^NGT for B → A and for A → B.
    log_rate_ab_ss, log_rate_ba_ss : float
        ln k^SS, the steady-state rates, for B → A and for A → B.
    log_mfpt_ab, log_mfpt_ba : float
        ln of the occupation-weighted mean first-passage time from B to A,
        and from A to B.
    log_mfpt_to_a, log_mfpt_to_b : ndarray, shape (n_minima,)
        ln of the mean first-passage time from each minimum to A (−inf on
        A) and to B (−inf on B); +inf for minima with no path.
    log_committor_a : ndarray, shape (n_minima,)
        ln of the probability that a trajectory from each minimum reaches A
        before B (0 on A, −inf on B, NaN for minima with no path to either).
    log_committor_b : ndarray, shape (n_minima,)
        The same for reaching B before A, computed separately so that
        committors near 1 keep their precision.
    """

    log_rate_ab: float
    log_rate_ba: float
    log_rate_ab_ss: float
    log_rate_ba_ss: float
    log_mfpt_ab: float
    log_mfpt_ba: float
    log_mfpt_to_a: np.ndarray
    log_mfpt_to_b: np.ndarray
    log_committor_a: np.ndarray
    log_committor_b: np.ndarray

    @property
    def rate_ab(self) -> float:
        return _exp(self.log_rate_ab)

    @property
    def rate_ba(self) -> float:
        return _exp(self.log_rate_ba)

    @property
    def rate_ab_ss(self) -> float:
        return _exp(self.log_rate_ab_ss)

    @property
    def rate_ba_ss(self) -> float:
        return _exp(self.log_rate_ba_ss)

    @property
    def mfpt_ab(self) -> float:
        return _exp(self.log_mfpt_ab)

    @property
    def mfpt_ba(self) -> float:
        return _exp(self.log_mfpt_ba)


def _log_steady_state_rate(
    rows: dict[int, dict[int, float]],
    sources: np.ndarray,
    sinks: np.ndarray,
    log_occupations: np.ndarray,
) -> float:
    """Return ln k^SS(sinks ← sources) from rows with only sources and sinks left.

    After the intermediates are removed, the unnormalised weight from b to a
    is Σ_j k_bj C_j, where C_j is the probability of reaching a first among
    the kept minima from neighbour j, so no waiting time enters.
    """
    sink_set = set(sinks.tolist())
    terms = []
    for b in sources.tolist():
        to_sinks = [value for j, value in rows[b].items() if j in sink_set]
        if to_sinks:
            terms.append(log_occupations[b] + log_sum(to_sinks))
    if not terms:
        raise RuntimeError("no source minimum has a direct path to the sinks")
    return log_sum(terms) - float(logsumexp(log_occupations[sources]))


def _log_mfpts_into(
    records: list[Record],
    rows: dict[int, dict[int, float]],
    log_times: dict[int, float],
    sources: np.ndarray,
    sinks: np.ndarray,
    **options,
) -> dict[int, float]:
    """Return ln T(x → sinks) for every node, given the records of the rest.

    ``rows`` and ``log_times`` hold the network with only the sources and
    sinks left; they are copied, not changed.
    """
    source_rows = {b: dict(rows[b]) for b in sources.tolist()}
    source_times = {b: log_times[b] for b in sources.tolist()}
    source_records = eliminate(
        source_rows, source_times, sources.tolist(), set(sinks.tolist()), **options
    )
    log_mfpts = {int(a): NEGATIVE_INFINITY for a in sinks}
    back_substitute_times(source_records, log_mfpts)
    back_substitute_times(records, log_mfpts)
    return log_mfpts


def _log_weighted_mean(
    log_values: dict[int, float], members: np.ndarray, log_occupations, sign: float
) -> float:
    """Return ln of the occupation-weighted mean of ``exp(sign * log_values)``."""
    log_member_values = np.array([log_values[int(x)] for x in members])
    terms = log_occupations[members] + sign * log_member_values
    return float(logsumexp(terms) - logsumexp(log_occupations[members]))


def as_array(log_values: dict[int, float], size: int, fill: float) -> np.ndarray:
    """Scatter a dict of per-minimum values into an array filled with ``fill``."""
    array = np.full(size, fill)
    keys = np.fromiter(log_values.keys(), dtype=np.int64, count=len(log_values))
    array[keys] = np.fromiter(log_values.values(), dtype=np.float64, count=keys.size)
    return array


def ngt_rates(
    network: RateNetwork,
    a,
    b,
    *,
    dense_degree: int = DENSE_DEGREE,
    dense_limit: int = DENSE_LIMIT,
) -> NGTResult:
    """Compute the NGT and steady-state rates, MFPTs and committors for A ← B.

    Parameters
    ----------
    network : RateNetwork
        Rate constants and equilibrium occupations at one temperature.
    a, b : iterable of int
        Indices of the minima in A and in B; they must not overlap.
    dense_degree, dense_limit : int, optional
        When to switch to the dense tail of the elimination; see
        :func:`topograph.kinetics.graph_transformation.eliminate`.

    Returns
    -------
    NGTResult

    Raises
    ------
    ValueError
        If A or B is empty, they overlap, an index is out of range, or no
        path of transition states joins A and B.
    """
    options = {"dense_degree": dense_degree, "dense_limit": dense_limit}
    a, b = validate_sets(network, a, b)
    component = connected_component(network, a, b)
    rows, log_times = build_rows(network, component)
    endpoints = set(a.tolist()) | set(b.tolist())
    intermediates = [x for x in component.tolist() if x not in endpoints]
    logger.debug(
        "graph transformation: %d minima in the component, %d in A, %d in B",
        component.size,
        a.size,
        b.size,
    )

    records = eliminate(rows, log_times, intermediates, **options)
    log_occupations = network.log_occupations
    log_rate_ab_ss = _log_steady_state_rate(rows, b, a, log_occupations)
    log_rate_ba_ss = _log_steady_state_rate(rows, a, b, log_occupations)

    # Committors to A and to B from the same records with swapped boundaries.
    committor_a = {int(x): 0.0 for x in a} | {int(x): NEGATIVE_INFINITY for x in b}
    committor_b = {int(x): NEGATIVE_INFINITY for x in a} | {int(x): 0.0 for x in b}
    back_substitute_probabilities(records, committor_a)
    back_substitute_probabilities(records, committor_b)

    mfpt_to_a = _log_mfpts_into(records, rows, log_times, b, a, **options)
    mfpt_to_b = _log_mfpts_into(records, rows, log_times, a, b, **options)

    size = network.n_minima
    return NGTResult(
        log_rate_ab=_log_weighted_mean(mfpt_to_a, b, log_occupations, -1.0),
        log_rate_ba=_log_weighted_mean(mfpt_to_b, a, log_occupations, -1.0),
        log_rate_ab_ss=log_rate_ab_ss,
        log_rate_ba_ss=log_rate_ba_ss,
        log_mfpt_ab=_log_weighted_mean(mfpt_to_a, b, log_occupations, 1.0),
        log_mfpt_ba=_log_weighted_mean(mfpt_to_b, a, log_occupations, 1.0),
        log_mfpt_to_a=as_array(mfpt_to_a, size, math.inf),
        log_mfpt_to_b=as_array(mfpt_to_b, size, math.inf),
        log_committor_a=as_array(committor_a, size, math.nan),
        log_committor_b=as_array(committor_b, size, math.nan),
    )


def database_ngt_rates(database, a, b, temperature: float, **rate_options) -> NGTResult:
    """Compute :func:`ngt_rates` for minima of a :class:`StationaryPointDatabase`.

    ``rate_options`` are passed to
    :func:`topograph.kinetics.rates.database_rate_network`, for example
    ``equal_prefactors=True``.
    """
    network = database_rate_network(database, temperature, **rate_options)
    return ngt_rates(network, a, b)

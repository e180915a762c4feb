"""Committor probabilities between two sets of minima.

The committor of minimum i for sets A and B is q_i^A, the probability that
a trajectory started at i reaches A before B. It is 1 on A and 0 on B, and
on every other minimum it solves Σ_j k_ij (q_j − q_i) = 0, the backward
Kolmogorov equation of the master equation. In the transition-path theory
of a reaction B → A it is the forward committor q^+; Wales (2009) writes
it C_i^A. The complement q_i^B = 1 − q_i^A is the probability of reaching B
first.

Both are computed by the log-space graph transformation of
:mod:`topograph.kinetics.graph_transformation`: removing every minimum
outside A ∪ B and back-substituting q_x = Σ_j P_xj q_j through the records,
once with q = 1 on A and once with q = 1 on B. No step subtracts, so a
committor of 1 − 1e-30 is returned as ln q^A ≈ −1e-30 together with
ln q^B ≈ ln 1e-30, and neither loses precision.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from topograph.kinetics.graph_transformation import (
    DENSE_DEGREE,
    DENSE_LIMIT,
    NEGATIVE_INFINITY,
    back_substitute_probabilities,
    build_rows,
    eliminate,
)
from topograph.kinetics.ngt import as_array, connected_component, validate_sets
from topograph.kinetics.rates import RateNetwork, database_rate_network


@dataclass(frozen=True)
class Committors:
    """Committor probabilities of every minimum for sets A and B.

    Attributes
    ----------
    log_committor_a : ndarray, shape (n_minima,)
        ln q^A, the log probability of reaching A before B: 0 on A and −inf
        on B. NaN for minima in a component without A and B, which never
        reach either.
    log_committor_b : ndarray, shape (n_minima,)
        ln q^B = ln(1 − q^A), computed without subtraction.
    """

    log_committor_a: np.ndarray
    log_committor_b: np.ndarray

    @property
    def committor_a(self) -> np.ndarray:
        """q^A, the probability of reaching A before B."""
        return np.exp(self.log_committor_a)

    @property
    def committor_b(self) -> np.ndarray:
        """q^B, the probability of reaching B before A."""
        return np.exp(self.log_committor_b)


def committor_probabilities(
    network: RateNetwork,
    a,
    b,
    *,
    dense_degree: int = DENSE_DEGREE,
    dense_limit: int = DENSE_LIMIT,
) -> Committors:
    """Compute the committors q^A and q^B of every minimum.

    Parameters
    ----------
    network : RateNetwork
        Rate constants at one temperature; the occupations are not used.
    a, b : iterable of int
        Indices of the minima in A and in B; they must not overlap.
    dense_degree, dense_limit : int, optional
        When to switch to the dense tail of the elimination; see
        :func:`topograph.kinetics.graph_transformation.eliminate`.

    Returns
    -------
    Committors

    Raises
    ------
    ValueError
        If A or B is empty, they overlap, an index is out of range, or no
        path of transition states joins A and B.
    """
    a, b = validate_sets(network, a, b)
    component = connected_component(network, a, b)
    rows, log_times = build_rows(network, component)
    endpoints = set(a.tolist()) | set(b.tolist())
    intermediates = [x for x in component.tolist() if x not in endpoints]
    records = eliminate(
        rows,
        log_times,
        intermediates,
        endpoints,
        dense_degree=dense_degree,
        dense_limit=dense_limit,
    )

    committor_a = {int(x): 0.0 for x in a} | {int(x): NEGATIVE_INFINITY for x in b}
    committor_b = {int(x): NEGATIVE_INFINITY for x in a} | {int(x): 0.0 for x in b}
    back_substitute_probabilities(records, committor_a)
    back_substitute_probabilities(records, committor_b)
    return Committors(
        log_committor_a=as_array(committor_a, network.n_minima, math.nan),
        log_committor_b=as_array(committor_b, network.n_minima, math.nan),
    )


def database_committors(
    database, a, b, temperature: float, **rate_options
) -> Committors:
    """Compute committors for minima of a :class:`StationaryPointDatabase`.

    ``rate_options`` are passed to
    :func:`topograph.kinetics.rates.database_rate_network`, for example
    ``equal_prefactors=True``.
    """
    network = database_rate_network(database, temperature, **rate_options)
    return committor_probabilities(network, a, b)

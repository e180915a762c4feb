"""Kinetic similarity of two minima or two groups of minima.

For states I and J with rate constants k_{I→J} and k_{J→I} at temperature
T, the similarity is

    s_IJ = min(1, (2π / T) · sqrt(k_{I→J} k_{J→I})) = exp(−max(0, ΔF̄) / T),

where ΔF̄ = (ΔF_{I→J} + ΔF_{J→I}) / 2 is the mean of the free-energy
barriers in the two directions, ΔF_{I→J} = −T ln(2π k_{I→J} / T) as in
:mod:`topograph.kinetics.regroup`. For harmonic rates ΔF̄ = F‡ − (F_I + F_J)/2,
the barrier measured from the mean free energy of the two states, so s is
the Boltzmann factor of the barrier that separates them.

Properties:

- symmetric, s_IJ = s_JI, because the geometric mean is;
- in [0, 1], with s = 0 only for a zero rate and s_II = 1 by definition.
  s reaches 1 when ΔF̄ ≤ 0, which happens only when entropy puts the
  transition state's free energy below the mean of the two states;
- non-decreasing in each of the two rate constants, and strictly
  increasing while s < 1.

The 2π/T scale is the classical transition-state-theory attempt frequency
in the units of :mod:`topograph.kinetics.rates` (k_B = ħ = 1, unit
masses), so s does not depend on the time unit of the rates as long as
they come from that module. Between minima or groups that are not adjacent,
:func:`set_similarity` uses the steady-state rates k^SS of
:mod:`topograph.kinetics.ngt`, which count every path through the rest of
the network; :func:`adjacent_similarities` uses the direct rates only.
"""

from __future__ import annotations

import math

import numpy as np
from scipy.sparse import csr_matrix, identity

from topograph.kinetics.ngt import ngt_rates
from topograph.kinetics.rates import LOG_TWO_PI, RateNetwork


def kinetic_similarity(log_rate_ij, log_rate_ji, temperature: float):
    """Compute s = min(1, (2π/T) sqrt(k_ij k_ji)) from log rate constants.

    Parameters
    ----------
    log_rate_ij, log_rate_ji : float or array_like
        Natural logarithms of the rate constants in the two directions;
        −inf for no path.
    temperature : float
        Temperature in energy units (k_B = 1).

    Returns
    -------
    float or ndarray
        The similarity, in [0, 1].
    """
    temperature = float(temperature)
    if not np.isfinite(temperature) or temperature <= 0.0:
        raise ValueError(
            f"temperature must be positive and finite, got {temperature!r}"
        )
    log_similarity = (
        LOG_TWO_PI
        - math.log(temperature)
        + 0.5 * (np.asarray(log_rate_ij) + np.asarray(log_rate_ji))
    )
    similarity = np.exp(np.minimum(log_similarity, 0.0))
    return similarity[()] if isinstance(similarity, np.ndarray) else similarity


def set_similarity(network: RateNetwork, a, b) -> float:
    """Compute the similarity of the minima sets A and B from their k^SS rates.

    Parameters
    ----------
    network : RateNetwork
        Rate network of the minima (or of groups, from
        :func:`topograph.kinetics.regroup.regroup`).
    a, b : iterable of int
        The two states. Equal sets have similarity 1.

    Returns
    -------
    float

    Raises
    ------
    ValueError
        If the sets are empty, overlap without being equal, or are not
        connected.
    """
    a_sorted = np.unique(np.asarray(list(a), dtype=np.int64))
    b_sorted = np.unique(np.asarray(list(b), dtype=np.int64))
    if np.array_equal(a_sorted, b_sorted):
        if a_sorted.size == 0:
            raise ValueError("sets A and B are empty. Give at least one minimum each")
        if a_sorted[0] < 0 or a_sorted[-1] >= network.n_minima:
            raise ValueError(
                f"minima {a_sorted.tolist()[:10]} are not all in"
                f" 0..{network.n_minima - 1}"
            )
        return 1.0
    result = ngt_rates(network, a_sorted, b_sorted)
    return float(
        kinetic_similarity(
            result.log_rate_ab_ss, result.log_rate_ba_ss, network.temperature
        )
    )


def adjacent_similarities(network: RateNetwork) -> csr_matrix:
    """Compute the similarity of every pair of directly joined states.

    Parameters
    ----------
    network : RateNetwork

    Returns
    -------
    scipy.sparse.csr_matrix, shape (n, n)
        Symmetric, with the similarity from the direct rate constants for
        each joined pair and 1 on the diagonal. Pairs without a direct
        transition state are not stored; their direct similarity is 0.
    """
    n = network.n_minima
    if network.sources.size == 0:
        return identity(n, format="csr")
    keys = network.sources * n + network.targets
    order = np.argsort(keys)
    reverse_keys = network.targets * n + network.sources
    positions = np.minimum(np.searchsorted(keys[order], reverse_keys), keys.size - 1)
    reverse_position = order[positions]
    missing = keys[reverse_position] != reverse_keys
    if np.any(missing):
        edge = int(np.flatnonzero(missing)[0])
        raise ValueError(
            f"the network has a rate from {network.sources[edge]} to"
            f" {network.targets[edge]} but none back. Build it with"
            f" build_rate_network, which stores both directions"
        )
    reverse = network.log_rates[reverse_position]
    similarities = kinetic_similarity(network.log_rates, reverse, network.temperature)
    diagonal = np.arange(n)
    return csr_matrix(
        (
            np.concatenate([similarities, np.ones(n)]),
            (
                np.concatenate([network.sources, diagonal]),
                np.concatenate([network.targets, diagonal]),
            ),
        ),
        shape=(n, n),
    )

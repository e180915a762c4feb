"""Harmonic transition-state-theory rate constants, in log space.

For a minimum i joined to a minimum j through a transition state s, harmonic
transition-state theory (HTST) gives the rate constant

    k_{i→j} = (o_i/o_s) · (1/2π) · exp((L_i − L_s)/2) · exp(−(E_s − E_i)/T)

where E is the energy, T the temperature in energy units (k_B = 1), o the
order of the point group (1 unless a study supplies one) and L the sum of
ln λ over the positive Hessian eigenvalues λ. With unit masses the angular
frequencies are ω = √λ, so exp((L_i − L_s)/2) = Π ω_i / Π' ω_s, the product
over the minimum's modes divided by the product over the transition state's
modes without the imaginary one. The 1/2π turns angular frequencies into
ordinary ones. Several transition states between the same two minima act in
parallel, so their rate constants add.

The equilibrium occupation of each minimum comes from the classical harmonic
superposition approximation: the partition function of minimum i is
Z_i = T^κ · exp(−E_i / T − L_i / 2) / o_i for κ vibrational modes, and
p_i = Z_i / Σ_j Z_j. The factor T^κ is the same for every minimum and cancels.
These rates satisfy detailed balance, p_i k_{i→j} = p_j k_{j→i}, and
k_{i→j} = (T / 2π) · Z_s / Z_i, so F_s − F_i = −T ln(2π k_{i→j} / T) is
the free-energy barrier.

At low temperature the rate constants span hundreds of orders of magnitude
and leave the range of float64, so this module returns natural logarithms of
rates and occupations, and every sum over parallel paths is a logsumexp.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
from scipy.special import logsumexp

logger = logging.getLogger(__name__)

LOG_TWO_PI = float(np.log(2.0 * np.pi))


@dataclass(frozen=True)
class RateNetwork:
    """A network of minima joined by rate constants at one temperature.

    Attributes
    ----------
    n_minima : int
        Number of minima; they are numbered ``0 .. n_minima - 1``.
    sources, targets : ndarray of int64, shape (m,)
        One row per ordered pair of distinct minima with a nonzero rate,
        with the rate constants of parallel transition states summed.
        Both directions of a pair are present.
    log_rates : ndarray of float64, shape (m,)
        Natural logarithm of the rate constant from ``sources`` to
        ``targets``.
    log_occupations : ndarray of float64, shape (n_minima,)
        Natural logarithm of the equilibrium occupation probability of
        each minimum, normalised so that the occupations sum to 1.
    temperature : float
        Temperature in energy units (k_B = 1).
    """

    n_minima: int
    sources: np.ndarray
    targets: np.ndarray
    log_rates: np.ndarray
    log_occupations: np.ndarray
    temperature: float


def _positive_temperature(temperature: float) -> float:
    temperature = float(temperature)
    if not np.isfinite(temperature) or temperature <= 0.0:
        raise ValueError(
            f"temperature must be a positive finite number in energy units, "
            f"got {temperature!r}"
        )
    return temperature


def _log_orders(orders, size: int, name: str) -> np.ndarray:
    if orders is None:
        return np.zeros(size)
    orders = np.asarray(orders, dtype=np.float64)
    if orders.shape != (size,):
        raise ValueError(f"{name} must have shape ({size},), got {orders.shape}")
    if np.any(~np.isfinite(orders)) or np.any(orders < 1.0):
        bad = np.flatnonzero(~np.isfinite(orders) | (orders < 1.0))
        raise ValueError(
            f"{name} must be point-group orders >= 1, but entries {bad[:10].tolist()} "
            f"are {orders[bad[:10]].tolist()}"
        )
    return np.log(orders)


def _describe_indices(indices: np.ndarray, total: int) -> str:
    first_indices = ", ".join(str(i) for i in indices[:10])
    more = " ..." if indices.size > 10 else ""
    return f"{first_indices}{more} ({indices.size} of {total})"


def _checked_log_products(
    log_products: np.ndarray, kind: str, equal_prefactors: bool
) -> np.ndarray:
    if equal_prefactors:
        return np.zeros_like(log_products)
    missing = np.flatnonzero(np.isnan(log_products))
    if missing.size:
        raise ValueError(
            f"the log products of {kind}"
            f" {_describe_indices(missing, log_products.size)}"
            f" are NaN because their Hessian eigenvalues were not computed. Compute"
            f" them, or pass equal_prefactors=True (--equal-prefactors on the command"
            f" line) to give every rate constant the"
            f" same prefactor 1/(2π)"
        )
    if np.any(np.isinf(log_products)):
        bad = np.flatnonzero(np.isinf(log_products))
        raise ValueError(
            f"the log products of {kind} {_describe_indices(bad, log_products.size)}"
            f" are infinite, but a sum of ln λ over positive eigenvalues is finite."
            f" Recompute their Hessian eigenvalues"
        )
    return log_products


def log_htst_rate(
    minimum_energy,
    minimum_log_product,
    ts_energy,
    ts_log_product,
    temperature: float,
    minimum_order=1.0,
    ts_order=1.0,
):
    """Compute ln k for leaving a minimum through one transition state.

    Parameters
    ----------
    minimum_energy, minimum_log_product : float or array_like
        Energy of the minimum and Σ ln λ over its positive Hessian
        eigenvalues.
    ts_energy, ts_log_product : float or array_like
        The same for the transition state, summing over its positive
        eigenvalues only.
    temperature : float
        Temperature in energy units (k_B = 1).
    minimum_order, ts_order : float or array_like, optional
        Point-group orders; 1 by default.

    Returns
    -------
    float or ndarray
        ``−ln 2π + ln(o_min / o_ts) + (L_min − L_ts)/2 − (E_ts − E_min)/T``.
    """
    temperature = _positive_temperature(temperature)
    log_rate = (
        -LOG_TWO_PI
        + np.log(minimum_order)
        - np.log(ts_order)
        + 0.5 * (np.asarray(minimum_log_product) - np.asarray(ts_log_product))
        - (np.asarray(ts_energy) - np.asarray(minimum_energy)) / temperature
    )
    return log_rate[()] if isinstance(log_rate, np.ndarray) else log_rate


def log_equilibrium_occupations(
    minimum_energies,
    minimum_log_products,
    temperature: float,
    *,
    minimum_orders=None,
    equal_prefactors: bool = False,
) -> np.ndarray:
    """Compute ln p_i, the harmonic-superposition equilibrium occupations.

    Parameters
    ----------
    minimum_energies, minimum_log_products : array_like, shape (n,)
        Energies and Σ ln λ over the positive Hessian eigenvalues.
    temperature : float
        Temperature in energy units (k_B = 1).
    minimum_orders : array_like, shape (n,), optional
        Point-group orders of the minima; all 1 by default.
    equal_prefactors : bool, optional
        Ignore the log products and treat every minimum as having the same
        vibrational frequencies, for databases without Hessians.

    Returns
    -------
    ndarray, shape (n,)
        ``ln p_i`` with ``logsumexp(ln p) == 0``.

    Raises
    ------
    ValueError
        If a log product is NaN and ``equal_prefactors`` is False.
    """
    temperature = _positive_temperature(temperature)
    energies = np.asarray(minimum_energies, dtype=np.float64)
    log_products = np.asarray(minimum_log_products, dtype=np.float64)
    if energies.ndim != 1 or log_products.shape != energies.shape:
        raise ValueError(
            f"minimum energies and log products must be 1-D of equal length, got "
            f"shapes {energies.shape} and {log_products.shape}"
        )
    if energies.size == 0:
        raise ValueError("there are no minima, so there are no occupations")
    log_products = _checked_log_products(log_products, "minima", equal_prefactors)
    log_orders = _log_orders(minimum_orders, energies.size, "minimum_orders")

    log_weights = -energies / temperature - 0.5 * log_products - log_orders
    return log_weights - logsumexp(log_weights)


def harmonic_free_energies(
    minimum_energies,
    minimum_log_products,
    temperature: float,
    *,
    minimum_orders=None,
    equal_prefactors: bool = False,
) -> np.ndarray:
    """Compute harmonic free energies F_i = E_i + T L_i / 2 + T ln o_i.

    The term −κ T ln T shared by all minima is left out, so only differences
    between minima are meaningful. Parameters are as for
    :func:`log_equilibrium_occupations`.
    """
    temperature = _positive_temperature(temperature)
    energies = np.asarray(minimum_energies, dtype=np.float64)
    log_products = np.asarray(minimum_log_products, dtype=np.float64)
    log_products = _checked_log_products(log_products, "minima", equal_prefactors)
    log_orders = _log_orders(minimum_orders, energies.size, "minimum_orders")
    return energies + temperature * (0.5 * log_products + log_orders)


def combine_parallel(
    sources: np.ndarray, targets: np.ndarray, log_rates: np.ndarray, n_minima: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Sum, by logsumexp, the log rates that share a (source, target) pair."""
    keys = sources.astype(np.int64) * n_minima + targets.astype(np.int64)
    order = np.argsort(keys, kind="stable")
    keys = keys[order]
    log_rates = log_rates[order]
    starts = np.flatnonzero(np.r_[True, keys[1:] != keys[:-1]])

    # Shift each pair by its maximum so that the sums neither overflow nor
    # underflow, then reduce the pairs with one np.add.reduceat call.
    pair_max = np.maximum.reduceat(log_rates, starts)
    counts = np.diff(np.r_[starts, keys.size])
    shifted = np.exp(log_rates - np.repeat(pair_max, counts))
    combined = pair_max + np.log(np.add.reduceat(shifted, starts))

    unique_keys = keys[starts]
    return unique_keys // n_minima, unique_keys % n_minima, combined


def build_rate_network(
    minimum_energies,
    minimum_log_products,
    ts_energies,
    ts_log_products,
    ts_minimum1,
    ts_minimum2,
    temperature: float,
    *,
    minimum_orders=None,
    ts_orders=None,
    equal_prefactors: bool = False,
) -> RateNetwork:
    """Build the HTST rate network of a set of minima and transition states.

    Parameters
    ----------
    minimum_energies, minimum_log_products : array_like, shape (n,)
        Energies of the minima and Σ ln λ over their positive Hessian
        eigenvalues.
    ts_energies, ts_log_products : array_like, shape (m,)
        The same for the transition states (positive eigenvalues only).
    ts_minimum1, ts_minimum2 : array_like of int, shape (m,)
        The two minima each transition state joins. A transition state
        whose two minima are the same changes no population and is skipped.
    temperature : float
        Temperature in energy units (k_B = 1).
    minimum_orders, ts_orders : array_like, optional
        Point-group orders; all 1 by default.
    equal_prefactors : bool, optional
        Ignore all log products and give every rate constant the prefactor
        1/(2π), for databases whose Hessian eigenvalues were not computed.

    Returns
    -------
    RateNetwork
        Both directions of every joined pair, with parallel transition
        states summed.

    Raises
    ------
    ValueError
        If a log product is NaN (unless ``equal_prefactors``), an index is
        out of range, or the shapes disagree.
    """
    temperature = _positive_temperature(temperature)
    minimum_energies = np.asarray(minimum_energies, dtype=np.float64)
    minimum_log_products = np.asarray(minimum_log_products, dtype=np.float64)
    ts_energies = np.asarray(ts_energies, dtype=np.float64)
    ts_log_products = np.asarray(ts_log_products, dtype=np.float64)
    minimum1 = np.asarray(ts_minimum1, dtype=np.int64)
    minimum2 = np.asarray(ts_minimum2, dtype=np.int64)
    n_minima = minimum_energies.size
    n_ts = ts_energies.size

    for name, array in (
        ("ts_log_products", ts_log_products),
        ("ts_minimum1", minimum1),
        ("ts_minimum2", minimum2),
    ):
        if array.shape != (n_ts,):
            raise ValueError(f"{name} must have shape ({n_ts},), got {array.shape}")
    out_of_range = np.flatnonzero(
        (minimum1 < 0)
        | (minimum1 >= n_minima)
        | (minimum2 < 0)
        | (minimum2 >= n_minima)
    )
    if out_of_range.size:
        raise ValueError(
            f"transition states {_describe_indices(out_of_range, n_ts)} join minima"
            f" outside 0..{n_minima - 1}, so the database is inconsistent. Check"
            f" ts_minimum1 and ts_minimum2"
        )
    if np.any(~np.isfinite(minimum_energies)) or np.any(~np.isfinite(ts_energies)):
        raise ValueError("energies of minima and transition states must be finite")

    log_occupations = log_equilibrium_occupations(
        minimum_energies,
        minimum_log_products,
        temperature,
        minimum_orders=minimum_orders,
        equal_prefactors=equal_prefactors,
    )
    minimum_log_products = _checked_log_products(
        minimum_log_products, "minima", equal_prefactors
    )
    ts_log_products = _checked_log_products(
        ts_log_products, "transition states", equal_prefactors
    )
    minimum_log_orders = _log_orders(minimum_orders, n_minima, "minimum_orders")
    ts_log_orders = _log_orders(ts_orders, n_ts, "ts_orders")

    joins_two = minimum1 != minimum2
    if not np.all(joins_two):
        logger.debug(
            "skipped %d transition states whose two minima are the same",
            int(np.count_nonzero(~joins_two)),
        )
    joining = np.flatnonzero(joins_two)
    sources = np.concatenate([minimum1[joining], minimum2[joining]])
    targets = np.concatenate([minimum2[joining], minimum1[joining]])
    ts_of_edge = np.concatenate([joining, joining])

    log_rates = (
        -LOG_TWO_PI
        + minimum_log_orders[sources]
        - ts_log_orders[ts_of_edge]
        + 0.5 * (minimum_log_products[sources] - ts_log_products[ts_of_edge])
        - (ts_energies[ts_of_edge] - minimum_energies[sources]) / temperature
    )
    if sources.size:
        sources, targets, log_rates = combine_parallel(
            sources, targets, log_rates, n_minima
        )
    return RateNetwork(
        n_minima=n_minima,
        sources=sources.astype(np.int64),
        targets=targets.astype(np.int64),
        log_rates=log_rates.astype(np.float64),
        log_occupations=log_occupations,
        temperature=temperature,
    )


def database_arrays(database) -> dict[str, np.ndarray]:
    """Read the columns the kinetics needs from a stationary-point database.

    Uses ``database.minima.energies`` and ``.log_products``, and
    ``database.transition_states.energies``, ``.log_products``,
    ``.minimum1`` and ``.minimum2``.

    Returns
    -------
    dict
        The keyword arguments of :func:`build_rate_network` other than the
        temperature.
    """
    minima = database.minima
    transition_states = database.transition_states
    return {
        "minimum_energies": np.asarray(minima.energies),
        "minimum_log_products": np.asarray(minima.log_products),
        "ts_energies": np.asarray(transition_states.energies),
        "ts_log_products": np.asarray(transition_states.log_products),
        "ts_minimum1": np.asarray(transition_states.minimum1),
        "ts_minimum2": np.asarray(transition_states.minimum2),
    }


def database_rate_network(
    database,
    temperature: float,
    *,
    minimum_orders=None,
    ts_orders=None,
    equal_prefactors: bool = False,
) -> RateNetwork:
    """Build the HTST rate network of a :class:`StationaryPointDatabase`.

    See :func:`build_rate_network` for the parameters and errors.
    """
    arrays = database_arrays(database)
    return build_rate_network(
        **arrays,
        temperature=temperature,
        minimum_orders=minimum_orders,
        ts_orders=ts_orders,
        equal_prefactors=equal_prefactors,
    )

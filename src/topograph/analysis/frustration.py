"""Frustration, a roughness measure of an energy landscape.

For each minimum i and each transition state s connected to it, the barrier
is b = max(0, E_s − E_i) and the weight p = exp(−‖x_i − x_s‖² / (2ℓ²))
discounts barriers far from the minimum, so the contribution c = p·b is large
where high barriers sit close to minima. The frustration is
F = Σ c / (number of minima). Sorting the contributions locates the roughest
regions of the landscape, which fill-tuning then samples.

A transition state whose two sides reach the same minimum counts once for
that minimum.
"""

from __future__ import annotations

import math

import numpy as np

from topograph.database.store import StationaryPointDatabase

CONTRIBUTION_DTYPE = np.dtype(
    [
        ("minimum", np.int64),
        ("transition_state", np.int64),
        ("barrier", np.float64),
        ("weight", np.float64),
        ("contribution", np.float64),
    ]
)


def frustration(
    database: StationaryPointDatabase, length_scale: float
) -> tuple[float, np.ndarray]:
    """Compute the frustration of a landscape and its per-pair contributions.

    Parameters
    ----------
    database : StationaryPointDatabase
        Needs at least one minimum.
    length_scale : float
        The length ℓ of the Gaussian weight, in coordinate units (> 0).

    Returns
    -------
    value : float
        F = Σ c / n_minima; 0 when there are no transition states.
    contributions : structured ndarray
        One row per (minimum, transition state) with fields ``minimum``,
        ``transition_state``, ``barrier``, ``weight`` and ``contribution``,
        sorted by contribution (largest first), ties by minimum and then by
        transition state.
    """
    if not (math.isfinite(length_scale) and length_scale > 0):
        raise ValueError(
            f"length_scale must be a finite positive number, got {length_scale}."
        )
    if database.n_minima == 0:
        raise ValueError(
            "The database has no minima, so its frustration is undefined. Add minima "
            "before computing it."
        )

    states = database.transition_states
    first = states.minimum1
    second = states.minimum2
    distinct = first != second
    state_index = np.arange(len(states))
    minima = np.concatenate([first, second[distinct]])
    transition_states = np.concatenate([state_index, state_index[distinct]])

    minimum_energies = database.minima.energies[minima]
    barriers = np.maximum(0.0, states.energies[transition_states] - minimum_energies)
    offsets = (
        database.minima.coordinates[minima]
        - states.coordinates[transition_states]
    )
    squared_distances = np.einsum("ij,ij->i", offsets, offsets)
    weights = np.exp(-squared_distances / (2.0 * length_scale**2))
    contributions = weights * barriers

    table = np.empty(len(minima), dtype=CONTRIBUTION_DTYPE)
    table["minimum"] = minima
    table["transition_state"] = transition_states
    table["barrier"] = barriers
    table["weight"] = weights
    table["contribution"] = contributions
    order = np.lexsort((transition_states, minima, -contributions))
    table = table[order]

    value = float(contributions.sum() / database.n_minima)
    return value, table

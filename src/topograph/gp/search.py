"""Minima and transition states of one GP likelihood landscape, with the engine's searches.

Minima come from seeded basin-hopping (:func:`basin_hop_population`) and
are de-duplicated in a :class:`StationaryPointDatabase`. Transition states
come from doubly-nudged elastic bands refined by eigenvector-following
(:func:`find_transition_states`) between each minimum and its nearest
others.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np

from topograph.database.store import StationaryPointDatabase
from topograph.potentials.base import Potential
from topograph.search.basin_hopping import basin_hop_population
from topograph.search.transition_state import find_transition_states, hessian_log_product

logger = logging.getLogger(__name__)


@dataclass
class SearchSettings:
    """Basin-hopping and connection settings of a small landscape search."""

    chains: int = 4
    steps: int = 10
    temperature: float = 1.0
    step_size: float = 0.5
    neighbours: int = 2
    neb_images: int = 10
    energy_tolerance: float = 1e-6
    distance_tolerance: float = 1e-3
    seed: int = 0


def find_minima(potential: Potential, settings: SearchSettings) -> StationaryPointDatabase:
    """Return a database of the distinct minima found by basin-hopping."""
    rng = np.random.default_rng(settings.seed)
    starts = rng.uniform(
        potential.lower_bounds, potential.upper_bounds, size=(settings.chains, potential.dimension)
    )
    found = basin_hop_population(
        potential,
        starts,
        settings.steps,
        settings.seed,
        temperature=settings.temperature,
        step_size=settings.step_size,
    )
    database = StationaryPointDatabase(
        potential.dimension, settings.energy_tolerance, settings.distance_tolerance
    )
    for row in np.argsort(found.energies, kind="stable"):
        coordinates = found.coordinates[row]
        energy = float(found.energies[row])
        if database.match_minimum(energy, coordinates) is not None:
            continue
        database.add_minimum(
            energy,
            coordinates,
            log_product=hessian_log_product(potential, coordinates),
            on_bounds=bool(found.on_bounds[row].any()),
        )
    return database


def connect_minima(
    potential: Potential, database: StationaryPointDatabase, settings: SearchSettings
) -> StationaryPointDatabase:
    """Add transition states between each minimum and its ``neighbours`` nearest minima."""
    coordinates = database.minima.coordinates
    pairs = set()
    for i in range(database.n_minima):
        distances = np.linalg.norm(coordinates - coordinates[i], axis=1)
        for j in np.argsort(distances)[1 : settings.neighbours + 1]:
            pairs.add((min(i, int(j)), max(i, int(j))))
    pairs = sorted(pairs)
    if not pairs:
        return database
    results = find_transition_states(
        potential,
        coordinates[[a for a, _ in pairs]],
        coordinates[[b for _, b in pairs]],
        n_images=settings.neb_images,
    )
    for result in results:
        if result is None:
            continue
        ends = []
        for connected in (result.minimum1, result.minimum2):
            index, _ = database.add_minimum(
                connected.energy,
                connected.coordinates,
                log_product=hessian_log_product(potential, connected.coordinates),
                on_bounds=bool(potential.at_bounds(connected.coordinates).any()),
            )
            ends.append(index)
        if database.match_transition_state(result.energy, result.coordinates) is None:
            database.add_transition_state(
                result.energy,
                result.coordinates,
                ends[0],
                ends[1],
                log_product=result.log_product,
                negative_eigenvalue=result.negative_eigenvalue,
            )
    logger.info(
        "%d minima and %d transition states after %d searches",
        database.n_minima, database.n_transition_states, len(pairs),
    )  # fmt: skip
    return database

"""Sweeping the Matérn ν: stationary points of the fixed-ν landscapes followed over a grid.

The minima and transition states are searched at both ends of the grid
(:mod:`topograph.gp.search`). Each set is followed across the grid towards
the other end (:func:`topograph.gp.continuation.follow_branches`), so a
pair that is born inside the grid in one direction is seen vanishing in
the other.

An elastic band may miss the saddle between two minima at the end of the
grid. So when a minimum vanishes without a saddle vanishing beside it,
transition states between it and the other minima at its last value (of
either sweep direction) are searched again there, and the first one found
is followed onwards. A saddle that
vanishes together with the minimum then completes the fold. Folds are detected by
:func:`topograph.gp.continuation.detect_folds`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from topograph.gp.continuation import Branch, Catastrophe, detect_folds, follow_branches
from topograph.gp.search import SearchSettings, connect_minima, find_minima
from topograph.search.transition_state import find_transition_states
from topograph.potentials.gp_likelihood import GPLikelihoodPotential


@dataclass
class SweepResult:
    """Branches of both sweep directions and the catastrophes found."""

    grid: np.ndarray
    branches: list[Branch]
    catastrophes: list[Catastrophe]


def sweep_nu(
    inputs,
    targets,
    grid,
    settings: SearchSettings,
    ard: bool = False,
    bounds: dict | None = None,
    max_jump: float = 0.5,
    distance_tolerance: float = 0.5,
) -> SweepResult:
    """Follow the stationary points of the fixed-ν NLML over ``grid`` in both directions."""
    grid = np.asarray(grid, dtype=np.float64)

    def make_potential(nu):
        return GPLikelihoodPotential(inputs, targets, nu=nu, ard=ard, bounds=bounds)

    branches = []
    for direction, start in ((1, grid[0]), (-1, grid[-1])):
        potential = make_potential(start)
        database = connect_minima(potential, find_minima(potential, settings), settings)
        starts = [(x, "minimum") for x in database.minima.coordinates]
        starts += [(x, "saddle") for x in database.transition_states.coordinates]
        branches += follow_branches(make_potential, grid, starts, direction, max_jump=max_jump)
    branches += _recover_saddles(make_potential, grid, branches, settings, max_jump)
    return SweepResult(grid, branches, detect_folds(branches, grid, distance_tolerance))


def _recover_saddles(make_potential, grid, branches, settings, max_jump) -> list[Branch]:
    """Search saddles beside minima that vanished alone and follow them onwards."""
    recovered = []
    for branch in branches:
        if branch.kind != "minimum" or not branch.end.startswith("vanished"):
            continue
        last = branch.grid_indices[-1]
        saddle_ends = [
            other.grid_indices[-1]
            for other in branches
            if other.kind == "saddle"
            and other.direction == branch.direction
            and other.end.startswith("vanished")
        ]
        if last in saddle_ends:
            continue
        others = [
            other.coordinates[other.grid_indices.index(last)]
            for other in branches
            if other is not branch and other.kind == "minimum" and last in other.grid_indices
        ]
        if not others:
            continue
        others.sort(key=lambda x: float(np.linalg.norm(x - branch.coordinates[-1])))
        others = np.array(others[: settings.neighbours])
        potential = make_potential(grid[last])
        results = find_transition_states(
            potential,
            np.repeat(branch.coordinates[-1][None, :], len(others), axis=0),
            others,
            n_images=settings.neb_images,
        )
        starts = [(result.coordinates, "saddle") for result in results if result is not None]
        if starts:
            recovered += follow_branches(
                make_potential, grid, starts[:1], branch.direction,
                max_jump=max_jump, start_index=last,
            )  # fmt: skip
    return recovered

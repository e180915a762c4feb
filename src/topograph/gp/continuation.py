"""Following stationary points as a parameter (the Matérn ν) is swept, and fold detection.

Continuation: at each new value of the parameter, every branch restarts
from its point at the previous value. A minimum is re-optimised with
L-BFGS-B (the engine's :func:`~topograph.optimize.lbfgs.minimize`), so it
may stay on a box bound. A saddle is refined by Newton steps on the
coordinates that are not on a bound, each step capped at ``max_step``. A
branch ends ("vanished") when its point does not converge, moves further
than ``max_jump`` in one parameter step, changes its Hessian index, or
lands on another branch's point (it fell into that basin).

Fold catastrophe: a minimum and an index-1 saddle approach each other and
annihilate. Near the fold at ``p*`` their distance shrinks like
``√|p* − p|`` and the lowest Hessian eigenvalue ``λ`` of the minimum like
``√|p* − p|``, so ``λ²`` is linear in ``p``. :func:`detect_folds` reports a
fold between two consecutive grid values when a minimum branch and a
saddle branch both vanish after the same grid value, are each other's
nearest partner there, and lie within ``distance_tolerance``. The fold's
position is estimated by extrapolating ``λ²`` of the minimum linearly to
zero from its last two points, clipped to the interval between the two
grid values. A branch that ends because its lowest
Hessian eigenvalue crossed zero between consecutive values, without a
partner, is reported as an ``index_change``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from topograph.optimize.lbfgs import minimize
from topograph.potentials.base import Potential

logger = logging.getLogger(__name__)


@dataclass
class Branch:
    """One stationary point followed over the parameter grid.

    ``grid_indices[i]`` is the grid index of the i-th point. ``direction`` is
    +1 for a sweep up the grid and −1 for a sweep down it.
    """

    kind: str
    direction: int
    grid_indices: list[int] = field(default_factory=list)
    parameters: list[float] = field(default_factory=list)
    coordinates: list[np.ndarray] = field(default_factory=list)
    energies: list[float] = field(default_factory=list)
    lowest_eigenvalues: list[float] = field(default_factory=list)
    end: str = "grid end"

    def append(self, index, parameter, coordinates, energy, lowest_eigenvalue):
        """Add the point at grid value ``index``."""
        self.grid_indices.append(int(index))
        self.parameters.append(float(parameter))
        self.coordinates.append(np.asarray(coordinates, dtype=np.float64))
        self.energies.append(float(energy))
        self.lowest_eigenvalues.append(float(lowest_eigenvalue))


@dataclass
class Catastrophe:
    """A fold (minimum and saddle vanish together) or an index change of one branch."""

    kind: str
    parameter_before: float
    parameter_after: float
    estimated_parameter: float
    energy: float
    distance: float
    branches: tuple[int, ...]


def free_coordinates(potential: Potential, x: np.ndarray, tolerance: float = 1e-8) -> np.ndarray:
    """Return the mask of coordinates of ``x`` that are not on a bound."""
    return ~potential.at_bounds(x, tolerance)


def spectrum(potential: Potential, x: np.ndarray, free: np.ndarray) -> np.ndarray:
    """Return the Hessian eigenvalues over the ``free`` coordinates, ascending."""
    index = np.flatnonzero(free)
    if index.size == 0:
        return np.array([np.inf])
    hessian = potential.hessian(x)[np.ix_(index, index)]
    return np.linalg.eigvalsh(0.5 * (hessian + hessian.T))


def newton_stationary_point(
    potential: Potential,
    x0: np.ndarray,
    free: np.ndarray,
    gradient_tolerance: float = 1e-7,
    max_iterations: int = 50,
    max_step: float = 0.2,
) -> tuple[np.ndarray, bool]:
    """Refine a stationary point by Newton steps on the ``free`` coordinates.

    Returns the point and whether the free gradient norm fell below
    ``gradient_tolerance``.
    """
    x = np.array(x0, dtype=np.float64)
    index = np.flatnonzero(free)
    for _ in range(max_iterations):
        gradient = potential.gradient(x)[index]
        if np.linalg.norm(gradient) < gradient_tolerance:
            return x, True
        hessian = potential.hessian(x)[np.ix_(index, index)]
        try:
            step = -np.linalg.solve(hessian, gradient)
        except np.linalg.LinAlgError:
            return x, False
        length = np.linalg.norm(step)
        if length > max_step:
            step *= max_step / length
        x[index] += step
        if potential.bounded:
            x = np.clip(x, potential.lower_bounds, potential.upper_bounds)
    return x, bool(np.linalg.norm(potential.gradient(x)[index]) < gradient_tolerance)


def _continue_point(potential, branch, gradient_tolerance, max_step):
    previous = branch.coordinates[-1]
    if branch.kind == "minimum":
        result = minimize(potential, previous, gradient_tolerance=gradient_tolerance)
        x, converged = result.coordinates, result.converged
        free = ~result.on_bounds
    else:
        free = free_coordinates(potential, previous)
        x, converged = newton_stationary_point(
            potential, previous, free, gradient_tolerance, max_step=max_step
        )
    return x, converged, free


def follow_branches(
    make_potential: Callable[[float], Potential],
    grid: Sequence[float],
    starts: Sequence[tuple[np.ndarray, str]],
    direction: int = 1,
    max_jump: float = 0.5,
    gradient_tolerance: float = 1e-7,
    max_step: float = 0.2,
    merge_tolerance: float = 1e-3,
    start_index: int | None = None,
) -> list[Branch]:
    """Follow stationary points over ``grid`` by warm-started re-optimisation.

    Parameters
    ----------
    make_potential : callable
        Returns the potential at one parameter value.
    grid : sequence of float
        Parameter values, increasing.
    starts : sequence of (coordinates, kind)
        Stationary points at the first value of the sweep (``grid[0]`` for
        ``direction=1``, ``grid[-1]`` for −1); ``kind`` is ``minimum`` or
        ``saddle`` (index 1).
    direction : {1, -1}
        Sweep up or down the grid.
    max_jump : float
        Largest distance a point may move between consecutive values before
        its branch counts as vanished.
    merge_tolerance : float
        Two branches of one kind closer than this at the same value have
        merged: the one that moved further since the previous value fell
        into the other's basin, so it ends at its previous point.
    start_index : int, optional
        Grid index of the starts; by default the first value of the sweep.
    """
    grid = np.asarray(grid, dtype=np.float64)
    if grid.ndim != 1 or grid.size < 2 or np.any(np.diff(grid) <= 0):
        raise ValueError(f"the grid must be at least 2 increasing values; got {grid.tolist()}")
    if direction not in (1, -1):
        raise ValueError(f"direction must be 1 or -1; got {direction}")
    if start_index is None:
        start_index = 0 if direction == 1 else grid.size - 1
    if not 0 <= start_index < grid.size:
        raise ValueError(f"start_index {start_index} is outside the grid of {grid.size} values")
    if direction == 1:
        order = list(range(start_index, grid.size))
    else:
        order = list(range(start_index, -1, -1))

    potential = make_potential(grid[order[0]])
    branches = []
    for coordinates, kind in starts:
        if kind not in ("minimum", "saddle"):
            raise ValueError(f"start kind must be 'minimum' or 'saddle'; got {kind!r}")
        x = np.asarray(coordinates, dtype=np.float64)
        free = free_coordinates(potential, x)
        branch = Branch(kind, direction)
        branch.append(order[0], grid[order[0]], x, potential.energy(x), spectrum(potential, x, free)[0])
        branches.append(branch)

    for index in order[1:]:
        if not any(branch.end == "grid end" for branch in branches):
            break
        potential = make_potential(grid[index])
        for branch in branches:
            if branch.end != "grid end":
                continue
            x, converged, free = _continue_point(potential, branch, gradient_tolerance, max_step)
            eigenvalues = spectrum(potential, x, free)
            negative = int(np.sum(eigenvalues < 0))
            expected = 0 if branch.kind == "minimum" else 1
            jump = float(np.linalg.norm(x - branch.coordinates[-1]))
            if not converged:
                branch.end = "vanished: not converged"
            elif jump > max_jump:
                branch.end = f"vanished: moved {jump:.3g}"
            elif negative != expected:
                branch.end = f"vanished: index {negative}"
            else:
                branch.append(index, grid[index], x, potential.energy(x), eigenvalues[0])
        _end_merged_branches(branches, index, merge_tolerance)
    logger.info(
        "followed %d branches over %d values (direction %+d): %d vanished",
        len(branches), grid.size, direction,
        sum(branch.end != "grid end" for branch in branches),
    )  # fmt: skip
    return branches


def _end_merged_branches(branches, index, merge_tolerance):
    """End the branches that reached another branch's point at grid value ``index``."""
    current = [
        branch
        for branch in branches
        if branch.grid_indices and branch.grid_indices[-1] == index and len(branch.grid_indices) > 1
    ]
    for first_number, first in enumerate(current):
        for second in current[first_number + 1 :]:
            if first.kind != second.kind or first.grid_indices[-1] != index:
                continue
            if second.grid_indices[-1] != index:
                continue
            if np.linalg.norm(first.coordinates[-1] - second.coordinates[-1]) > merge_tolerance:
                continue
            jumps = [
                np.linalg.norm(branch.coordinates[-1] - branch.coordinates[-2])
                for branch in (first, second)
            ]
            moved = first if jumps[0] >= jumps[1] else second
            for column in (
                moved.grid_indices, moved.parameters, moved.coordinates,
                moved.energies, moved.lowest_eigenvalues,
            ):  # fmt: skip
                column.pop()
            moved.end = "vanished: merged into another branch"


def _estimate_fold(branch: Branch, step_after: float) -> float:
    """Extrapolate λ² of the branch's last two points linearly to zero."""
    last = branch.parameters[-1]
    if len(branch.parameters) < 2:
        return last + 0.5 * step_after
    before = branch.parameters[-2]
    square_last = branch.lowest_eigenvalues[-1] ** 2
    square_before = branch.lowest_eigenvalues[-2] ** 2
    if not square_before > square_last:
        return last + 0.5 * step_after
    estimate = last + square_last * (last - before) / (square_before - square_last)
    # The fold lies between the last value and the next one, so the estimate
    # is clipped to that interval when the grid is too coarse for the law.
    low, high = sorted((last, last + step_after))
    return float(np.clip(estimate, low, high))


def detect_folds(
    branches: Sequence[Branch], grid: Sequence[float], distance_tolerance: float
) -> list[Catastrophe]:
    """Return the fold catastrophes and index changes among ``branches``."""
    grid = np.asarray(grid, dtype=np.float64)
    catastrophes = []
    vanished = [
        (number, branch)
        for number, branch in enumerate(branches)
        if branch.end.startswith("vanished")
    ]
    minima = [(n, b) for n, b in vanished if b.kind == "minimum"]
    saddles = [(n, b) for n, b in vanished if b.kind == "saddle"]

    def distance(a, b):
        return float(np.linalg.norm(a.coordinates[-1] - b.coordinates[-1]))

    for number, minimum in minima:
        partners = [
            (distance(minimum, saddle), n, saddle)
            for n, saddle in saddles
            if saddle.grid_indices[-1] == minimum.grid_indices[-1]
            and saddle.direction == minimum.direction
        ]
        if not partners:
            continue
        gap, saddle_number, saddle = min(partners, key=lambda item: item[0])
        nearest_for_saddle = min(
            (distance(other, saddle), n)
            for n, other in minima
            if other.grid_indices[-1] == saddle.grid_indices[-1]
            and other.direction == saddle.direction
        )[1]
        if gap > distance_tolerance or nearest_for_saddle != number:
            continue
        last = minimum.grid_indices[-1]
        after = last + minimum.direction
        parameter_after = float(grid[after])
        estimate = _estimate_fold(minimum, parameter_after - grid[last])
        catastrophes.append(
            Catastrophe(
                "fold",
                float(grid[last]),
                parameter_after,
                float(estimate),
                0.5 * (minimum.energies[-1] + saddle.energies[-1]),
                gap,
                (number, saddle_number),
            )
        )

    in_fold = {number for catastrophe in catastrophes for number in catastrophe.branches}
    for number, branch in enumerate(branches):
        if number in in_fold or not branch.end.startswith("vanished: index"):
            continue
        last = branch.grid_indices[-1]
        after = float(grid[last + branch.direction])
        catastrophes.append(
            Catastrophe(
                "index_change",
                float(grid[last]),
                after,
                0.5 * (grid[last] + after),
                branch.energies[-1],
                0.0,
                (number,),
            )
        )
    return catastrophes

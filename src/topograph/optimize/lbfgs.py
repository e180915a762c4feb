"""Local minimisation with L-BFGS, for one point or many points at once.

:func:`minimize` wraps SciPy's L-BFGS-B for a single starting point.
:func:`minimize_batch` runs one independent limited-memory BFGS minimisation
per row of ``points``. Each row keeps its own curvature history, trial step
and convergence flag, and every iteration evaluates all unfinished rows with a
single call to ``potential.energies_gradients``. A row whose trial step fails
the Armijo condition backtracks on the next call while the other rows take
new steps, so one slow line search does not hold up the rest of the batch.

Box bounds are handled by projection. Coordinates that sit on a bound with the
gradient pointing out of the box form the binding set. The search direction
comes from the two-loop recursion restricted to the free coordinates, and
trial points are clipped back into the box (a projected quasi-Newton method in
the sense of Bertsekas). A row has converged when the Euclidean norm of its
projected gradient, the gradient with the binding components set to zero, is
at most ``gradient_tolerance``. A minimum with a coordinate on a bound is
called bound-constrained, and ``on_bounds`` marks which coordinates those are.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
import scipy.optimize

from topograph.potentials.base import Potential

logger = logging.getLogger(__name__)

# Sufficient-decrease constant of the Armijo condition.
ARMIJO_CONSTANT = 1e-4
# Energy changes below this multiple of machine epsilon times ``1 + |E|`` are
# rounding noise, so a step that raises the energy by less still counts as a
# decrease. Without it, rows with large energies stall just short of a tight
# gradient tolerance.
ENERGY_NOISE = 16.0
# A step that raises the energy by at most this fraction of ``1 + |E|`` is
# also accepted when it lowers the projected gradient norm. Potentials that
# sum many large terms of both signs, such as RBF interpolants, have rounding
# errors far above machine epsilon near their minima.
MAX_ENERGY_RISE = 1e-10
# A coordinate within this fraction of the box width of a bound is on it.
BOUND_TOLERANCE = 1e-10
EPSILON = np.finfo(float).eps
# Backtracking gives up when a trial step is shorter than this, relative to
# ``1 + |x|``, and restarts from steepest descent.
MINIMUM_RELATIVE_STEP = 1e-13


@dataclass
class MinimizeResult:
    """Outcome of one local minimisation.

    Attributes
    ----------
    coordinates : ndarray (d,)
        Final point.
    energy : float
        Energy at ``coordinates``.
    gradient_norm : float
        Euclidean norm of the projected gradient at ``coordinates``.
    converged : bool
        Whether ``gradient_norm <= gradient_tolerance``.
    on_bounds : ndarray (d,) of bool
        Coordinates that lie on a bound of the box.
    iterations : int
        Accepted steps.
    evaluations : int
        Potential evaluations.
    message : str
        Reason the minimiser stopped.
    """

    coordinates: np.ndarray
    energy: float
    gradient_norm: float
    converged: bool
    on_bounds: np.ndarray
    iterations: int
    evaluations: int
    message: str = ""

    @property
    def bound_constrained(self) -> bool:
        """Whether some coordinate of the minimum lies on a bound."""
        return bool(self.on_bounds.any())


@dataclass
class BatchMinimizeResult:
    """Outcome of :func:`minimize_batch`, one row per starting point.

    Attributes
    ----------
    coordinates : ndarray (n, d)
        Final points.
    energies : ndarray (n,)
        Energies at ``coordinates``.
    gradient_norms : ndarray (n,)
        Euclidean norms of the projected gradients.
    converged : ndarray (n,) of bool
        Rows with ``gradient_norms <= gradient_tolerance``.
    on_bounds : ndarray (n, d) of bool
        Coordinates that lie on a bound of the box.
    iterations : ndarray (n,) of int
        Accepted steps per row.
    evaluations : int
        Batched potential calls, the initial one included.
    """

    coordinates: np.ndarray
    energies: np.ndarray
    gradient_norms: np.ndarray
    converged: np.ndarray
    on_bounds: np.ndarray
    iterations: np.ndarray
    evaluations: int

    @property
    def bound_constrained(self) -> np.ndarray:
        """Rows with at least one coordinate on a bound, shape ``(n,)``."""
        return self.on_bounds.any(axis=1)

    def __len__(self) -> int:
        return len(self.energies)


def box_bounds(
    potential: Potential, bounded: bool = True
) -> tuple[np.ndarray | None, np.ndarray | None]:
    """Return the potential's ``(lower, upper)`` bounds, or ``(None, None)``.

    ``bounded=False`` ignores the bounds of a bounded potential.
    """
    if not bounded or getattr(potential, "lower_bounds", None) is None:
        return None, None
    lower = np.asarray(potential.lower_bounds, dtype=np.float64)
    upper = np.asarray(potential.upper_bounds, dtype=np.float64)
    if np.any(lower > upper):
        raise ValueError(
            "invalid box: some lower bound exceeds its upper bound; "
            "check lower_bounds and upper_bounds of the potential"
        )
    return lower, upper


def bound_masks(
    points: np.ndarray, lower: np.ndarray | None, upper: np.ndarray | None
) -> tuple[np.ndarray, np.ndarray]:
    """Return boolean masks of the coordinates on the lower and upper bounds."""
    if lower is None:
        empty = np.zeros(points.shape, dtype=bool)
        return empty, empty
    width = upper - lower
    width = np.where(np.isfinite(width) & (width > 0), width, 1.0)
    tolerance = BOUND_TOLERANCE * width
    return points - lower <= tolerance, upper - points <= tolerance


def projected_gradient(
    points: np.ndarray,
    gradients: np.ndarray,
    lower: np.ndarray | None,
    upper: np.ndarray | None,
) -> np.ndarray:
    """Set to zero the gradient components that would push a point out of the box.

    Works on single points ``(d,)`` and batches ``(n, d)``.
    """
    if lower is None:
        return gradients
    at_lower, at_upper = bound_masks(points, lower, upper)
    binding = (at_lower & (gradients > 0)) | (at_upper & (gradients < 0))
    return np.where(binding, 0.0, gradients)


def _check_tolerance_and_iterations(gradient_tolerance, max_iterations):
    if not gradient_tolerance > 0:
        raise ValueError(
            f"gradient_tolerance must be positive, got {gradient_tolerance!r}"
        )
    if int(max_iterations) < 0:
        raise ValueError(
            f"max_iterations must be zero or positive, got {max_iterations!r}"
        )


def minimize(
    potential: Potential,
    x0: np.ndarray,
    gradient_tolerance: float = 1e-6,
    max_iterations: int = 10_000,
    bounded: bool = True,
    history_size: int = 10,
) -> MinimizeResult:
    """Minimise ``potential`` from ``x0`` with SciPy's L-BFGS-B.

    L-BFGS-B stops once the energy no longer decreases in floating point,
    which for energies of order 100 can happen above a gradient tolerance
    of 1e-6. An unconverged result then continues with
    :func:`minimize_batch`, whose line search tolerates rounding noise, for
    the iterations left.

    Parameters
    ----------
    potential : Potential
        Energy function, evaluated through ``energies_gradients``.
    x0 : array_like (d,)
        Starting point. It is clipped into the box of a bounded potential.
    gradient_tolerance : float
        Convergence threshold on the Euclidean norm of the projected gradient.
    max_iterations : int
        Maximum number of L-BFGS-B iterations.
    bounded : bool
        Use the potential's box bounds when it has them.
    history_size : int
        Number of correction pairs L-BFGS-B keeps.

    Returns
    -------
    MinimizeResult
    """
    _check_tolerance_and_iterations(gradient_tolerance, max_iterations)
    x0 = np.array(x0, dtype=np.float64).reshape(-1)
    if x0.shape[0] != potential.dimension:
        raise ValueError(
            f"x0 has {x0.shape[0]} coordinates but the potential has dimension "
            f"{potential.dimension}"
        )
    lower, upper = box_bounds(potential, bounded)
    bounds = None
    if lower is not None:
        x0 = np.clip(x0, lower, upper)
        bounds = list(zip(lower.tolist(), upper.tolist()))

    evaluations = 0

    def energy_and_gradient(x):
        nonlocal evaluations
        evaluations += 1
        energies, gradients = potential.energies_gradients(x[None, :])
        return float(energies[0]), gradients[0]

    # The max-norm test of L-BFGS-B with gtol / sqrt(d) implies the Euclidean
    # test. With ftol=0 it stops on the gradient, the iteration limit, a
    # failed line search or an energy that no longer changes.
    result = scipy.optimize.minimize(
        energy_and_gradient,
        x0,
        jac=True,
        method="L-BFGS-B",
        bounds=bounds,
        options={
            "maxiter": int(max_iterations),
            "maxfun": 20 * int(max_iterations) + 100,
            "gtol": gradient_tolerance / np.sqrt(x0.size),
            "ftol": 0.0,
            "maxcor": int(history_size),
        },
    )
    x = np.asarray(result.x, dtype=np.float64)
    energy, gradient = energy_and_gradient(x)
    gradient_norm = float(
        np.linalg.norm(projected_gradient(x, gradient, lower, upper))
    )
    iterations = int(result.nit)
    message = str(result.message)
    if gradient_norm > gradient_tolerance and iterations < max_iterations:
        polished = minimize_batch(
            potential,
            x[None, :],
            gradient_tolerance=gradient_tolerance,
            max_iterations=int(max_iterations) - iterations,
            bounded=bounded,
            history_size=history_size,
        )
        if polished.converged[0] or polished.energies[0] <= energy:
            x = polished.coordinates[0]
            energy = float(polished.energies[0])
            gradient_norm = float(polished.gradient_norms[0])
            iterations += int(polished.iterations[0])
            evaluations += polished.evaluations
            message += "; continued with minimize_batch"

    at_lower, at_upper = bound_masks(x, lower, upper)
    return MinimizeResult(
        coordinates=x,
        energy=energy,
        gradient_norm=gradient_norm,
        converged=bool(gradient_norm <= gradient_tolerance),
        on_bounds=at_lower | at_upper,
        iterations=iterations,
        evaluations=evaluations,
        message=message,
    )


class _BatchState:
    """Working arrays of the rows of :func:`minimize_batch` still running.

    Rows are removed (compacted) when they finish, so the per-row arrays
    have one row per unfinished minimisation, and ``rows`` maps them to the
    input rows. The curvature pairs live in history arrays that are
    compacted only when at least half of their rows belong to finished
    minimisations, because copying them is the most expensive step of an
    iteration. ``history_rows`` maps each running row to its history row.

    The pairs of a history row form a ring buffer: ``heads`` is the slot the
    next pair goes to and ``counts`` is the number of filled slots. A stored
    pair that failed the curvature test has ``rhos == 0`` and drops out of
    the recursion. ``gammas`` is the scaling ``s·y / y·y`` of the newest
    usable pair, zero when there is none.
    """

    ROW_NAMES = (
        "rows", "history_rows", "x", "energies", "gradients", "norms",
        "directions", "steps", "iterations",
    )  # fmt: skip
    HISTORY_NAMES = ("s", "y", "rhos", "heads", "counts", "gammas")

    def __init__(self, x, energies, gradients, norms, history_size, rows):
        n, d = x.shape
        self.rows = rows
        self.history_rows = np.arange(n)
        self.x = x
        self.energies = energies
        self.gradients = gradients
        self.norms = norms
        self.directions = np.zeros((n, d))
        self.steps = np.zeros(n)
        self.iterations = np.zeros(n, dtype=np.int64)
        self.s = np.zeros((n, history_size, d))
        self.y = np.zeros((n, history_size, d))
        self.rhos = np.zeros((n, history_size))
        self.heads = np.zeros(n, dtype=np.int64)
        self.counts = np.zeros(n, dtype=np.int64)
        self.gammas = np.zeros(n)
        # Reused buffers for the pairs gathered by the two-loop recursion.
        # Fresh arrays of this size on every iteration cost page faults.
        self.gathered_s = np.empty((history_size, n, d))
        self.gathered_y = np.empty((history_size, n, d))

    @property
    def size(self) -> int:
        return self.rows.size

    @property
    def history_size(self) -> int:
        return self.rhos.shape[1]

    def keep(self, mask):
        """Drop the running rows where ``mask`` is false."""
        for name in self.ROW_NAMES:
            setattr(self, name, getattr(self, name)[mask])
        if 2 * self.size <= self.heads.size:
            for name in self.HISTORY_NAMES:
                setattr(self, name, getattr(self, name)[self.history_rows])
            self.history_rows = np.arange(self.size)

    def forget(self, rows):
        """Clear the curvature pairs of the running ``rows``."""
        history = self.history_rows[rows]
        self.rhos[history] = 0.0
        self.counts[history] = 0
        self.gammas[history] = 0.0

    def slots(self, history, age):
        """Return flat indices into ``s`` and ``y`` of the pairs ``age`` steps old."""
        m = self.history_size
        return history * m + (self.heads[history] - 1 - age) % m

    def push(self, rows, s, y):
        """Store a curvature pair for each of the running ``rows``, over its oldest."""
        sy = np.einsum("ij,ij->i", s, y)
        yy = np.einsum("ij,ij->i", y, y)
        usable = sy > EPSILON * yy
        history = self.history_rows[rows]
        m = self.history_size
        slots = history * m + self.heads[history]
        d = self.s.shape[2]
        self.s.reshape(-1, d)[slots] = s
        self.y.reshape(-1, d)[slots] = y
        self.rhos.reshape(-1)[slots] = np.where(
            usable, 1.0 / np.where(usable, sy, 1.0), 0.0
        )
        self.heads[history] = (self.heads[history] + 1) % m
        self.counts[history] = np.minimum(self.counts[history] + 1, m)
        self.gammas[history] = np.where(
            usable, sy / np.where(usable, yy, 1.0), self.gammas[history]
        )

    def have_pairs(self, rows):
        """Return whether each of the running ``rows`` stores a curvature pair."""
        return self.counts[self.history_rows[rows]] > 0


def _two_loop_directions(state, rows, free):
    """Return ``-H g`` per row from the L-BFGS two-loop recursion.

    ``free`` is ``None`` when no coordinate is bound, else a float mask that
    restricts the recursion to the free coordinates. Returns the directions
    and whether each row used at least one curvature pair.
    """
    k = rows.size
    d = state.s.shape[2]
    flat_s = state.s.reshape(-1, d)
    flat_y = state.y.reshape(-1, d)
    flat_rhos = state.rhos.reshape(-1)
    history = state.history_rows[rows]
    filled = int(state.counts[history].max(initial=0))
    q = state.gradients[rows]
    if free is not None:
        q *= free
    scratch = np.empty_like(q)

    pairs = []
    if free is None:
        gamma = state.gammas[history]
        have_gamma = gamma > 0
    else:
        gamma = np.zeros(k)
        have_gamma = np.zeros(k, dtype=bool)
    for age in range(filled):
        slots = state.slots(history, age)
        s = np.take(flat_s, slots, axis=0, out=state.gathered_s[age, :k])
        y = np.take(flat_y, slots, axis=0, out=state.gathered_y[age, :k])
        rho = flat_rhos[slots]
        if free is not None:
            s *= free
            y *= free
            sy = np.einsum("ij,ij->i", s, y)
            yy = np.einsum("ij,ij->i", y, y)
            valid = (rho > 0) & (sy > EPSILON * yy)
            rho = np.where(valid, 1.0 / np.where(valid, sy, 1.0), 0.0)
            newest = valid & ~have_gamma
            gamma[newest] = sy[newest] / yy[newest]
            have_gamma |= newest
        alpha = rho * np.einsum("ij,ij->i", s, q)
        np.multiply(y, alpha[:, None], out=scratch)
        q -= scratch
        pairs.append((s, y, rho, alpha))

    r = q
    r *= np.where(have_gamma, gamma, 1.0)[:, None]
    for s, y, rho, alpha in reversed(pairs):
        beta = rho * np.einsum("ij,ij->i", y, r)
        np.multiply(s, (alpha - beta)[:, None], out=scratch)
        r += scratch
    r *= -1.0
    return r, have_gamma


def _new_directions(state, rows, lower, upper, max_step):
    """Set the search direction and the first trial step of ``rows``."""
    if rows.size == 0:
        return
    gradients = state.gradients[rows]
    free = None
    at_lower = at_upper = None
    if lower is not None:
        at_lower, at_upper = bound_masks(state.x[rows], lower, upper)
        binding = (at_lower & (gradients > 0)) | (at_upper & (gradients < 0))
        if binding.any():
            free = (~binding).astype(np.float64)

    directions, have_curvature = _two_loop_directions(state, rows, free)
    if at_lower is not None:
        # A component that leaves the box at once would be clipped for every
        # step length, so it is dropped before the descent test.
        leaving = (at_lower & (directions < 0)) | (at_upper & (directions > 0))
        directions[leaving] = 0.0

    projected = gradients if free is None else gradients * free
    slopes = np.einsum("ij,ij->i", projected, directions)
    uphill = ~(slopes < 0)
    if uphill.any():
        # The quasi-Newton direction is not a descent direction: forget the
        # curvature pairs of those rows and restart from steepest descent.
        state.forget(rows[uphill])
        directions[uphill] = -projected[uphill]
        have_curvature[uphill] = False

    norms = np.sqrt(np.einsum("ij,ij->i", directions, directions))
    steps = np.ones(rows.size)
    first = ~have_curvature & (norms > 0)
    steps[first] = 1.0 / norms[first]
    if max_step is not None:
        steps = np.minimum(steps, max_step / np.maximum(norms, 1e-300))
    state.directions[rows] = directions
    state.steps[rows] = steps


def _backtrack(state, rejected, trial_energies, slopes, finite):
    """Shorten the trial step of the ``rejected`` rows.

    The new step minimises the quadratic through the current energy, the
    directional derivative and the trial energy, kept within [0.1, 0.5] of the
    old step. A row whose step has become negligible gets ``steps == 0`` and
    its curvature pairs are cleared, so it restarts from steepest descent. A
    row that was already on steepest descent finishes. Returns a mask over
    all running rows of those that finish.
    """
    finished = np.zeros(state.size, dtype=bool)
    slopes = slopes[rejected]
    finite = finite[rejected]
    rise = trial_energies[rejected] - state.energies[rejected] - slopes
    usable = finite & (slopes < 0) & (rise > 0)
    ratio = np.full(rejected.size, 0.5)
    ratio[usable] = -slopes[usable] / (2.0 * rise[usable])
    ratio[~finite] = 0.1
    steps = state.steps[rejected] * np.clip(ratio, 0.1, 0.5)

    lengths = steps * np.linalg.norm(state.directions[rejected], axis=1)
    scale = 1.0 + np.linalg.norm(state.x[rejected], axis=1)
    exhausted = lengths < MINIMUM_RELATIVE_STEP * scale
    state.steps[rejected] = np.where(exhausted, 0.0, steps)
    if exhausted.any():
        stuck = rejected[exhausted]
        finished[stuck[~state.have_pairs(stuck)]] = True
        state.forget(stuck)
    return finished


def minimize_batch(
    potential: Potential,
    points: np.ndarray,
    gradient_tolerance: float = 1e-6,
    max_iterations: int = 10_000,
    bounded: bool = True,
    history_size: int = 10,
    max_step: float | None = None,
) -> BatchMinimizeResult:
    """Minimise ``potential`` from every row of ``points`` independently.

    Parameters
    ----------
    potential : Potential
        Energy function. Each iteration makes one call to
        ``energies_gradients`` with all unfinished rows.
    points : array_like (n, d)
        Starting points. They are clipped into the box of a bounded potential.
    gradient_tolerance : float
        Convergence threshold on the Euclidean norm of each row's projected
        gradient.
    max_iterations : int
        Maximum number of accepted steps per row. Rows that reach it stop
        unconverged.
    bounded : bool
        Use the potential's box bounds when it has them.
    history_size : int
        Number of curvature pairs each row keeps.
    max_step : float or None
        Maximum Euclidean length of a trial step. ``None`` sets no limit
        beyond a first step of length at most one.

    Returns
    -------
    BatchMinimizeResult
        Rows in the order of ``points``. A row that stops unconverged keeps
        the lowest point it reached.
    """
    _check_tolerance_and_iterations(gradient_tolerance, max_iterations)
    if int(history_size) < 1:
        raise ValueError(f"history_size must be at least 1, got {history_size!r}")
    if max_step is not None and not max_step > 0:
        raise ValueError(f"max_step must be positive or None, got {max_step!r}")
    points = np.array(points, dtype=np.float64, ndmin=2)
    if points.ndim != 2 or points.shape[1] != potential.dimension:
        raise ValueError(
            f"points must have shape (n, {potential.dimension}), got {points.shape}"
        )
    lower, upper = box_bounds(potential, bounded)
    if lower is not None:
        points = np.clip(points, lower, upper)
    n = points.shape[0]

    energies, gradients = potential.energies_gradients(points)
    energies = np.array(energies, dtype=np.float64)
    gradients = np.array(gradients, dtype=np.float64)
    out = {
        "x": points.copy(),
        "energies": energies.copy(),
        "gradients": gradients.copy(),
        "iterations": np.zeros(n, dtype=np.int64),
    }
    norms = np.linalg.norm(projected_gradient(points, gradients, lower, upper), axis=1)
    bad_start = ~np.isfinite(energies) | ~np.isfinite(gradients).all(axis=1)
    if bad_start.any():
        logger.warning(
            "%d of %d starting points have a non-finite energy or gradient "
            "and are returned unminimised",
            int(bad_start.sum()),
            n,
        )

    running = ~(norms <= gradient_tolerance) & ~bad_start & (max_iterations > 0)
    rows = np.flatnonzero(running)
    state = _BatchState(
        points[rows],
        energies[rows],
        gradients[rows],
        norms[rows],
        int(history_size),
        rows,
    )
    _new_directions(state, np.arange(state.size), lower, upper, max_step)
    evaluations = 1
    while state.size:
        evaluations += 1
        finished = _iterate(
            potential, state, lower, upper, gradient_tolerance, max_iterations, max_step
        )
        if finished.any():
            done = state.rows[finished]
            out["x"][done] = state.x[finished]
            out["energies"][done] = state.energies[finished]
            out["gradients"][done] = state.gradients[finished]
            out["iterations"][done] = state.iterations[finished]
            state.keep(~finished)

    norms = np.linalg.norm(
        projected_gradient(out["x"], out["gradients"], lower, upper), axis=1
    )
    at_lower, at_upper = bound_masks(out["x"], lower, upper)
    return BatchMinimizeResult(
        coordinates=out["x"],
        energies=out["energies"],
        gradient_norms=norms,
        converged=norms <= gradient_tolerance,
        on_bounds=at_lower | at_upper,
        iterations=out["iterations"],
        evaluations=evaluations,
    )


def _iterate(
    potential, state, lower, upper, gradient_tolerance, max_iterations, max_step
):
    """Evaluate one trial point per running row and update the rows.

    Returns a mask of the rows that have finished.
    """
    trial = state.x + state.steps[:, None] * state.directions
    if lower is not None:
        np.clip(trial, lower, upper, out=trial)
    # Long trial steps can overflow the potential. Such rows get a non-finite
    # energy and backtrack, so NumPy's overflow warning carries no news.
    with np.errstate(over="ignore", invalid="ignore"):
        trial_energies, trial_gradients = potential.energies_gradients(trial)
    displacements = trial - state.x
    slopes = np.einsum("ij,ij->i", state.gradients, displacements)
    finite = np.isfinite(trial_energies) & np.isfinite(trial_gradients).all(axis=1)
    scale = 1.0 + np.abs(state.energies)
    sufficient = trial_energies <= (
        state.energies + ARMIJO_CONSTANT * slopes + ENERGY_NOISE * EPSILON * scale
    )
    projected = projected_gradient(trial, trial_gradients, lower, upper)
    trial_norms = np.sqrt(np.einsum("ij,ij->i", projected, projected))
    tolerated = (trial_energies <= state.energies + MAX_ENERGY_RISE * scale) & (
        trial_norms < state.norms
    )
    # A step too short to change x has a zero slope and counts as failed.
    accepted = finite & (slopes < 0) & (sufficient | tolerated)

    finished = np.zeros(state.size, dtype=bool)
    moved = np.flatnonzero(accepted)
    if moved.size:
        state.push(
            moved, displacements[moved], trial_gradients[moved] - state.gradients[moved]
        )
        state.x[moved] = trial[moved]
        state.energies[moved] = trial_energies[moved]
        state.gradients[moved] = trial_gradients[moved]
        state.iterations[moved] += 1
        state.norms[moved] = trial_norms[moved]
        done = (trial_norms[moved] <= gradient_tolerance) | (
            state.iterations[moved] >= max_iterations
        )
        finished[moved[done]] = True
        _new_directions(state, moved[~done], lower, upper, max_step)

    if moved.size < state.size:
        rejected = np.flatnonzero(~accepted)
        finished |= _backtrack(state, rejected, trial_energies, slopes, finite)
        restart = rejected[(state.steps[rejected] == 0) & ~finished[rejected]]
        _new_directions(state, restart, lower, upper, max_step)
    return finished

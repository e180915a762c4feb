"""Hybrid eigenvector-following (Munro and Wales, Phys. Rev. B 59, 3969, 1999).

A first-order saddle is a maximum along one direction, the eigenvector of the
lowest Hessian eigenvalue, and a minimum in every other direction. Each
iteration of the hybrid method

1. finds the lowest eigenpair ``(λ, v)`` of the Hessian from Hessian-vector
   products alone, with ARPACK's Lanczos iteration
   (``scipy.sparse.linalg.eigsh``) started from the previous eigenvector;
2. steps uphill along ``v`` with the eigenvector-following step
   ``h = 2 g_v / (|λ| (1 + sqrt(1 + 4 g_v² / λ²)))``, ``g_v = g·v``,
   which is the Newton step ``-g_v / λ`` near a saddle and has length at
   most one far from it, capped at ``max_uphill_step``;
3. minimises the energy in the hyperplane orthogonal to ``v`` with a few
   L-BFGS steps.

It stops when the gradient norm is below the tolerance with ``λ < 0``.

In a box, coordinates on a bound whose gradient points out of the box are
held fixed, and the search runs in the space of the other coordinates: the
eigenpair is that of the Hessian restricted to the free coordinates.
Coordinates on a bound that the uphill step would push out of the box are
left out of the eigenpair as well, but the hyperplane minimisation may still
move them into the box.

NOTE: zero modes, such as the translations and rotations of a cluster, are
not projected out. Where every other eigenvalue is positive the lowest
eigenvector can be a zero mode, and uphill steps along it make no progress.
Start from a guess near the saddle, such as a climbing image.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
import scipy.linalg
import scipy.sparse.linalg

from topograph.optimize.lbfgs import ARMIJO_CONSTANT, EPSILON, bound_masks, box_bounds
from topograph.potentials.base import Potential

logger = logging.getLogger(__name__)

# Up to this many free coordinates the eigenpair comes from the dense
# Hessian, which costs less than an iterative solver there.
DENSE_DIMENSION = 16
# Above this many free coordinates a Lanczos failure is not retried with the
# dense Hessian (4000 coordinates take about 128 MB and seconds to diagonalise).
DENSE_FALLBACK_DIMENSION = 4000


@dataclass
class EigenvectorFollowingResult:
    """Outcome of :func:`hybrid_eigenvector_following`.

    Attributes
    ----------
    coordinates : ndarray (d,)
    energy : float
    gradient_norm : float
        Euclidean norm of the gradient over the free coordinates.
    eigenvalue : float
        Lowest eigenvalue of the (restricted) Hessian at ``coordinates``.
    eigenvector : ndarray (d,)
        Its unit eigenvector, zero on fixed coordinates.
    converged : bool
        Whether ``gradient_norm`` fell below the tolerance with a negative
        ``eigenvalue``.
    iterations : int
    on_bounds : ndarray (d,) of bool
        Coordinates that lie on a bound of the box.
    """

    coordinates: np.ndarray
    energy: float
    gradient_norm: float
    eigenvalue: float
    eigenvector: np.ndarray
    converged: bool
    iterations: int
    on_bounds: np.ndarray


def lowest_eigenpairs(
    potential: Potential,
    x: np.ndarray,
    count: int = 1,
    guess: np.ndarray | None = None,
    free: np.ndarray | None = None,
    tolerance: float = 1e-8,
    dense_dimension: int = DENSE_DIMENSION,
) -> tuple[np.ndarray, np.ndarray]:
    """Return the ``count`` lowest Hessian eigenvalues and unit eigenvectors at ``x``.

    Parameters
    ----------
    potential : Potential
    x : array_like (d,)
    count : int
        Number of eigenpairs, lowest first.
    guess : array_like (d,), optional
        Starting vector of the Lanczos iteration, normally the eigenvector
        from the previous point.
    free : array_like (d,) of bool, optional
        Coordinates that may move. The Hessian is restricted to them and the
        eigenvectors are zero elsewhere.
    tolerance : float
        Relative accuracy requested from ARPACK.
    dense_dimension : int
        Up to this many free coordinates the dense Hessian from
        ``potential.hessian`` is diagonalised instead.

    Returns
    -------
    eigenvalues : ndarray (count,)
    eigenvectors : ndarray (d, count)
    """
    x = np.asarray(x, dtype=np.float64)
    d = x.shape[0]
    free_index = np.arange(d) if free is None else np.flatnonzero(free)
    k = free_index.size
    if not 1 <= count <= k:
        raise ValueError(
            f"count must lie between 1 and the number of free coordinates {k}, "
            f"got {count!r}"
        )
    eigenvectors = np.zeros((d, count))
    if k <= max(dense_dimension, count + 1):
        return _dense_lowest_eigenpairs(potential, x, count, free_index, eigenvectors)

    def product(vector):
        full = np.zeros(d)
        full[free_index] = np.ravel(vector)
        return np.asarray(potential.hessian_vector_product(x, full))[free_index]

    operator = scipy.sparse.linalg.LinearOperator(
        (k, k), matvec=product, dtype=np.float64
    )
    start = None
    if guess is not None:
        start = np.asarray(guess, dtype=np.float64)[free_index]
        if not np.linalg.norm(start) > 0:
            start = None
    try:
        values, vectors = scipy.sparse.linalg.eigsh(
            operator,
            k=count,
            which="SA",
            v0=start,
            tol=tolerance,
            maxiter=max(1000, 20 * k),
        )
    except scipy.sparse.linalg.ArpackNoConvergence:
        # Lanczos stalls where the lowest eigenvalues are nearly degenerate,
        # as for the zero modes of a cluster; the dense Hessian always works.
        if k > DENSE_FALLBACK_DIMENSION:
            raise
        logger.debug("Lanczos did not converge at %d free coordinates; using the dense Hessian", k)
        return _dense_lowest_eigenpairs(potential, x, count, free_index, eigenvectors)
    order = np.argsort(values)
    eigenvectors[free_index] = vectors[:, order]
    return values[order], eigenvectors


def _dense_lowest_eigenpairs(potential, x, count, free_index, eigenvectors):
    hessian = np.asarray(potential.hessian(x), dtype=np.float64)
    reduced = hessian[np.ix_(free_index, free_index)]
    values, vectors = scipy.linalg.eigh(
        0.5 * (reduced + reduced.T), subset_by_index=(0, count - 1)
    )
    eigenvectors[free_index] = vectors
    return values, eigenvectors


def _free_coordinates(x, gradient, lower, upper):
    if lower is None:
        return None
    at_lower, at_upper = bound_masks(x, lower, upper)
    binding = (at_lower & (gradient > 0)) | (at_upper & (gradient < 0))
    return None if not binding.any() else ~binding


def _uphill_step(gradient_along, eigenvalue, max_step):
    """Return the signed eigenvector-following step along the eigenvector."""
    magnitude = abs(eigenvalue)
    if magnitude < 1e-12:
        step = max_step * np.sign(gradient_along or 1.0)
    else:
        step = 2.0 * gradient_along / (
            magnitude * (1.0 + np.sqrt(1.0 + 4.0 * (gradient_along / magnitude) ** 2))
        )
    if eigenvalue > 0 and abs(step) < 0.1 * max_step:
        # Near a minimum along v the Newton step is tiny; push off instead.
        step = max_step * np.sign(gradient_along or 1.0)
    return float(np.clip(step, -max_step, max_step))


def _uphill_mode(
    potential, x, gradient, guess, free, lower, upper, max_step, dense_dimension
):
    """Return the lowest eigenvalue, its eigenvector and the uphill step length.

    In a box, a coordinate on a bound that the uphill step would push out of
    the box is held fixed and the eigenpair is recomputed without it, so the
    step is never clipped away.
    """
    d = x.shape[0]
    for _ in range(d):
        values, vectors = lowest_eigenpairs(
            potential, x, 1, guess=guess, free=free, dense_dimension=dense_dimension
        )
        eigenvalue, vector = float(values[0]), vectors[:, 0]
        free_gradient = gradient if free is None else np.where(free, gradient, 0.0)
        step = _uphill_step(float(np.dot(free_gradient, vector)), eigenvalue, max_step)
        if lower is None:
            break
        at_lower, at_upper = bound_masks(x, lower, upper)
        move = step * vector
        blocked = ((at_lower & (move < 0)) | (at_upper & (move > 0))) & (
            np.abs(move) > 1e-3 * np.abs(move).max()
        )
        remaining = np.ones(d, dtype=bool) if free is None else free
        if not blocked.any() or remaining.sum() - blocked.sum() < 1:
            break
        free = remaining & ~blocked
        guess = np.where(free, vector, 0.0)
    return eigenvalue, vector, step


def _minimize_in_hyperplane(
    potential, x, energy, gradient, normal, free, lower, upper, steps, max_step,
    tolerance,
):  # fmt: skip
    """Take up to ``steps`` L-BFGS steps orthogonal to the unit vector ``normal``.

    Returns the new point, energy and gradient.
    """

    def project(vector):
        vector = vector - np.dot(vector, normal) * normal
        if free is not None:
            vector = np.where(free, vector, 0.0)
        return vector

    history = []
    history_size = 10
    for _ in range(int(steps)):
        projected = project(gradient)
        if np.linalg.norm(projected) <= tolerance:
            break
        direction = -projected
        alphas = []
        for s, y, rho in reversed(history):
            alpha = rho * np.dot(s, direction)
            direction = direction - alpha * y
            alphas.append(alpha)
        if history:
            s, y, _ = history[-1]
            direction = direction * (np.dot(s, y) / np.dot(y, y))
        for (s, y, rho), alpha in zip(history, reversed(alphas)):
            beta = rho * np.dot(y, direction)
            direction = direction + (alpha - beta) * s
        direction = project(direction)
        slope = float(np.dot(projected, direction))
        if not slope < 0:
            history.clear()
            direction = -projected
            slope = -float(np.dot(projected, projected))
        length = np.linalg.norm(direction)
        step = min(1.0, max_step / length)

        for _ in range(30):
            trial = x + step * direction
            if lower is not None:
                trial = np.clip(trial, lower, upper)
            trial_energies, trial_gradients = potential.energies_gradients(
                trial[None, :]
            )
            trial_energy = float(trial_energies[0])
            allowed = (
                energy
                + ARMIJO_CONSTANT * step * slope
                + 64 * EPSILON * (1.0 + abs(energy))
            )
            if np.isfinite(trial_energy) and trial_energy <= allowed:
                break
            step *= 0.5
        else:
            break
        s = project(trial - x)
        y = project(trial_gradients[0] - gradient)
        x, energy, gradient = trial, trial_energy, trial_gradients[0]
        sy = float(np.dot(s, y))
        if sy > EPSILON * float(np.dot(y, y)):
            history.append((s, y, 1.0 / sy))
            if len(history) > history_size:
                history.pop(0)
    return x, energy, gradient


def hybrid_eigenvector_following(
    potential: Potential,
    x0: np.ndarray,
    eigenvector_guess: np.ndarray | None = None,
    gradient_tolerance: float = 1e-6,
    max_iterations: int = 200,
    tangent_steps: int = 10,
    max_uphill_step: float = 0.1,
    max_tangent_step: float = 0.1,
    bounded: bool = True,
    dense_dimension: int = DENSE_DIMENSION,
) -> EigenvectorFollowingResult:
    """Refine a transition-state guess by hybrid eigenvector-following.

    Parameters
    ----------
    potential : Potential
        Energy landscape with ``hessian_vector_product``.
    x0 : array_like (d,)
        Starting point, such as the climbing image of an elastic band.
    eigenvector_guess : array_like (d,), optional
        Start of the first eigenvector search, such as the band tangent.
    gradient_tolerance : float
        Convergence threshold on the Euclidean norm of the gradient.
    max_iterations : int
        Maximum number of uphill steps.
    tangent_steps : int
        L-BFGS steps in the hyperplane after each uphill step. Near
        convergence the hyperplane search also stops at a quarter of the
        gradient tolerance.
    max_uphill_step, max_tangent_step : float
        Maximum lengths of the uphill step and of one hyperplane step.
    bounded : bool
        Respect the box of a bounded potential.
    dense_dimension : int
        See :func:`lowest_eigenpairs`.

    Returns
    -------
    EigenvectorFollowingResult
    """
    x = np.array(x0, dtype=np.float64).reshape(-1)
    if x.shape[0] != potential.dimension:
        raise ValueError(
            f"x0 has {x.shape[0]} coordinates but the potential has dimension "
            f"{potential.dimension}"
        )
    if int(max_iterations) < 1:
        raise ValueError(f"max_iterations must be at least 1, got {max_iterations!r}")
    lower, upper = box_bounds(potential, bounded)
    if lower is not None:
        x = np.clip(x, lower, upper)
    energies, gradients = potential.energies_gradients(x[None, :])
    energy, gradient = float(energies[0]), gradients[0]
    vector = None if eigenvector_guess is None else np.asarray(eigenvector_guess, float)

    converged = False
    iteration = 0
    for iteration in range(1, int(max_iterations) + 1):
        free = _free_coordinates(x, gradient, lower, upper)
        eigenvalue, vector, step = _uphill_mode(
            potential, x, gradient, vector, free, lower, upper, max_uphill_step,
            dense_dimension,
        )  # fmt: skip
        free_gradient = gradient if free is None else np.where(free, gradient, 0.0)
        gradient_norm = float(np.linalg.norm(free_gradient))
        if gradient_norm <= gradient_tolerance and eigenvalue < 0:
            converged = True
            break
        if not np.isfinite(energy) or iteration == max_iterations:
            if not np.isfinite(energy):
                logger.warning("eigenvector-following reached a non-finite energy")
            break

        x = x + step * vector
        if lower is not None:
            x = np.clip(x, lower, upper)
        energies, gradients = potential.energies_gradients(x[None, :])
        energy, gradient = float(energies[0]), gradients[0]
        x, energy, gradient = _minimize_in_hyperplane(
            potential,
            x,
            energy,
            gradient,
            vector,
            free,
            lower,
            upper,
            tangent_steps,
            max_tangent_step,
            0.25 * gradient_tolerance,
        )

    at_lower, at_upper = bound_masks(x, lower, upper)
    return EigenvectorFollowingResult(
        coordinates=x,
        energy=energy,
        gradient_norm=gradient_norm,
        eigenvalue=eigenvalue,
        eigenvector=vector,
        converged=bool(converged),
        iterations=iteration,
        on_bounds=at_lower | at_upper,
    )

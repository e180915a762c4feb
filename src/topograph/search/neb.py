"""Doubly-nudged elastic band with a climbing image.

A band of images joins two fixed end points, here two minima. The force on
interior image i combines

- the true force perpendicular to the path, ``-(g - (g·τ)τ)``, with ``τ``
  the improved tangent of Henkelman and Jónsson (J. Chem. Phys. 113, 9978,
  2000), which points to the higher neighbour and is energy-weighted at
  extrema;
- the spring force along the path, ``k (|R_{i+1} - R_i| - |R_i - R_{i-1}|) τ``,
  which keeps the images evenly spaced;
- for the doubly-nudged band (Trygubenko and Wales, J. Chem. Phys. 120,
  2082, 2004), the part of the perpendicular spring force
  ``F⊥ = k (R_{i+1} - 2 R_i + R_{i-1})⊥`` that is orthogonal to the
  perpendicular gradient, ``F⊥ - (F⊥·ĝ⊥) ĝ⊥``. It straightens kinks without
  pulling the band off the minimum-energy path.

Once the band is close to converged, the highest interior image becomes a
climbing image (Henkelman, Uberuaga and Jónsson, J. Chem. Phys. 113, 9901,
2000): it feels no spring and the component of the true force along the
tangent is inverted, so it moves uphill along the path and downhill across
it, towards the saddle.

The whole band is optimised with FIRE (Bitzek et al., Phys. Rev. Lett. 97,
170201, 2006), which needs forces only, so the non-conservative band force
is no problem. The energies and gradients of all interior images come from
one batched call per iteration.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np

from topograph.optimize.lbfgs import bound_masks, box_bounds
from topograph.potentials.base import Potential

logger = logging.getLogger(__name__)

# FIRE parameters of Bitzek et al. (2006).
FIRE_DELAY_STEPS = 5
FIRE_TIME_STEP_INCREASE = 1.1
FIRE_TIME_STEP_DECREASE = 0.5
FIRE_MIXING_START = 0.1
FIRE_MIXING_DECREASE = 0.99


@dataclass
class NebResult:
    """A relaxed elastic band.

    Attributes
    ----------
    images : ndarray (n_images + 2, d)
        The band, end points included.
    energies : ndarray (n_images + 2,)
    tangents : ndarray (n_images + 2, d)
        Unit tangents; the rows of the end points are zero.
    climbing_image : int or None
        Row of ``images`` that climbed, ``None`` if no image climbed.
    max_force : float
        Largest Euclidean norm of the band force on an interior image, with
        the components that push an image on a bound out of the box left out.
    converged : bool
        Whether ``max_force`` fell to the force tolerance after the decision
        on climbing was taken (when climbing was requested).
    iterations : int
    """

    images: np.ndarray
    energies: np.ndarray
    tangents: np.ndarray
    climbing_image: int | None
    max_force: float
    converged: bool
    iterations: int

    @property
    def highest_image(self) -> int:
        """Row of the interior image with the highest energy."""
        return 1 + int(np.argmax(self.energies[1:-1]))


def interpolate_band(start: np.ndarray, end: np.ndarray, n_images: int) -> np.ndarray:
    """Return ``n_images + 2`` evenly spaced points from ``start`` to ``end``."""
    fractions = np.linspace(0.0, 1.0, n_images + 2)[:, None]
    return (1.0 - fractions) * start[None, :] + fractions * end[None, :]


def band_tangents(images: np.ndarray, energies: np.ndarray) -> np.ndarray:
    """Return the improved unit tangents of the interior images.

    ``images`` has shape ``(..., n_images + 2, d)`` and ``energies``
    ``(..., n_images + 2)``, end points included; leading axes index bands.
    The result has shape ``(..., n_images, d)``.
    """
    forward = images[..., 2:, :] - images[..., 1:-1, :]
    backward = images[..., 1:-1, :] - images[..., :-2, :]
    higher = energies[..., 2:] - energies[..., 1:-1]
    lower = energies[..., :-2] - energies[..., 1:-1]

    uphill_forward = (higher > 0) & (lower < 0)
    uphill_backward = (higher < 0) & (lower > 0)
    largest = np.maximum(np.abs(higher), np.abs(lower))
    smallest = np.minimum(np.abs(higher), np.abs(lower))
    next_is_higher = energies[..., 2:] > energies[..., :-2]
    weight_forward = np.where(next_is_higher, largest, smallest)
    weight_backward = np.where(next_is_higher, smallest, largest)
    tangents = weight_forward[..., None] * forward + weight_backward[..., None] * backward
    tangents[uphill_forward] = forward[uphill_forward]
    tangents[uphill_backward] = backward[uphill_backward]

    norms = np.linalg.norm(tangents, axis=-1)
    flat = norms <= 0
    if flat.any():
        # Equal energies everywhere around: use the chord through both neighbours.
        chords = images[..., 2:, :] - images[..., :-2, :]
        tangents[flat] = chords[flat]
        norms[flat] = np.linalg.norm(chords[flat], axis=-1)
    return tangents / np.maximum(norms, np.finfo(float).tiny)[..., None]


def band_forces(
    images: np.ndarray,
    energies: np.ndarray,
    gradients: np.ndarray,
    spring_constant: float | np.ndarray,
    climbing_image: int | np.ndarray | None = None,
    doubly_nudged: bool = True,
) -> tuple[np.ndarray, np.ndarray]:
    """Return the band forces and unit tangents of the interior images.

    ``images`` ``(..., n_images + 2, d)`` and ``energies`` include the end
    points and ``gradients`` ``(..., n_images, d)`` is for the interior
    images only; leading axes index bands. ``spring_constant`` is a scalar or
    one value per band. ``climbing_image`` is a row of ``images``, or for
    several bands an integer array with -1 where no image climbs. Both
    results have the shape of ``gradients``.
    """
    tangents = band_tangents(images, energies)
    along = np.einsum("...j,...j->...", gradients, tangents)
    perpendicular_gradient = gradients - along[..., None] * tangents
    spring_constant = np.asarray(spring_constant, dtype=np.float64)[..., None, None]

    forward = images[..., 2:, :] - images[..., 1:-1, :]
    backward = images[..., 1:-1, :] - images[..., :-2, :]
    spacing = np.linalg.norm(forward, axis=-1) - np.linalg.norm(backward, axis=-1)
    forces = -perpendicular_gradient + spring_constant * spacing[..., None] * tangents

    if doubly_nudged:
        spring = spring_constant * (forward - backward)
        spring -= np.einsum("...j,...j->...", spring, tangents)[..., None] * tangents
        norms = np.linalg.norm(perpendicular_gradient, axis=-1)
        unit = perpendicular_gradient / np.maximum(norms, np.finfo(float).tiny)[..., None]
        spring -= np.einsum("...j,...j->...", spring, unit)[..., None] * unit
        forces += spring

    if climbing_image is not None:
        climbing = np.asarray(climbing_image).reshape(forces.shape[:-2] + (1,))
        rows = np.arange(forces.shape[-2])
        climbs = (rows == climbing - 1)[..., None]
        inverted = -gradients + 2.0 * along[..., None] * tangents
        forces = np.where(climbs, inverted, forces)
    return forces, tangents


def _inward_forces(images, forces, lower, upper):
    """Set to zero the force components that push images on a bound out of the box."""
    if lower is None:
        return forces
    at_lower, at_upper = bound_masks(images, lower, upper)
    return np.where((at_lower & (forces < 0)) | (at_upper & (forces > 0)), 0.0, forces)


def _force_scale(energies, gradients, length):
    """Return a force typical of the band, from the end-point energies.

    Gradients on the initial band are no guide: a straight line between two
    clusters can pass atoms through each other, with gradients many orders of
    magnitude above those near the path.
    """
    ends = energies[[0, -1]]
    energy_scale = max(np.abs(ends).max(), abs(ends[1] - ends[0]))
    if energy_scale > 0:
        return energy_scale / length
    return max(float(np.linalg.norm(gradients, axis=1).max()), np.finfo(float).tiny)


def nudged_elastic_band(
    potential: Potential,
    start: np.ndarray,
    end: np.ndarray,
    images: np.ndarray | None = None,
    **options,
) -> NebResult:
    """Relax a doubly-nudged elastic band between ``start`` and ``end``.

    ``start`` and ``end`` have shape ``(d,)`` and ``images``, an optional
    initial band, ``(n_images + 2, d)``. ``options`` are the keyword
    arguments of :func:`nudged_elastic_bands`.
    """
    start = np.asarray(start, dtype=np.float64).reshape(1, -1)
    end = np.asarray(end, dtype=np.float64).reshape(1, -1)
    if images is not None:
        images = np.asarray(images, dtype=np.float64)[None]
    return nudged_elastic_bands(potential, start, end, images=images, **options)[0]


def nudged_elastic_bands(
    potential: Potential,
    starts: np.ndarray,
    ends: np.ndarray,
    n_images: int = 10,
    spring_constant: float | None = None,
    climbing: bool = True,
    doubly_nudged: bool = True,
    force_tolerance: float | None = None,
    max_iterations: int = 1000,
    max_move: float | None = None,
    bounded: bool = True,
    images: np.ndarray | None = None,
    climbing_only: bool = False,
) -> list[NebResult]:
    """Relax one doubly-nudged elastic band per row of ``starts``, all together.

    Parameters
    ----------
    potential : Potential
        Energy landscape.
    starts, ends : array_like (n_bands, d)
        Fixed end points, normally pairs of minima.
    n_images : int
        Number of movable images between the end points.
    spring_constant : float or None
        Spring constant in energy per squared length. ``None`` uses the force
        scale ``F = max(|E_start|, |E_end|, |E_end - E_start|) / L``, with
        ``L`` the length of the initial band, divided by ``L``.
    climbing : bool
        Turn the highest image into a climbing image once the band force is
        below ten times the tolerance or a quarter of ``max_iterations`` has
        passed, provided it is higher than both its neighbours.
    doubly_nudged : bool
        Add the perpendicular spring component of the doubly-nudged band.
    force_tolerance : float or None
        Convergence threshold on the largest band-force norm of an image.
        ``None`` uses ``1e-3 F``.
    max_iterations : int
        Maximum number of FIRE steps.
    max_move : float or None
        Maximum displacement of one image per step. ``None`` uses a fifth of
        the initial spacing of the images.
    bounded : bool
        Keep the images inside the box of a bounded potential.
    images : array_like (n_bands, n_images + 2, d), optional
        Initial bands, end points included, in place of straight lines.
    climbing_only : bool
        Also stop a band with a climbing image once the force on that image
        alone is below the tolerance, which is enough when only the
        climbing image is used.

    Returns
    -------
    list of NebResult
        One per band. Every band follows exactly the steps it would take
        alone, with its own spring constant, tolerance, FIRE time step and
        climbing image. The bands share only the potential calls: one per
        iteration for the interior images of every band still moving.
    """
    starts = np.array(starts, dtype=np.float64, ndmin=2)
    ends = np.array(ends, dtype=np.float64, ndmin=2)
    d = potential.dimension
    for name, points in (("start", starts), ("end", ends)):
        if points.ndim != 2 or points.shape[1] != d:
            raise ValueError(
                f"{name} has {points.shape[-1]} coordinates but the potential has "
                f"dimension {d}"
            )
    if starts.shape != ends.shape:
        raise ValueError(f"starts {starts.shape} and ends {ends.shape} must have the same shape")
    if int(n_images) < 1:
        raise ValueError(f"n_images must be at least 1, got {n_images!r}")
    n_images = int(n_images)
    n_bands = starts.shape[0]
    if n_bands == 0:
        return []
    if images is None:
        bands = np.stack([interpolate_band(a, b, n_images) for a, b in zip(starts, ends)])
    else:
        bands = np.array(images, dtype=np.float64)
        if bands.shape != (n_bands, n_images + 2, d):
            raise ValueError(
                f"images must have shape ({n_images + 2}, {d}) per band, got {bands.shape}"
            )
        bands[:, 0] = starts
        bands[:, -1] = ends
    lengths = np.linalg.norm(np.diff(bands, axis=1), axis=2).sum(axis=1)
    if np.any(lengths <= 0):
        raise ValueError("start and end coincide; an elastic band needs two points")
    lower, upper = box_bounds(potential, bounded)
    if lower is not None:
        bands = np.clip(bands, lower, upper)

    energies = np.empty(bands.shape[:2])
    end_energies, _ = potential.energies_gradients(bands[:, [0, -1]].reshape(-1, d))
    energies[:, [0, -1]] = end_energies.reshape(n_bands, 2)
    interior_energies, gradients = potential.energies_gradients(
        bands[:, 1:-1].reshape(-1, d)
    )
    energies[:, 1:-1] = interior_energies.reshape(n_bands, n_images)
    gradients = gradients.reshape(n_bands, n_images, d)

    scales = np.array(
        [_force_scale(energies[b], gradients[b], lengths[b]) for b in range(n_bands)]
    )
    springs = scales / lengths if spring_constant is None else np.full(n_bands, float(spring_constant))
    tolerances = 1e-3 * scales if force_tolerance is None else np.full(n_bands, float(force_tolerance))
    max_moves = 0.2 * lengths / (n_images + 1) if max_move is None else np.full(n_bands, float(max_move))

    climbing_images = np.full(n_bands, -1)
    climb_pending = np.full(n_bands, bool(climbing))
    velocities = np.zeros_like(bands[:, 1:-1])
    time_steps = 0.1 * np.sqrt(max_moves / scales)
    max_time_steps = 10.0 * time_steps
    mixing = np.full(n_bands, FIRE_MIXING_START)
    steps_downhill = np.zeros(n_bands, dtype=np.int64)
    converged = np.zeros(n_bands, dtype=bool)
    iterations = np.full(n_bands, int(max_iterations))
    active = np.ones(n_bands, dtype=bool)

    for iteration in range(1, int(max_iterations) + 1):
        rows = np.flatnonzero(active)
        if rows.size == 0:
            break
        forces, _ = band_forces(
            bands[rows], energies[rows], gradients[rows], springs[rows],
            climbing_images[rows], doubly_nudged,
        )  # fmt: skip
        forces = _inward_forces(bands[rows, 1:-1], forces, lower, upper)
        max_forces = np.linalg.norm(forces, axis=2).max(axis=1)

        # A band whose climbing image is switched on recomputes its forces
        # before it moves, as a band relaxed alone would.
        deciding = climb_pending[rows] & (
            (max_forces < 10.0 * tolerances[rows]) | (iteration > max_iterations // 4)
        )
        switched = np.zeros(rows.size, dtype=bool)
        for position in np.flatnonzero(deciding):
            band = rows[position]
            climb_pending[band] = False
            highest = 1 + int(np.argmax(energies[band, 1:-1]))
            if energies[band, highest] > max(energies[band, highest - 1], energies[band, highest + 1]):
                climbing_images[band] = highest
                switched[position] = True
                logger.debug("band %d: image %d climbs from iteration %d", band, highest, iteration)
            else:
                logger.debug("band %d has no interior maximum, so no image climbs", band)

        settled = max_forces <= tolerances[rows]
        if climbing_only:
            # Only the climbing image is used afterwards, so its force decides.
            climbing_rows = climbing_images[rows]
            has_climber = climbing_rows >= 0
            climber_forces = np.linalg.norm(
                forces[np.arange(rows.size), np.maximum(climbing_rows - 1, 0)], axis=1
            )
            settled |= has_climber & (climber_forces <= tolerances[rows])
        done = ~switched & settled & ~climb_pending[rows]
        converged[rows[done]] = True
        iterations[rows[done]] = iteration
        active[rows[done]] = False
        moving = ~switched & ~done
        rows, forces = rows[moving], forces[moving]
        if rows.size == 0:
            continue

        _fire_update(
            rows, forces, velocities, time_steps, max_time_steps, mixing, steps_downhill
        )
        velocities[rows] += time_steps[rows, None, None] * forces
        moves = time_steps[rows, None, None] * velocities[rows]
        move_norms = np.linalg.norm(moves, axis=2)
        limits = max_moves[rows, None]
        factors = np.where(move_norms > limits, limits / np.maximum(move_norms, np.finfo(float).tiny), 1.0)
        bands[rows, 1:-1] += moves * factors[..., None]
        if lower is not None:
            bands[rows] = np.clip(bands[rows], lower, upper)

        new_energies, new_gradients = potential.energies_gradients(
            bands[rows, 1:-1].reshape(-1, d)
        )
        energies[rows, 1:-1] = new_energies.reshape(rows.size, n_images)
        gradients[rows] = new_gradients.reshape(rows.size, n_images, d)
        finite = np.isfinite(energies[rows]).all(axis=1) & np.isfinite(gradients[rows]).all(axis=(1, 2))
        for band in rows[~finite]:
            logger.warning(
                "elastic band %d stopped at iteration %d: an image has a non-finite "
                "energy or gradient",
                band,
                iteration,
            )
        iterations[rows[~finite]] = iteration
        active[rows[~finite]] = False

    forces, tangents = band_forces(bands, energies, gradients, springs, climbing_images, doubly_nudged)
    forces = _inward_forces(bands[:, 1:-1], forces, lower, upper)
    max_forces = np.linalg.norm(forces, axis=2).max(axis=1)

    results = []
    for band in range(n_bands):
        all_tangents = np.zeros_like(bands[band])
        all_tangents[1:-1] = tangents[band]
        results.append(
            NebResult(
                images=bands[band].copy(),
                energies=energies[band].copy(),
                tangents=all_tangents,
                climbing_image=None if climbing_images[band] < 0 else int(climbing_images[band]),
                max_force=float(max_forces[band]),
                converged=bool(converged[band]),
                iterations=int(iterations[band]),
            )
        )
    return results


def _fire_update(rows, forces, velocities, time_steps, max_time_steps, mixing, steps_downhill):
    """Apply one FIRE velocity update to the bands in ``rows``, in place."""
    current = velocities[rows]
    power = np.einsum("bij,bij->b", forces, current)
    downhill = power > 0

    velocity_norms = np.linalg.norm(current.reshape(rows.size, -1), axis=1)
    force_norms = np.linalg.norm(forces.reshape(rows.size, -1), axis=1)
    weights = mixing[rows] * velocity_norms / np.maximum(force_norms, np.finfo(float).tiny)
    mixed = (1.0 - mixing[rows])[:, None, None] * current + weights[:, None, None] * forces
    velocities[rows] = np.where(downhill[:, None, None], mixed, 0.0)

    uphill_rows = rows[~downhill]
    time_steps[uphill_rows] *= FIRE_TIME_STEP_DECREASE
    mixing[uphill_rows] = FIRE_MIXING_START
    steps_downhill[uphill_rows] = 0

    downhill_rows = rows[downhill]
    steps_downhill[downhill_rows] += 1
    accelerating = downhill_rows[steps_downhill[downhill_rows] > FIRE_DELAY_STEPS]
    time_steps[accelerating] = np.minimum(
        time_steps[accelerating] * FIRE_TIME_STEP_INCREASE, max_time_steps[accelerating]
    )
    mixing[accelerating] *= FIRE_MIXING_DECREASE

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
    """Return the improved unit tangents ``(n_images, d)`` of the interior images."""
    forward = images[2:] - images[1:-1]
    backward = images[1:-1] - images[:-2]
    higher = energies[2:] - energies[1:-1]
    lower = energies[:-2] - energies[1:-1]

    uphill_forward = (higher > 0) & (lower < 0)
    uphill_backward = (higher < 0) & (lower > 0)
    largest = np.maximum(np.abs(higher), np.abs(lower))
    smallest = np.minimum(np.abs(higher), np.abs(lower))
    next_is_higher = energies[2:] > energies[:-2]
    weight_forward = np.where(next_is_higher, largest, smallest)
    weight_backward = np.where(next_is_higher, smallest, largest)
    tangents = weight_forward[:, None] * forward + weight_backward[:, None] * backward
    tangents[uphill_forward] = forward[uphill_forward]
    tangents[uphill_backward] = backward[uphill_backward]

    norms = np.linalg.norm(tangents, axis=1)
    flat = norms <= 0
    if flat.any():
        # Equal energies everywhere around: use the chord through both neighbours.
        chords = images[2:] - images[:-2]
        tangents[flat] = chords[flat]
        norms[flat] = np.linalg.norm(chords[flat], axis=1)
    return tangents / np.maximum(norms, np.finfo(float).tiny)[:, None]


def band_forces(
    images: np.ndarray,
    energies: np.ndarray,
    gradients: np.ndarray,
    spring_constant: float,
    climbing_image: int | None = None,
    doubly_nudged: bool = True,
) -> tuple[np.ndarray, np.ndarray]:
    """Return the band forces and unit tangents of the interior images.

    Both arrays have shape ``(n_images, d)``.

    ``images`` and ``energies`` include the end points and ``gradients`` is
    for the interior images only. ``climbing_image`` is a row of ``images``.
    """
    tangents = band_tangents(images, energies)
    along = np.einsum("ij,ij->i", gradients, tangents)
    perpendicular_gradient = gradients - along[:, None] * tangents

    forward = images[2:] - images[1:-1]
    backward = images[1:-1] - images[:-2]
    spacing = np.linalg.norm(forward, axis=1) - np.linalg.norm(backward, axis=1)
    forces = -perpendicular_gradient + spring_constant * spacing[:, None] * tangents

    if doubly_nudged:
        spring = spring_constant * (forward - backward)
        spring -= np.einsum("ij,ij->i", spring, tangents)[:, None] * tangents
        norms = np.linalg.norm(perpendicular_gradient, axis=1)
        unit = perpendicular_gradient / np.maximum(norms, np.finfo(float).tiny)[:, None]
        spring -= np.einsum("ij,ij->i", spring, unit)[:, None] * unit
        forces += spring

    if climbing_image is not None:
        row = climbing_image - 1
        forces[row] = -gradients[row] + 2.0 * along[row] * tangents[row]
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
    n_images: int = 10,
    spring_constant: float | None = None,
    climbing: bool = True,
    doubly_nudged: bool = True,
    force_tolerance: float | None = None,
    max_iterations: int = 1000,
    max_move: float | None = None,
    bounded: bool = True,
    images: np.ndarray | None = None,
) -> NebResult:
    """Relax a doubly-nudged elastic band between ``start`` and ``end``.

    Parameters
    ----------
    potential : Potential
        Energy landscape.
    start, end : array_like (d,)
        Fixed end points, normally two minima.
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
    images : array_like (n_images + 2, d), optional
        Initial band, end points included, in place of the straight line.

    Returns
    -------
    NebResult
    """
    start = np.asarray(start, dtype=np.float64).reshape(-1)
    end = np.asarray(end, dtype=np.float64).reshape(-1)
    for name, point in (("start", start), ("end", end)):
        if point.shape[0] != potential.dimension:
            raise ValueError(
                f"{name} has {point.shape[0]} coordinates but the potential has "
                f"dimension {potential.dimension}"
            )
    if int(n_images) < 1:
        raise ValueError(f"n_images must be at least 1, got {n_images!r}")
    if images is None:
        band = interpolate_band(start, end, int(n_images))
    else:
        band = np.array(images, dtype=np.float64)
        if band.shape != (int(n_images) + 2, potential.dimension):
            raise ValueError(
                f"images must have shape ({int(n_images) + 2}, "
                f"{potential.dimension}), got {band.shape}"
            )
        band[0] = start
        band[-1] = end
    length = float(np.linalg.norm(np.diff(band, axis=0), axis=1).sum())
    if length <= 0:
        raise ValueError("start and end coincide; an elastic band needs two points")
    lower, upper = box_bounds(potential, bounded)
    if lower is not None:
        band = np.clip(band, lower, upper)

    energies = np.empty(band.shape[0])
    end_energies, _ = potential.energies_gradients(band[[0, -1]])
    energies[[0, -1]] = end_energies
    interior_energies, gradients = potential.energies_gradients(band[1:-1])
    energies[1:-1] = interior_energies
    scale = _force_scale(energies, gradients, length)
    if spring_constant is None:
        spring_constant = scale / length
    if force_tolerance is None:
        force_tolerance = 1e-3 * scale
    if max_move is None:
        max_move = 0.2 * length / (n_images + 1)

    climbing_image = None
    climb_pending = bool(climbing)
    velocities = np.zeros_like(band[1:-1])
    time_step = 0.1 * np.sqrt(max_move / scale)
    max_time_step = 10.0 * time_step
    mixing = FIRE_MIXING_START
    steps_downhill = 0
    max_force = np.inf
    converged = False
    iteration = 0
    for iteration in range(1, int(max_iterations) + 1):
        forces, tangents = band_forces(
            band, energies, gradients, spring_constant, climbing_image, doubly_nudged
        )
        forces = _inward_forces(band[1:-1], forces, lower, upper)
        max_force = float(np.linalg.norm(forces, axis=1).max())
        if climb_pending and (
            max_force < 10.0 * force_tolerance or iteration > max_iterations // 4
        ):
            climb_pending = False
            highest = 1 + int(np.argmax(energies[1:-1]))
            if energies[highest] > max(energies[highest - 1], energies[highest + 1]):
                climbing_image = highest
                logger.debug("image %d climbs from iteration %d", highest, iteration)
                continue
            logger.debug("the band has no interior maximum, so no image climbs")
        if max_force <= force_tolerance and not climb_pending:
            converged = True
            break

        power = float(np.sum(forces * velocities))
        if power > 0:
            velocity_norm = np.linalg.norm(velocities)
            force_norm = np.linalg.norm(forces)
            velocities = (1.0 - mixing) * velocities + (
                mixing * velocity_norm / force_norm
            ) * forces
            steps_downhill += 1
            if steps_downhill > FIRE_DELAY_STEPS:
                time_step = min(time_step * FIRE_TIME_STEP_INCREASE, max_time_step)
                mixing *= FIRE_MIXING_DECREASE
        else:
            velocities[:] = 0.0
            time_step *= FIRE_TIME_STEP_DECREASE
            mixing = FIRE_MIXING_START
            steps_downhill = 0

        velocities += time_step * forces
        moves = time_step * velocities
        move_norms = np.linalg.norm(moves, axis=1)
        too_far = move_norms > max_move
        moves[too_far] *= (max_move / move_norms[too_far])[:, None]
        band[1:-1] += moves
        if lower is not None:
            np.clip(band, lower, upper, out=band)
        interior_energies, gradients = potential.energies_gradients(band[1:-1])
        energies[1:-1] = interior_energies
        if not (np.isfinite(interior_energies).all() and np.isfinite(gradients).all()):
            logger.warning(
                "elastic band stopped at iteration %d: an image has a non-finite "
                "energy or gradient",
                iteration,
            )
            break
    else:
        forces, tangents = band_forces(
            band, energies, gradients, spring_constant, climbing_image, doubly_nudged
        )
        forces = _inward_forces(band[1:-1], forces, lower, upper)
        max_force = float(np.linalg.norm(forces, axis=1).max())

    all_tangents = np.zeros_like(band)
    all_tangents[1:-1] = tangents
    return NebResult(
        images=band,
        energies=energies.copy(),
        tangents=all_tangents,
        climbing_image=climbing_image,
        max_force=max_force,
        converged=converged,
        iterations=iteration,
    )

"""Transition states between pairs of minima, verified and connected.

:func:`find_transition_state` runs a doubly-nudged elastic band between two
minima, refines its climbing image by hybrid eigenvector-following, and
accepts the result only when

1. the Hessian (restricted to the free coordinates in a box) has exactly one
   eigenvalue below ``-zero_tolerance``;
2. minimisations started a small step either side of the saddle along that
   eigenvector both converge, to two minima further apart than
   ``distance_tolerance``.

The two minima reached are part of the result; they need not be the two
minima the search started from. Harmonic rate theory needs the product of the
positive Hessian eigenvalues, which the result carries as a sum of
logarithms. Eigenvalues with magnitude at most ``zero_tolerance`` count as
zero modes (such as the six translations and rotations of a cluster) and are
left out.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
import scipy.sparse.linalg
import scipy.linalg

from topograph.optimize.lbfgs import bound_masks, box_bounds, minimize_batch
from topograph.potentials.base import Potential
from topograph.search.eigenvector_following import (
    DENSE_DIMENSION,
    hybrid_eigenvector_following,
    lowest_eigenpairs,
)
from topograph.search.neb import nudged_elastic_bands

logger = logging.getLogger(__name__)

# Above this many free coordinates the index of a saddle is checked with the
# two lowest eigenvalues from Lanczos, and log products are not computed.
FULL_SPECTRUM_DIMENSION = 2000


@dataclass
class ConnectedMinimum:
    """A minimum reached by descent from a transition state."""

    coordinates: np.ndarray
    energy: float
    log_product: float
    on_bounds: np.ndarray


@dataclass
class TransitionStateResult:
    """A verified transition state and the two minima it connects.

    Attributes
    ----------
    coordinates : ndarray (d,)
    energy : float
    negative_eigenvalue : float
        The single negative Hessian eigenvalue.
    eigenvector : ndarray (d,)
        Its unit eigenvector, the direction of the reaction coordinate.
    log_product : float
        Σ ln λ over the Hessian eigenvalues above ``zero_tolerance``, NaN when
        the dimension is too large for the full spectrum.
    gradient_norm : float
    on_bounds : ndarray (d,) of bool
    minimum1, minimum2 : ConnectedMinimum
        Minima reached from the two sides; ``minimum1`` is the one closer to
        the ``minimum_a`` of the search.
    """

    coordinates: np.ndarray
    energy: float
    negative_eigenvalue: float
    eigenvector: np.ndarray
    log_product: float
    gradient_norm: float
    on_bounds: np.ndarray
    minimum1: ConnectedMinimum
    minimum2: ConnectedMinimum


def log_product_positive(
    eigenvalues: np.ndarray, zero_tolerance: float = 1e-6
) -> float:
    """Return Σ ln λ over the ``eigenvalues`` greater than ``zero_tolerance``."""
    eigenvalues = np.asarray(eigenvalues, dtype=np.float64)
    positive = eigenvalues[eigenvalues > zero_tolerance]
    return float(np.sum(np.log(positive)))


def _free_mask(potential, x, bounded):
    """Return the coordinates not on a bound, or ``None`` when all are free."""
    lower, upper = box_bounds(potential, bounded)
    if lower is None:
        return None
    at_lower, at_upper = bound_masks(x, lower, upper)
    on_bounds = at_lower | at_upper
    return None if not on_bounds.any() else ~on_bounds


def hessian_eigenvalues(
    potential: Potential, x: np.ndarray, free: np.ndarray | None = None
) -> np.ndarray:
    """Return all Hessian eigenvalues at ``x`` over the ``free`` coordinates."""
    hessian = np.asarray(potential.hessian(np.asarray(x, dtype=np.float64)))
    if free is not None:
        index = np.flatnonzero(free)
        hessian = hessian[np.ix_(index, index)]
    return scipy.linalg.eigvalsh(0.5 * (hessian + hessian.T))


def hessian_log_product(
    potential: Potential,
    x: np.ndarray,
    zero_tolerance: float = 1e-6,
    bounded: bool = True,
) -> float:
    """Return Σ ln λ over the positive Hessian eigenvalues at a minimum ``x``.

    Coordinates on a bound of the box are left out, so a bound-constrained
    minimum gets the log product of the Hessian over its free coordinates.
    Returns NaN when the number of free coordinates exceeds
    ``FULL_SPECTRUM_DIMENSION``.
    """
    free = _free_mask(potential, x, bounded)
    size = potential.dimension if free is None else int(free.sum())
    if size == 0:
        return 0.0
    if size > FULL_SPECTRUM_DIMENSION:
        return float("nan")
    return log_product_positive(hessian_eigenvalues(potential, x, free), zero_tolerance)


def _saddle_spectrum(potential, x, free, eigenvector_guess, zero_tolerance):
    """Return (negative count, lowest eigenpair, log product) at a candidate saddle."""
    size = potential.dimension if free is None else int(free.sum())
    if size <= FULL_SPECTRUM_DIMENSION:
        hessian = np.asarray(potential.hessian(x))
        index = np.arange(potential.dimension) if free is None else np.flatnonzero(free)
        reduced = hessian[np.ix_(index, index)]
        values, vectors = scipy.linalg.eigh(0.5 * (reduced + reduced.T))
        eigenvector = np.zeros(potential.dimension)
        eigenvector[index] = vectors[:, 0]
        negative = int(np.sum(values < -zero_tolerance))
        log_product = log_product_positive(values, zero_tolerance)
        return negative, float(values[0]), eigenvector, log_product
    values, vectors = lowest_eigenpairs(
        potential, x, 2, guess=eigenvector_guess, free=free, dense_dimension=0
    )
    negative = int(np.sum(values < -zero_tolerance))
    return negative, float(values[0]), vectors[:, 0], float("nan")


def connect_transition_state(
    potential: Potential,
    guess: np.ndarray,
    eigenvector_guess: np.ndarray | None = None,
    reference: np.ndarray | None = None,
    gradient_tolerance: float = 1e-6,
    zero_tolerance: float = 1e-6,
    distance_tolerance: float = 1e-3,
    descent_step: float = 1e-2,
    descent_max_step: float | None = 0.1,
    hef_options: dict | None = None,
    bounded: bool = True,
) -> TransitionStateResult | None:
    """Refine ``guess`` to a transition state, verify it and find its two minima.

    Parameters
    ----------
    potential : Potential
    guess : array_like (d,)
        Starting point of hybrid eigenvector-following.
    eigenvector_guess : array_like (d,), optional
        Start of the first eigenvector search.
    reference : array_like (d,), optional
        The minimum reached closer to this point becomes ``minimum1``.
    gradient_tolerance : float
        Gradient tolerance of the saddle and of both minimisations.
    zero_tolerance : float
        Eigenvalues with magnitude at most this are zero modes.
    distance_tolerance : float
        Minimum Euclidean distance between the two minima reached.
    descent_step : float
        Length of the displacement from the saddle along ± its eigenvector
        before each minimisation. It is doubled, up to four times, while the
        displaced point is not below the saddle in energy.
    descent_max_step : float or None
        Maximum L-BFGS step of the minimisations, which keeps them close to
        the steepest-descent paths.
    hef_options : dict, optional
        Further keyword arguments of :func:`hybrid_eigenvector_following`.
    bounded : bool
        Respect the box of a bounded potential.

    Returns
    -------
    TransitionStateResult or None
        ``None`` when a check fails; the reason is logged at INFO level.
    """
    saddle = _refine_saddle(
        potential, guess, eigenvector_guess, gradient_tolerance, zero_tolerance, hef_options, bounded
    )
    if saddle is None:
        return None
    minima = _descend_from_saddles(
        potential, [saddle], gradient_tolerance, descent_step, descent_max_step, bounded, zero_tolerance
    )[0]
    return _verified_result(saddle, minima, reference, distance_tolerance)


@dataclass
class _Saddle:
    """A refined first-order saddle, before descent to its minima."""

    coordinates: np.ndarray
    energy: float
    negative_eigenvalue: float
    eigenvector: np.ndarray
    log_product: float
    gradient_norm: float
    on_bounds: np.ndarray


def _refine_saddle(
    potential, guess, eigenvector_guess, gradient_tolerance, zero_tolerance, hef_options, bounded
):  # fmt: skip
    """Refine ``guess`` by eigenvector-following; return the saddle if it has index one, else None."""
    options = {"gradient_tolerance": gradient_tolerance, "bounded": bounded}
    options.update(hef_options or {})
    try:
        refined = hybrid_eigenvector_following(
            potential, guess, eigenvector_guess=eigenvector_guess, **options
        )
    except scipy.sparse.linalg.ArpackNoConvergence as error:
        logger.info(
            "transition-state search failed: the lowest Hessian eigenvector did not "
            "converge (%s)",
            error,
        )
        return None
    if not refined.converged:
        logger.info(
            "transition-state search failed: eigenvector-following did not converge "
            "in %d iterations (gradient norm %.3g, lowest eigenvalue %.3g)",
            refined.iterations,
            refined.gradient_norm,
            refined.eigenvalue,
        )
        return None

    x = refined.coordinates
    free = _free_mask(potential, x, bounded)
    try:
        negative, eigenvalue, eigenvector, log_product = _saddle_spectrum(
            potential, x, free, refined.eigenvector, zero_tolerance
        )
    except scipy.sparse.linalg.ArpackNoConvergence as error:
        logger.info("transition-state search failed: the saddle's spectrum did not converge (%s)", error)
        return None
    if negative != 1:
        logger.info(
            "transition-state search failed: the Hessian at energy %.8g has %d "
            "eigenvalues below -%.3g, not one",
            refined.energy,
            negative,
            zero_tolerance,
        )
        return None
    return _Saddle(
        coordinates=x,
        energy=refined.energy,
        negative_eigenvalue=eigenvalue,
        eigenvector=eigenvector,
        log_product=log_product,
        gradient_norm=refined.gradient_norm,
        on_bounds=refined.on_bounds,
    )


def _verified_result(saddle, minima, reference, distance_tolerance):
    """Return the transition-state result if the two minima differ, ordered by ``reference``."""
    if minima is None:
        return None
    first, second = minima
    separation = float(np.linalg.norm(first.coordinates - second.coordinates))
    if separation <= distance_tolerance:
        logger.info(
            "transition-state search failed: both sides of the saddle at energy "
            "%.8g lead to the same minimum (distance %.3g)",
            saddle.energy,
            separation,
        )
        return None
    if reference is not None:
        reference = np.asarray(reference, dtype=np.float64)
        if np.linalg.norm(second.coordinates - reference) < np.linalg.norm(
            first.coordinates - reference
        ):
            first, second = second, first
    return TransitionStateResult(
        coordinates=saddle.coordinates,
        energy=saddle.energy,
        negative_eigenvalue=saddle.negative_eigenvalue,
        eigenvector=saddle.eigenvector,
        log_product=saddle.log_product,
        gradient_norm=saddle.gradient_norm,
        on_bounds=saddle.on_bounds,
        minimum1=first,
        minimum2=second,
    )


def _descend_from_saddles(
    potential, saddles, gradient_tolerance, step, max_step, bounded, zero_tolerance
):  # fmt: skip
    """Minimise from ``x ± step * eigenvector`` of every saddle in one batched quench.

    Returns, per saddle, the two minima reached or ``None`` (reason logged).
    """
    if not saddles:
        return []
    lower, upper = box_bounds(potential, bounded)
    d = potential.dimension
    centres = np.array([saddle.coordinates for saddle in saddles])
    directions = np.array([saddle.eigenvector for saddle in saddles])
    saddle_energies = np.array([saddle.energy for saddle in saddles])
    steps = np.full(len(saddles), float(step))
    starts = np.empty((len(saddles), 2, d))
    descending = np.zeros(len(saddles), dtype=bool)
    # Double the displacement, up to four times, until both sides lie below the saddle.
    for _ in range(5):
        pending = np.flatnonzero(~descending)
        if pending.size == 0:
            break
        offsets = steps[pending, None] * directions[pending]
        trial = np.stack([centres[pending] + offsets, centres[pending] - offsets], axis=1)
        if lower is not None:
            trial = np.clip(trial, lower, upper)
        energies, _ = potential.energies_gradients(trial.reshape(-1, d))
        below = np.all(energies.reshape(-1, 2) < saddle_energies[pending, None], axis=1)
        starts[pending] = trial
        descending[pending[below]] = True
        steps[pending[~below]] *= 2.0
    for index in np.flatnonzero(~descending):
        logger.info(
            "transition-state search failed: points displaced from the saddle at "
            "energy %.8g along its eigenvector are not lower",
            saddles[index].energy,
        )

    rows = np.flatnonzero(descending)
    results: list = [None] * len(saddles)
    if rows.size == 0:
        return results
    quench = minimize_batch(
        potential,
        starts[rows].reshape(-1, d),
        gradient_tolerance=gradient_tolerance,
        bounded=bounded,
        max_step=max_step,
    )
    for position, index in enumerate(rows):
        pair = slice(2 * position, 2 * position + 2)
        if not quench.converged[pair].all():
            logger.info(
                "transition-state search failed: a minimisation from the saddle did "
                "not converge (gradient norms %s)",
                np.array2string(quench.gradient_norms[pair], precision=3),
            )
            continue
        results[index] = [
            ConnectedMinimum(
                coordinates=quench.coordinates[row],
                energy=float(quench.energies[row]),
                log_product=hessian_log_product(potential, quench.coordinates[row], zero_tolerance, bounded),
                on_bounds=quench.on_bounds[row],
            )
            for row in range(pair.start, pair.stop)
        ]
    return results


def find_transition_state(
    potential: Potential,
    minimum_a: np.ndarray,
    minimum_b: np.ndarray,
    **options,
) -> TransitionStateResult | None:
    """Find a verified transition state between two minima.

    Runs a nudged elastic band from ``minimum_a`` to ``minimum_b``, then
    :func:`connect_transition_state` from its climbing image with the band
    tangent as the first eigenvector guess. ``options`` are the keyword
    arguments of :func:`find_transition_states` (``n_images``,
    tolerances, ``neb_options``, ``hef_options``, ``bounded``).

    Returns
    -------
    TransitionStateResult or None
        ``None`` when the band has no interior maximum or a check fails; the
        reason is logged at INFO level.
    """
    minimum_a = np.asarray(minimum_a, dtype=np.float64).reshape(1, -1)
    minimum_b = np.asarray(minimum_b, dtype=np.float64).reshape(1, -1)
    return find_transition_states(potential, minimum_a, minimum_b, **options)[0]


def find_transition_states(
    potential: Potential,
    minima_a: np.ndarray,
    minima_b: np.ndarray,
    n_images: int = 10,
    gradient_tolerance: float = 1e-6,
    zero_tolerance: float = 1e-6,
    distance_tolerance: float = 1e-3,
    descent_step: float = 1e-2,
    descent_max_step: float | None = 0.1,
    neb_options: dict | None = None,
    hef_options: dict | None = None,
    bounded: bool = True,
    reuse_fraction: float = 0.25,
) -> list[TransitionStateResult | None]:
    """Run :func:`find_transition_state` for every row pair of ``minima_a`` and ``minima_b``.

    The elastic bands of all pairs relax together (:func:`nudged_elastic_bands`
    evaluates every band's images in one potential call per iteration).
    Eigenvector-following then refines each climbing image, and the descents
    from all refined saddles run as one batched quench. Each result is what
    :func:`find_transition_state` returns for that pair alone, except that a
    climbing image closer to an already refined saddle of the batch than
    ``reuse_fraction`` times its band's image spacing is taken to lead to
    that saddle, which is not refined again. A band cannot resolve two
    saddles closer than its spacing, and neighbouring pairs often share a
    saddle, so this skips most of the eigenvector-following. With
    ``reuse_fraction=0`` every candidate is refined.
    """
    minima_a = np.array(minima_a, dtype=np.float64, ndmin=2)
    minima_b = np.array(minima_b, dtype=np.float64, ndmin=2)
    # Only the climbing image is refined, so a band may stop once it settles.
    options = {"n_images": n_images, "bounded": bounded, "climbing_only": True}
    options.update(neb_options or {})
    bands = nudged_elastic_bands(potential, minima_a, minima_b, **options)

    saddles: list[_Saddle] = []
    saddle_of_pair: list[int | None] = []
    for band in bands:
        image = band.climbing_image or band.highest_image
        if band.energies[image] <= max(band.energies[0], band.energies[-1]):
            logger.info(
                "transition-state search failed: the band between the minima at "
                "energies %.8g and %.8g has no interior maximum",
                band.energies[0],
                band.energies[-1],
            )
            saddle_of_pair.append(None)
            continue
        known = _nearby_saddle(band, image, saddles, reuse_fraction)
        if known is not None:
            saddle_of_pair.append(known)
            continue
        saddle = _refine_saddle(
            potential, band.images[image], band.tangents[image], gradient_tolerance,
            zero_tolerance, hef_options, bounded,
        )  # fmt: skip
        if saddle is None:
            saddle_of_pair.append(None)
            continue
        saddles.append(saddle)
        saddle_of_pair.append(len(saddles) - 1)

    minima = _descend_from_saddles(
        potential, saddles, gradient_tolerance, descent_step, descent_max_step, bounded, zero_tolerance
    )
    results = []
    for index, minimum_a in zip(saddle_of_pair, minima_a):
        if index is None:
            results.append(None)
            continue
        results.append(_verified_result(saddles[index], minima[index], minimum_a, distance_tolerance))
    return results


def _nearby_saddle(band, image, saddles, reuse_fraction):
    """Return the index of a refined saddle within ``reuse_fraction`` image spacings of the candidate."""
    if not saddles or reuse_fraction <= 0:
        return None
    spacing = float(np.linalg.norm(np.diff(band.images, axis=0), axis=1).mean())
    candidate = band.images[image]
    distances = [np.linalg.norm(saddle.coordinates - candidate) for saddle in saddles]
    nearest = int(np.argmin(distances))
    if distances[nearest] < reuse_fraction * spacing:
        logger.debug("climbing image lies %.3g from a refined saddle; reusing it", distances[nearest])
        return nearest
    return None

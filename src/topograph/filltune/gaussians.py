"""Anisotropic Gaussians placed on the rough regions of a mapped landscape.

Fill-tuning turns the frustration of a response landscape into a surface
whose minima mark where new data are needed. Every pair of a minimum x_i
and a transition state x_s connected to it, with v = x_s − x_i, gets one
Gaussian bump

    g(x) = A exp(−½ [p² / σ²_along + (‖u‖² − p²) / σ²_across]),
    u = x − c,   p = u · v / ‖v‖,

centred at c = x_i + 0.75 v, three quarters of the way to the transition
state. Its parameters follow the published fill-tuning settings:

- the peak A is 10 times the pair's frustration contribution
  c = exp(−‖v‖² / (2ℓ²)) · max(0, E_s − E_i), recomputed with ℓ = 80. On
  a landscape scaled to the unit cube every weight is then close to 1, so
  the peak is about 10 times the barrier;
- along v the bump falls to 0.99 of its peak at a distance 0.5‖v‖ from the
  centre, so σ²_along = (0.5‖v‖)² / (2 ln(1 / 0.99)). It is nearly flat
  along the path from the minimum to the transition state;
- across v its variance is σ²_across = 0.25‖v‖. The published setting
  states a variance proportional to the length itself (not to ‖v‖²), and
  it is kept as published.

The roughness surface is the negated sum of the bumps
(:class:`topograph.filltune.roughness_surface.RoughnessSurface`). Pairs
with no barrier (zero peak) or with a transition state on the minimum
(‖v‖ = 0) add nothing and are left out.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from topograph.analysis.frustration import frustration
from topograph.database.archives import read_archive
from topograph.database.atomic import atomic_write
from topograph.database.store import StationaryPointDatabase

logger = logging.getLogger(__name__)

# Published fill-tuning settings of the roughness surface.
CENTRE_FRACTION = 0.75
PEAK_FACTOR = 10.0
PEAK_LENGTH_SCALE = 80.0
ALONG_FRACTION = 0.99
ALONG_DISTANCE_FRACTION = 0.5
ACROSS_VARIANCE_FACTOR = 0.25


@dataclass(frozen=True)
class RoughnessGaussians:
    """The Gaussians of a roughness surface, one row per (minimum, transition state).

    Attributes
    ----------
    centres : ndarray, shape (m, d)
    directions : ndarray, shape (m, d)
        Unit vectors along v.
    peaks : ndarray, shape (m,)
        Heights A, positive.
    along_variances, across_variances : ndarray, shape (m,)
        σ²_along and σ²_across.
    minima, transition_states : ndarray of int, shape (m,)
        The database indices of the pair behind each Gaussian.
    contributions : ndarray, shape (m,)
        The frustration contributions with the ranking length scale (0.8 in
        the published settings), for reports.
    lower_bounds, upper_bounds : ndarray (d,) or None
        The box of the landscape, in its (scaled) coordinates.
    input_minimum, input_range : ndarray (d,) or None
        The min–max scaling of the data table's inputs, so that points of
        the surface map back to latent coordinates as
        ``input_minimum + x * input_range``.
    """

    centres: np.ndarray
    directions: np.ndarray
    peaks: np.ndarray
    along_variances: np.ndarray
    across_variances: np.ndarray
    minima: np.ndarray
    transition_states: np.ndarray
    contributions: np.ndarray
    lower_bounds: np.ndarray | None = None
    upper_bounds: np.ndarray | None = None
    input_minimum: np.ndarray | None = None
    input_range: np.ndarray | None = None

    @property
    def n_gaussians(self) -> int:
        """Number of Gaussians."""
        return self.centres.shape[0]

    @property
    def dimension(self) -> int:
        """Dimension of the landscape."""
        return self.centres.shape[1]

    def to_latent(self, points: np.ndarray) -> np.ndarray:
        """Map points of the scaled landscape back to latent coordinates.

        Raises
        ------
        ValueError
            If the file was written without the scaling of the data table.
        """
        if self.input_minimum is None:
            raise ValueError(
                "the Gaussians carry no input scaling, so their points cannot be "
                "mapped back to the latent box; build them with the response table "
                "(--table)"
            )
        return (
            self.input_minimum + np.asarray(points, dtype=np.float64) * self.input_range
        )

    def save(self, path) -> None:
        """Write the Gaussians to an ``.npz`` file atomically."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        arrays = {
            "centres": self.centres,
            "directions": self.directions,
            "peaks": self.peaks,
            "along_variances": self.along_variances,
            "across_variances": self.across_variances,
            "minima": self.minima,
            "transition_states": self.transition_states,
            "contributions": self.contributions,
        }
        for name in ("lower_bounds", "upper_bounds", "input_minimum", "input_range"):
            value = getattr(self, name)
            if value is not None:
                arrays[name] = value
        with atomic_write(path, "wb") as handle:
            np.savez(handle, **arrays)

    @classmethod
    def load(cls, path) -> "RoughnessGaussians":
        """Read Gaussians written by :meth:`save`.

        Raises
        ------
        ValueError
            If the file cannot be read or lacks a required array.
        """
        arrays = read_archive(path, "roughness Gaussians", "topograph filltune roughness")
        required = (
            "centres", "directions", "peaks", "along_variances", "across_variances",
            "minima", "transition_states", "contributions",
        )  # fmt: skip
        missing = [name for name in required if name not in arrays]
        if missing:
            raise ValueError(
                f"roughness Gaussians '{path}' lack the arrays {missing}; write them "
                "with `topograph filltune roughness`"
            )
        optional = {
            name: arrays.get(name)
            for name in ("lower_bounds", "upper_bounds", "input_minimum", "input_range")
        }
        return cls(**{name: arrays[name] for name in required}, **optional)


def along_variance(length: np.ndarray) -> np.ndarray:
    """Return σ²_along for which the bump is 0.99 of its peak at 0.5‖v‖."""
    distance = ALONG_DISTANCE_FRACTION * np.asarray(length, dtype=np.float64)
    return distance**2 / (2.0 * math.log(1.0 / ALONG_FRACTION))


def across_variance(length: np.ndarray) -> np.ndarray:
    """Return σ²_across = 0.25‖v‖, as published (a length, not a squared length)."""
    return ACROSS_VARIANCE_FACTOR * np.asarray(length, dtype=np.float64)


def gaussians_from_database(
    database: StationaryPointDatabase,
    ranking_length_scale: float = 0.8,
    peak_length_scale: float = PEAK_LENGTH_SCALE,
    bounds="unit",
    input_minimum: np.ndarray | None = None,
    input_range: np.ndarray | None = None,
) -> RoughnessGaussians:
    """Place one Gaussian on every (minimum, transition state) pair with a barrier.

    Parameters
    ----------
    database : StationaryPointDatabase
        A connected landscape (minima and transition states).
    ranking_length_scale : float
        ℓ of the frustration contributions stored for reports (0.8).
    peak_length_scale : float
        ℓ of the contributions that set the peaks (80).
    bounds : "unit", None or (low, high)
        The box of the surface: the unit cube of a landscape scaled to
        [0, 1] (default), none, or scalars or arrays ``(d,)``.
    input_minimum, input_range : ndarray (d,), optional
        The scaling of the data table, stored to map points back.

    Returns
    -------
    RoughnessGaussians
        Ordered by peak height, largest first.
    """
    if database.n_transition_states == 0:
        raise ValueError(
            "the landscape database has no transition states, so it has no rough "
            "regions to fill; connect its minima first (topograph landscape connect)"
        )
    _, peak_table = frustration(database, peak_length_scale)
    _, ranking_table = frustration(database, ranking_length_scale)
    ranking = {
        (int(row["minimum"]), int(row["transition_state"])): float(row["contribution"])
        for row in ranking_table
    }

    minima = peak_table["minimum"]
    states = peak_table["transition_state"]
    vectors = (
        database.transition_states.coordinates[states]
        - database.minima.coordinates[minima]
    )
    lengths = np.linalg.norm(vectors, axis=1)
    peaks = PEAK_FACTOR * peak_table["contribution"]
    keep = (peaks > 0) & (lengths > 0)
    dropped = int((~keep).sum())
    if dropped:
        logger.info(
            "left out %d of %d (minimum, transition state) pairs with no barrier or "
            "zero separation",
            dropped, len(keep),
        )  # fmt: skip
    if not keep.any():
        raise ValueError(
            "every (minimum, transition state) pair of the database has zero barrier "
            "or zero separation, so the roughness surface would be flat"
        )
    minima, states, vectors, lengths, peaks = (
        array[keep] for array in (minima, states, vectors, lengths, peaks)
    )
    order = np.argsort(-peaks, kind="stable")
    minima, states, vectors, lengths, peaks = (
        array[order] for array in (minima, states, vectors, lengths, peaks)
    )

    centres = database.minima.coordinates[minima] + CENTRE_FRACTION * vectors
    directions = vectors / lengths[:, None]
    lower, upper = _bounds_arrays(bounds, database.dimension)
    contributions = np.array(
        [ranking[(int(i), int(s))] for i, s in zip(minima, states, strict=True)]
    )
    return RoughnessGaussians(
        centres=centres,
        directions=directions,
        peaks=peaks,
        along_variances=along_variance(lengths),
        across_variances=across_variance(lengths),
        minima=minima.astype(np.int64),
        transition_states=states.astype(np.int64),
        contributions=contributions,
        lower_bounds=lower,
        upper_bounds=upper,
        input_minimum=(
            None
            if input_minimum is None
            else np.asarray(input_minimum, dtype=np.float64)
        ),
        input_range=(
            None if input_range is None else np.asarray(input_range, dtype=np.float64)
        ),
    )


def _bounds_arrays(bounds, dimension: int):
    """Return ``(lower, upper)`` arrays for ``bounds``, or ``(None, None)``."""
    if bounds is None:
        return None, None
    if isinstance(bounds, str):
        if bounds != "unit":
            raise ValueError(
                f"bounds must be 'unit', None or (low, high); got {bounds!r}"
            )
        return np.zeros(dimension), np.ones(dimension)
    low, high = bounds
    lower = np.broadcast_to(np.asarray(low, dtype=np.float64), (dimension,)).copy()
    upper = np.broadcast_to(np.asarray(high, dtype=np.float64), (dimension,)).copy()
    if (lower >= upper).any():
        raise ValueError(
            f"every lower bound must be below its upper bound; got {bounds!r}"
        )
    return lower, upper

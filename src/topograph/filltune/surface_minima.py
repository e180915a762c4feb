"""Minima of the roughness surface: where fill-tuning places new molecules.

One basin-hopping chain starts at the centre of every Gaussian of the
surface (:mod:`topograph.filltune.roughness_surface`); all chains advance in
lockstep. Every converged quench below the energy cut (−0.1 in the
published settings) is a candidate. Candidates closer than
``distance_tolerance`` to a lower one are the same minimum, and the rest are
ordered by energy, lowest (most rough) first.

NOTE: the published settings give the cut but not the steps, temperature or
step size of this search. The defaults of :func:`find_surface_minima`
(5 steps, T = 1, step 0.05) are chosen here, not published.
"""

from __future__ import annotations

import csv
import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from topograph.database.atomic import atomic_write
from topograph.filltune.gaussians import RoughnessGaussians
from topograph.filltune.roughness_surface import RoughnessSurface
from topograph.search.basin_hopping import basin_hop_population

logger = logging.getLogger(__name__)

ENERGY_CUT = -0.1


def is_lowest_response_fallback(energies) -> bool:
    """Return whether minima energies come from the lowest-response fallback.

    The roughness surface is a negated sum of Gaussians, so its minima have
    negative energies. When a landscape has no transition states,
    ``topograph filltune roughness`` writes the lowest-response data points
    instead, with their responses (0 to 1) as energies. An empty table is
    not a fallback.
    """
    energies = np.asarray(energies, dtype=np.float64)
    return energies.size > 0 and bool(np.all(energies >= 0))


@dataclass(frozen=True)
class SurfaceMinima:
    """Distinct minima of a roughness surface below the cut, lowest first.

    Attributes
    ----------
    coordinates : ndarray, shape (k, d)
        In the scaled coordinates of the landscape.
    energies : ndarray, shape (k,)
    latents : ndarray, shape (k, d) or None
        The same points in latent coordinates, when the scaling is known.
    quenches : int
        Converged quenches found by basin-hopping, before the cut.
    cut : float
    """

    coordinates: np.ndarray
    energies: np.ndarray
    latents: np.ndarray | None
    quenches: int
    cut: float

    def __len__(self) -> int:
        return len(self.energies)

    def save(self, path) -> None:
        """Write the minima as CSV: rank, energy, then the latent (or scaled) coordinates."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        points = self.latents if self.latents is not None else self.coordinates
        prefix = "z" if self.latents is not None else "x"
        with atomic_write(path, "w") as handle:
            writer = csv.writer(handle)
            writer.writerow(
                ["rank", "energy"]
                + [f"{prefix}{index}" for index in range(points.shape[1])]
            )
            for rank, (energy, row) in enumerate(
                zip(self.energies, points, strict=True)
            ):
                writer.writerow(
                    [rank, repr(float(energy))] + [repr(float(v)) for v in row]
                )

    @staticmethod
    def read_latents(path) -> tuple[np.ndarray, np.ndarray]:
        """Read ``(energies (k,), latents (k, d))`` from a file written by :meth:`save`.

        Raises
        ------
        ValueError
            If the file is missing, unreadable, or contains scaled coordinates
            (columns ``x0, ...``) rather than latent ones (``z0, ...``).
        """
        path = Path(path)
        try:
            with open(path, newline="", encoding="utf-8") as handle:
                rows = list(csv.reader(handle))
        except OSError as error:
            raise ValueError(f"cannot read surface minima '{path}' ({error})") from None
        if not rows or rows[0][:2] != ["rank", "energy"]:
            raise ValueError(
                f"'{path}' is not a surface-minima table (header rank, energy, z0, ...); "
                "write it with `topograph filltune roughness`"
            )
        if len(rows[0]) > 2 and not rows[0][2].startswith("z"):
            raise ValueError(
                f"surface minima '{path}' are in scaled coordinates; rebuild them with "
                "--table so they can be mapped back to the latent box"
            )
        body = np.array(
            [[float(cell) for cell in row[1:]] for row in rows[1:]], dtype=np.float64
        )
        if body.size == 0:
            return np.zeros(0), np.zeros((0, len(rows[0]) - 2))
        return body[:, 0], body[:, 1:]


def find_surface_minima(
    gaussians: RoughnessGaussians,
    steps: int = 5,
    temperature: float = 1.0,
    step_size: float = 0.05,
    seed: int = 0,
    cut: float = ENERGY_CUT,
    distance_tolerance: float = 1e-3,
    gradient_tolerance: float = 1e-6,
) -> SurfaceMinima:
    """Basin-hop the roughness surface from every Gaussian centre.

    Parameters
    ----------
    gaussians : RoughnessGaussians
    steps : int
        Basin-hopping steps per chain after the quench of its start.
    temperature : float
        Metropolis temperature, in the surface's energy unit.
    step_size : float
        Maximum displacement per coordinate (scaled units), fixed.
    seed : int
        Root seed of the chains.
    cut : float
        Only minima with energy below it are kept.
    distance_tolerance : float
        Minima closer than this (Euclidean, scaled units) are one.
    gradient_tolerance : float
        Convergence threshold of the quenches.

    Returns
    -------
    SurfaceMinima
    """
    surface = RoughnessSurface(gaussians)
    population = basin_hop_population(
        surface,
        gaussians.centres,
        steps=steps,
        seed=seed,
        temperature=temperature,
        step_size=step_size,
        adjust_interval=0,
        gradient_tolerance=gradient_tolerance,
    )
    below = population.energies < cut
    coordinates = population.coordinates[below]
    energies = population.energies[below]
    order = np.lexsort((np.arange(len(energies)), energies))
    distinct_rows: list[int] = []
    for row in order:
        if distinct_rows:
            distances = np.linalg.norm(
                coordinates[distinct_rows] - coordinates[row], axis=1
            )
            if distances.min() <= distance_tolerance:
                continue
        distinct_rows.append(int(row))
    coordinates = coordinates[distinct_rows]
    energies = energies[distinct_rows]
    latents = (
        gaussians.to_latent(coordinates)
        if gaussians.input_minimum is not None
        else None
    )
    logger.info(
        "roughness surface: %d quenches, %d below the cut %.3g, %d distinct minima",
        len(population), int(below.sum()), cut, len(energies),
    )  # fmt: skip
    return SurfaceMinima(coordinates, energies, latents, len(population), float(cut))

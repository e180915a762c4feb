"""Latin-hypercube samples of a latent box, each with neighbours on a sphere.

Fill-tuning probes how smoothly a model's decoder maps its latent space to
molecules. It draws ``n_samples`` points of the box ``[low, high]^d`` by
Latin-hypercube sampling (each of the ``n_samples`` equal strata of every
coordinate contains exactly one point) and, around each, ``n_neighbours``
points at Euclidean distance exactly ``radius`` in directions drawn
uniformly on the unit sphere (normalised standard normal vectors). The
published settings are 5000 samples, 10 neighbours, radius 0.05 and the box
[−1, 1]^128.

Neighbours are not clipped to the box, so that every one lies at exactly
``radius``. A sample near a face has neighbours up to ``radius`` outside
it, which a decoder accepts like any other latent vector.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy.stats import qmc

from topograph.database.archives import read_archive
from topograph.database.atomic import atomic_write

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class LatentSamples:
    """Latent samples and their neighbours.

    Attributes
    ----------
    samples : ndarray, shape (n, d)
    neighbours : ndarray, shape (n, k, d)
        ``neighbours[i, j]`` lies at distance ``radius`` from ``samples[i]``.
    radius : float
    low, high : float
        The latent box the samples fill.
    seed : int
    """

    samples: np.ndarray
    neighbours: np.ndarray
    radius: float
    low: float
    high: float
    seed: int

    @property
    def n_samples(self) -> int:
        """Number of samples."""
        return self.samples.shape[0]

    @property
    def n_neighbours(self) -> int:
        """Neighbours per sample."""
        return self.neighbours.shape[1]

    @property
    def dimension(self) -> int:
        """Dimension of the latent space."""
        return self.samples.shape[1]

    def save(self, path) -> None:
        """Write the samples to an ``.npz`` file atomically."""
        path = Path(path)
        with atomic_write(path, "wb") as handle:
            np.savez(
                handle,
                samples=self.samples,
                neighbours=self.neighbours,
                radius=self.radius,
                box=np.array([self.low, self.high]),
                seed=self.seed,
            )

    @classmethod
    def load(cls, path) -> "LatentSamples":
        """Read samples written by :meth:`save`.

        Raises
        ------
        ValueError
            If the file cannot be read or lacks one of the arrays.
        """
        arrays = read_archive(path, "latent samples", "topograph filltune sample")
        missing = {"samples", "neighbours", "radius", "box", "seed"} - set(arrays)
        if missing:
            raise ValueError(
                f"latent samples '{path}' lack the arrays {sorted(missing)}; write "
                "them with `topograph filltune sample`"
            )
        return cls(
            samples=arrays["samples"],
            neighbours=arrays["neighbours"],
            radius=float(arrays["radius"]),
            low=float(arrays["box"][0]),
            high=float(arrays["box"][1]),
            seed=int(arrays["seed"]),
        )


def latin_hypercube(
    n_samples: int, dimension: int, low: float, high: float, rng: np.random.Generator
) -> np.ndarray:
    """Draw a scrambled Latin-hypercube sample of ``[low, high]^dimension``."""
    unit = qmc.LatinHypercube(d=dimension, rng=rng).random(n_samples)
    return low + (high - low) * unit


def sphere_neighbours(
    centres: np.ndarray, n_neighbours: int, radius: float, rng: np.random.Generator
) -> np.ndarray:
    """Return ``n_neighbours`` points at distance ``radius`` around each centre.

    Directions are uniform on the unit sphere. Returns an array of shape
    ``(n, n_neighbours, d)``.
    """
    n, dimension = centres.shape
    directions = rng.standard_normal((n, n_neighbours, dimension))
    norms = np.linalg.norm(directions, axis=2, keepdims=True)
    # A zero vector has probability zero, but a redraw keeps the radius exact.
    while np.any(norms == 0):
        zero = norms[..., 0] == 0
        directions[zero] = rng.standard_normal((int(zero.sum()), dimension))
        norms = np.linalg.norm(directions, axis=2, keepdims=True)
    return centres[:, None, :] + radius * directions / norms


def sample_latent_box(
    n_samples: int = 5000,
    dimension: int = 128,
    n_neighbours: int = 10,
    radius: float = 0.05,
    low: float = -1.0,
    high: float = 1.0,
    seed: int = 0,
) -> LatentSamples:
    """Draw Latin-hypercube samples of the latent box with sphere neighbours.

    Parameters
    ----------
    n_samples, dimension, n_neighbours : int
        Sizes, all at least 1.
    radius : float
        Distance of every neighbour from its sample, positive.
    low, high : float
        The box ``[low, high]^dimension``, with ``low < high``.
    seed : int
        Seed of the one generator that draws the samples, then the
        directions.

    Returns
    -------
    LatentSamples
    """
    for name, value in (
        ("n_samples", n_samples),
        ("dimension", dimension),
        ("n_neighbours", n_neighbours),
    ):
        if (
            isinstance(value, bool)
            or not isinstance(value, (int, np.integer))
            or value < 1
        ):
            raise ValueError(f"{name} must be a positive integer; got {value!r}")
    if not (np.isfinite(radius) and radius > 0):
        raise ValueError(f"radius must be a finite positive number; got {radius!r}")
    if not (np.isfinite(low) and np.isfinite(high) and low < high):
        raise ValueError(
            f"the latent box [{low}, {high}] is invalid; give finite low < high"
        )
    if radius >= high - low:
        # Neighbours that far away leave the box and share nothing local with
        # their sample, so the response no longer measures local roughness.
        logger.warning(
            "the neighbour radius %g is not smaller than the box width %g; "
            "the published setting is 0.05 for the box [-1, 1]",
            radius, high - low,
        )  # fmt: skip

    rng = np.random.default_rng(seed)
    samples = latin_hypercube(int(n_samples), int(dimension), low, high, rng)
    neighbours = sphere_neighbours(samples, int(n_neighbours), float(radius), rng)
    return LatentSamples(
        samples, neighbours, float(radius), float(low), float(high), int(seed)
    )

"""Time the landscape step of fill-tuning at the published scale.

The fill-tuning pipeline maps a thin-plate RBF surface fitted to 5000
responses in the 128-dimensional latent box. It basin-hops from every data
point (5 steps at T = 100, step size 0.05, in units where inputs and
response are scaled to [0, 1]) and searches transition states between each
minimum and its 12 nearest minima, one attempt per pair. This script runs
that step with the engine's own code, the functions behind
``topograph landscape explore`` and ``topograph landscape connect``, on a
seeded synthetic response and times each phase:

- ``fit``: building the interpolant (the saddle-point solve);
- ``basin_hopping``: the lockstep chains, with the database insertion and
  the Hessian log product of each new minimum;
- ``transition_states``: elastic bands, eigenvector-following and the
  descents that connect each transition state to its minima.

The synthetic response imitates the mean Tanimoto similarity of decoded
neighbours: a sum of random plane waves over the latent box plus Gaussian
noise, clipped to [0, 1]. ``--responses`` takes a measured response table
instead, such as one written by ``topograph filltune response``. Run it as::

    .venv/bin/python benchmarks/filltune_landscape_scale.py --points 500
    .venv/bin/python benchmarks/filltune_landscape_scale.py  # 5000 x 128
    .venv/bin/python benchmarks/filltune_landscape_scale.py --responses response.npy

BLAS threads follow the environment (``OPENBLAS_NUM_THREADS`` and the
like). It prints the phase times, the total, the minimum and transition-state
counts and whether the total is under one hour, and writes them as JSON to
``--output``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from scipy.stats import qmc

# The published landscape step (fill-tuning of SELFIES-TED).
PUBLISHED_POINTS = 5000
PUBLISHED_DIMENSION = 128
ONE_HOUR_SECONDS = 3600.0
THREAD_VARIABLES = (
    "OMP_NUM_THREADS",
    "OPENBLAS_NUM_THREADS",
    "MKL_NUM_THREADS",
)


def parse_arguments(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--points", type=int, default=PUBLISHED_POINTS,
        help=f"data points of the surface (default {PUBLISHED_POINTS})",
    )  # fmt: skip
    parser.add_argument(
        "--dimension", type=int, default=PUBLISHED_DIMENSION,
        help=f"dimension of the latent box (default {PUBLISHED_DIMENSION})",
    )  # fmt: skip
    parser.add_argument(
        "--steps", type=int, default=5, help="basin-hopping steps per chain"
    )
    parser.add_argument(
        "--temperature",
        type=float,
        default=100.0,
        help="Metropolis temperature, scaled response units",
    )
    parser.add_argument(
        "--step-size",
        type=float,
        default=0.05,
        help="basin-hopping step size, scaled input units",
    )
    parser.add_argument(
        "--neighbours",
        type=int,
        default=12,
        help="nearest minima paired with each minimum",
    )
    parser.add_argument(
        "--join-components", action="store_true",
        help="also search pairs that join disconnected components (not part of the published step)",
    )  # fmt: skip
    parser.add_argument(
        "--backend",
        choices=("numpy", "torch"),
        default="numpy",
        help="array backend of the interpolant",
    )
    parser.add_argument(
        "--device",
        default="cpu",
        help="torch device, such as cuda (with --backend torch)",
    )
    parser.add_argument(
        "--noise",
        type=float,
        default=0.1,
        help="standard deviation of the response noise",
    )
    parser.add_argument(
        "--seed", type=int, default=0, help="seed of the data and of basin-hopping"
    )
    parser.add_argument(
        "--responses", type=Path, default=None,
        help="response table (.npy, latents then the response column) written by"
        " `topograph filltune response`, used in place of the synthetic response;"
        " --points and --dimension then come from the table",
    )  # fmt: skip
    parser.add_argument(
        "--workdir", type=Path, default=None,
        help="folder for the data table and databases (default: a temporary folder)",
    )  # fmt: skip
    parser.add_argument(
        "--output", type=Path, default=None,
        help="JSON file of the results (default: benchmarks/results/filltune_landscape_<points>x<dimension>.json)",
    )  # fmt: skip

    arguments = parser.parse_args(argv)
    if arguments.responses is not None:
        table = np.load(arguments.responses)
        if table.ndim != 2 or table.shape[1] < 2:
            parser.error(f"--responses {arguments.responses} has shape {table.shape}; expected (points, dimension + 1)")
        arguments.points, arguments.dimension = table.shape[0], table.shape[1] - 1
    for name in ("points", "dimension", "neighbours"):
        if getattr(arguments, name) < 1:
            parser.error(f"--{name} must be a positive integer")
    if arguments.points < arguments.dimension + 1:
        parser.error(
            f"--points {arguments.points} is below dimension + 1 = "
            f"{arguments.dimension + 1}, which the RBF polynomial tail needs"
        )
    return arguments


def synthetic_responses(
    n_points: int, dimension: int, seed: int, noise: float, waves: int = 12
) -> tuple[np.ndarray, np.ndarray]:
    """Draw Latin-hypercube latents in [−1, 1]^d and a noisy smooth response.

    The response is ``0.5 + 0.15 Σ_m cos(π k_m · x + φ_m) / √waves`` with
    unit directions ``k_m``, plus Gaussian noise of standard deviation
    ``noise``, clipped to [0, 1] as a mean similarity is.
    """
    rng = np.random.default_rng([seed, n_points, dimension])
    unit = qmc.LatinHypercube(d=dimension, seed=rng).random(n_points)
    latents = qmc.scale(unit, -np.ones(dimension), np.ones(dimension))
    directions = rng.normal(size=(waves, dimension))
    directions /= np.linalg.norm(directions, axis=1, keepdims=True)
    phases = rng.uniform(0.0, 2.0 * np.pi, size=waves)
    smooth = np.cos(np.pi * latents @ directions.T + phases).sum(axis=1)
    response = 0.5 + 0.15 * smooth / np.sqrt(waves)
    response += rng.normal(scale=noise, size=n_points)
    return latents, np.clip(response, 0.0, 1.0)


def landscape_spec(table: Path, arguments: argparse.Namespace) -> dict:
    """Return the fill-tuning landscape description for the data table."""
    from topograph.landscape.spec import validate_spec

    spec = {
        "potential": {
            "potential": "rbf_interpolant",
            "parameters": {
                "data": str(table),
                "smoothing": 1.0e-4,
                "scale": True,
                "bounds": "data",
            },
            "backend": arguments.backend,
            "device": arguments.device,
        },
        "explore": {
            "starts": "data",
            "steps": arguments.steps,
            "temperature": arguments.temperature,
            "step_size": arguments.step_size,
            "shards": 1,
            "seed": arguments.seed,
            "checkpoint_every": max(arguments.steps, 1),
        },
        "connect": {
            "neighbours": arguments.neighbours,
            "max_attempts": 1,
            "rounds": 1,
            "join_components": arguments.join_components,
            "neb_images": 10,
        },
        "database": {"energy_tolerance": 1.0e-7, "distance_tolerance": 1.0e-3},
    }
    return validate_spec(spec, source="fill-tuning benchmark landscape")


def run_benchmark(arguments: argparse.Namespace, workdir: Path) -> dict:
    """Fit, explore and connect the synthetic landscape and time each phase."""
    from topograph.database.pairs import select_pairs
    from topograph.landscape.connect import connect_landscape
    from topograph.landscape.explore import explore_shard
    from topograph.potentials.registry import build_potential

    table = workdir / "responses.npy"
    if arguments.responses is not None:
        np.save(table, np.load(arguments.responses))
    else:
        latents, response = synthetic_responses(
            arguments.points, arguments.dimension, arguments.seed, arguments.noise
        )
        np.save(table, np.column_stack([latents, response]))
    spec = landscape_spec(table, arguments)
    minima_path = workdir / "minima.npz"
    landscape_path = workdir / "landscape.npz"

    started = time.perf_counter()
    build_potential(spec["potential"])
    fitted = time.perf_counter()
    # explore and connect each build the interpolant again, so their times
    # include one fit each, as the two workflow jobs do.
    minima = explore_shard(spec, shard=0, shards=1, output=minima_path, restart=True)
    explored = time.perf_counter()
    pairs = len(
        select_pairs(
            minima, neighbours=arguments.neighbours, attempts={}, max_attempts=1
        )
    )
    landscape = connect_landscape(spec, minima_path, landscape_path, restart=True)
    connected = time.perf_counter()

    fit_seconds = fitted - started
    total = connected - fitted
    return {
        "points": arguments.points,
        "dimension": arguments.dimension,
        "steps": arguments.steps,
        "temperature": arguments.temperature,
        "step_size": arguments.step_size,
        "neighbours": arguments.neighbours,
        "join_components": arguments.join_components,
        "seed": arguments.seed,
        "noise": None if arguments.responses else arguments.noise,
        "responses": str(arguments.responses) if arguments.responses else "synthetic",
        "backend": arguments.backend,
        "device": arguments.device,
        "seconds_fit": fit_seconds,
        "seconds_basin_hopping": explored - fitted,
        "seconds_transition_states": connected - explored,
        "seconds_total": total,
        "under_one_hour": total < ONE_HOUR_SECONDS,
        "nearest_neighbour_pairs": pairs,
        "seconds_per_pair": (connected - explored) / pairs if pairs else None,
        "minima_after_basin_hopping": minima.n_minima,
        "minima": landscape.n_minima,
        "bound_minima": int(landscape.minima.on_bounds.sum()),
        "transition_states": landscape.n_transition_states,
        "machine": {
            "processor": platform.processor() or platform.machine(),
            "cores": os.cpu_count(),
            "threads": {name: os.environ.get(name) for name in THREAD_VARIABLES},
            "python": sys.version.split()[0],
            "numpy": np.__version__,
        },
    }


def format_report(result: dict) -> str:
    """Return the human-readable summary printed at the end of a run."""
    verdict = "under" if result["under_one_hour"] else "NOT under"
    return "\n".join(
        [
            f"fill-tuning landscape: {result['points']} points in "
            f"{result['dimension']} dimensions",
            f"  fit (one interpolant)      {result['seconds_fit']:10.1f} s",
            f"  basin-hopping              {result['seconds_basin_hopping']:10.1f} s",
            f"  transition states          {result['seconds_transition_states']:10.1f} s",
            f"  nearest-neighbour pairs    {result['nearest_neighbour_pairs']:10d}"
            + (
                f", {result['seconds_per_pair']:.2f} s per pair"
                if result["seconds_per_pair"] is not None
                else ""
            ),
            f"  total (explore + connect)  {result['seconds_total']:10.1f} s, "
            f"{verdict} one hour",
            f"  minima after basin-hopping {result['minima_after_basin_hopping']}, "
            f"after connecting {result['minima']} ({result['bound_minima']} on the "
            f"bounds), transition states {result['transition_states']}",
        ]
    )


def main(argv=None) -> int:
    arguments = parse_arguments(argv)
    import logging

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s")
    output = arguments.output or (
        Path(__file__).resolve().parent
        / "results"
        / f"filltune_landscape_{arguments.points}x{arguments.dimension}"
        f"{'_measured' if arguments.responses else ''}.json"
    )
    if arguments.workdir is not None:
        arguments.workdir.mkdir(parents=True, exist_ok=True)
        result = run_benchmark(arguments, arguments.workdir)
    else:
        with tempfile.TemporaryDirectory() as directory:
            result = run_benchmark(arguments, Path(directory))
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(result, indent=2), encoding="utf-8")
    print(format_report(result))
    print(f"results written to {output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

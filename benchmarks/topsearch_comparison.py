"""Time topograph against TopSearch 0.0.3 on the same RBF landscapes.

For each input dimension the script

1. draws a seeded synthetic data set: Latin-hypercube inputs and a smooth
   multi-modal response (a sum of random plane waves), both scaled to
   [0, 1];
2. runs TopSearch's own pipeline on it (``topsearch_runner.py``): thin-plate
   RBF interpolation with smoothing, basin-hopping from every data point,
   then nudged elastic band and hybrid eigenvector-following between each
   minimum and its nearest minima. It runs in a subprocess of the separate
   virtual environment ``benchmarks/.envs/topsearch``, which is built on
   first use with ``topsearch==0.0.3`` from the package index, because
   topograph never depends on TopSearch;
3. runs topograph's ``landscape`` pipeline, the code behind
   ``topograph landscape explore`` and ``topograph landscape connect``, on
   the same data with the same smoothing, basin-hopping steps, temperature,
   step size, duplicate tolerances and number of nearest-minima pairs;
4. prints the wall-time ratio TopSearch / topograph with the minimum and
   transition-state counts of both, and writes every number to a JSON file.

Each program runs in its own subprocess with ``--blas-threads`` BLAS and
OpenMP threads. Wall times are taken inside the subprocess and cover fitting
the interpolant, basin-hopping and the transition-state searches, but not
interpreter start-up and imports. TopSearch runs its connection attempts in
``--topsearch-processes`` worker processes, and topograph runs in one
process.

The defaults (300 points in 2, 8 and 32 dimensions, 5 steps, 12 neighbours)
took 3 to 4 minutes on 2 CPU cores, nearly all of it in TopSearch. Larger
cases are a command-line option away, for example::

    python benchmarks/topsearch_comparison.py --dimensions 128 --points 5000 \\
        --topsearch-timeout 86400
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import os
import platform
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
from scipy.stats import qmc

logger = logging.getLogger("topsearch_comparison")

BENCHMARKS = Path(__file__).resolve().parent
REPOSITORY = BENCHMARKS.parent
TOPSEARCH_VERSION = "0.0.3"

# TopSearch's data-set examples call two minima the same when they are
# within 0.02 of the box range of each other and within 0.05 in energy.
# topograph's database gets the same tolerances, so both count alike.
ENERGY_TOLERANCE = 0.05
DISTANCE_TOLERANCE = 0.02
# TopSearch stops a quench when the largest projected gradient component is
# below 1e-4. topograph tests the root-mean-square gradient, so its
# tolerance is divided by sqrt(d) below to make its test at least as strict.
TOPSEARCH_GRADIENT_TOLERANCE = 1e-4
# TopSearch's StandardPerturbation(max_displacement=1.0,
# proportional_distance=True) moves every coordinate by up to half the box.
STEP_SIZE = 0.5
# Counts compared in the printed table, in its column order.
COUNT_KEYS = ("minima", "bounds_minima", "transition_states")
THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


def parse_arguments(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0],
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument(
        "--dimensions", type=int, nargs="+", default=[2, 8, 32],
        help="input dimensions, one case each",
    )  # fmt: skip
    parser.add_argument(
        "--points", type=int, nargs="+", default=[300],
        help="data points per case: one value for all cases or one per dimension",
    )  # fmt: skip
    parser.add_argument(
        "--steps", type=int, default=5,
        help="basin-hopping steps from every data point",
    )  # fmt: skip
    parser.add_argument(
        "--temperature", type=float, default=100.0,
        help="Metropolis temperature, in units of the scaled response",
    )  # fmt: skip
    parser.add_argument(
        "--neighbours", type=int, default=12,
        help="nearest minima paired with each minimum for transition-state searches",
    )  # fmt: skip
    parser.add_argument(
        "--smoothing", type=float, default=1e-4,
        help="smoothing of the thin-plate RBF interpolant",
    )  # fmt: skip
    parser.add_argument(
        "--waves", type=int, default=12,
        help="plane waves summed in the synthetic response",
    )  # fmt: skip
    parser.add_argument(
        "--cycles", type=float, default=3.0,
        help="wave number of each plane wave, in cycles per unit length",
    )  # fmt: skip
    parser.add_argument("--seed", type=int, default=0, help="seed of data and searches")
    parser.add_argument(
        "--topsearch-processes", type=int, default=os.cpu_count() or 1,
        help="worker processes for TopSearch's connection attempts",
    )  # fmt: skip
    parser.add_argument(
        "--topsearch-timeout", type=float, default=None,
        help="seconds after which a TopSearch case is stopped and reported as "
        "timed out (default: no limit)",
    )  # fmt: skip
    parser.add_argument(
        "--neb-images", type=int, default=None,
        help="movable images of topograph's elastic band (default: the "
        "landscape description's default)",
    )  # fmt: skip
    parser.add_argument(
        "--blas-threads", type=int, default=1,
        help="BLAS and OpenMP threads in each process of both programs",
    )  # fmt: skip
    parser.add_argument(
        "--environment", type=Path, default=BENCHMARKS / ".envs" / "topsearch",
        help="virtual environment for TopSearch, created when missing",
    )  # fmt: skip
    parser.add_argument(
        "--base-python", default=sys.executable,
        help="interpreter that creates the TopSearch environment (TopSearch "
        "0.0.3 needs Python 3.10 to 3.12)",
    )  # fmt: skip
    parser.add_argument(
        "--output", type=Path,
        default=BENCHMARKS / "results" / "topsearch_comparison.json",
        help="JSON file of results; each case's files go to a folder beside it",
    )  # fmt: skip
    # Internal: run topograph on one case whose data the parent process wrote.
    parser.add_argument(
        "--topograph-case", type=int, nargs=2, metavar=("DIMENSION", "POINTS"),
        help=argparse.SUPPRESS,
    )  # fmt: skip
    arguments = parser.parse_args(argv)

    if len(arguments.points) == 1:
        arguments.points = arguments.points * len(arguments.dimensions)
    if len(arguments.points) != len(arguments.dimensions):
        parser.error(
            f"--points takes one value or one per dimension; got "
            f"{len(arguments.points)} values for {len(arguments.dimensions)} dimensions"
        )
    for dimension, points in zip(arguments.dimensions, arguments.points):
        if dimension < 1:
            parser.error(f"--dimensions must be positive, got {dimension}")
        if points < dimension + 1:
            parser.error(
                f"{points} points cannot fit an interpolant in {dimension} "
                f"dimensions; pass --points of at least {dimension + 1}"
            )
    return arguments


def topsearch_python(environment: Path) -> Path:
    return environment / "bin" / "python"


def installed_topsearch_version(python: Path) -> str | None:
    """Return the TopSearch version importable by ``python``, or None."""
    if not python.exists():
        return None
    probe = (
        "import importlib.metadata, topsearch.sampling.exploration; "
        "print(importlib.metadata.version('topsearch'))"
    )
    completed = subprocess.run(
        [str(python), "-c", probe], capture_output=True, text=True, check=False
    )
    return completed.stdout.strip() if completed.returncode == 0 else None


def ensure_topsearch_environment(environment: Path, base_python: str) -> Path:
    """Create the TopSearch environment unless it already contains TopSearch 0.0.3.

    pip resolves TopSearch's own dependency pins inside that environment, with
    the project's constraints file so that nothing there pulls an unpinned
    torch.

    Returns
    -------
    Path
        The environment's Python interpreter.
    """
    python = topsearch_python(environment)
    if installed_topsearch_version(python) == TOPSEARCH_VERSION:
        logger.info("using TopSearch %s in %s", TOPSEARCH_VERSION, environment)
        return python

    logger.info("installing TopSearch %s into %s", TOPSEARCH_VERSION, environment)
    if not python.exists():
        subprocess.run([base_python, "-m", "venv", str(environment)], check=True)
    install = [
        str(python), "-m", "pip", "install", "--quiet",
        "--constraint", str(REPOSITORY / "constraints.txt"),
        f"topsearch=={TOPSEARCH_VERSION}",
    ]  # fmt: skip
    subprocess.run(install, check=True)

    version = installed_topsearch_version(python)
    if version != TOPSEARCH_VERSION:
        raise RuntimeError(
            f"TopSearch {TOPSEARCH_VERSION} is not importable in {environment} after "
            f"installation (found {version!r}); delete that folder and rerun, or "
            "check that --base-python is Python 3.10 to 3.12"
        )
    return python


def make_dataset(
    dimension: int, n_points: int, seed: int, waves: int = 12, cycles: float = 3.0
) -> tuple[np.ndarray, np.ndarray]:
    """Draw a synthetic data set with a smooth multi-modal response.

    The inputs are a scrambled Latin-hypercube sample of the unit cube. The
    response is ``Σ_m a_m cos(2π k_m · x + φ_m)`` with directions ``k_m``
    uniform on the sphere and of length ``cycles``, amplitudes ``a_m`` in
    [0.5, 1] and phases ``φ_m`` in [0, 2π). Inputs (per column) and response
    are then scaled to [0, 1] by their minimum and maximum.

    Returns
    -------
    inputs : ndarray, shape (n_points, dimension)
    response : ndarray, shape (n_points,)
    """
    rng = np.random.default_rng([seed, dimension])
    inputs = qmc.LatinHypercube(d=dimension, seed=rng).random(n_points)

    directions = rng.normal(size=(waves, dimension))
    directions *= cycles / np.linalg.norm(directions, axis=1, keepdims=True)
    amplitudes = rng.uniform(0.5, 1.0, size=waves)
    phases = rng.uniform(0.0, 2.0 * np.pi, size=waves)
    response = np.cos(2.0 * np.pi * inputs @ directions.T + phases) @ amplitudes

    low, high = inputs.min(axis=0), inputs.max(axis=0)
    inputs = (inputs - low) / (high - low)
    response = (response - response.min()) / (response.max() - response.min())
    return inputs, response


def write_dataset(directory: Path, inputs: np.ndarray, response: np.ndarray) -> dict:
    """Write the data set for both programs and return the file paths.

    TopSearch's ``ModelData`` reads two text files, and topograph reads one
    ``.npy`` table whose last column is the response. ``%.17g`` keeps every
    float64 exact, so both fit the same numbers.
    """
    directory.mkdir(parents=True, exist_ok=True)
    paths = {
        "inputs": directory / "inputs.txt",
        "response": directory / "response.txt",
        "table": directory / "data.npy",
    }
    np.savetxt(paths["inputs"], inputs, fmt="%.17g")
    np.savetxt(paths["response"], response, fmt="%.17g")
    np.save(paths["table"], np.column_stack([inputs, response]))
    return paths


def thread_environment(threads: int) -> dict:
    """Return this process's environment with BLAS and OpenMP threads set.

    Both programs run in subprocesses with the same setting. On a 2-core
    machine shared with other jobs, two OpenBLAS threads made topograph's
    small matrix products several times slower and its times vary from run
    to run, and TopSearch's worker processes would oversubscribe the cores.
    """
    return {**os.environ, **{name: str(threads) for name in THREAD_VARIABLES}}


def case_directory(
    arguments: argparse.Namespace, dimension: int, n_points: int
) -> Path:
    """Return the folder of one case's data and outputs."""
    return arguments.output.with_suffix("") / f"d{dimension}_n{n_points}"


def run_topsearch(
    python: Path, paths: dict, directory: Path, arguments: argparse.Namespace
) -> dict:
    """Run ``topsearch_runner.py`` on one data set and return its results."""
    output = directory / "topsearch.json"
    output.unlink(missing_ok=True)

    command = [
        str(python), str(BENCHMARKS / "topsearch_runner.py"),
        "--training", str(paths["inputs"]),
        "--response", str(paths["response"]),
        "--output", str(output),
        "--workdir", str(directory / "topsearch"),
        "--smoothing", repr(arguments.smoothing),
        "--steps", str(arguments.steps),
        "--temperature", repr(arguments.temperature),
        "--neighbours", str(arguments.neighbours),
        "--processes", str(arguments.topsearch_processes),
        "--seed", str(arguments.seed),
    ]  # fmt: skip
    started = time.perf_counter()
    # A session of its own lets a timeout stop TopSearch's worker processes
    # together with the runner.
    process = subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=thread_environment(arguments.blas_threads),
        start_new_session=True,
    )
    try:
        _, errors = process.communicate(timeout=arguments.topsearch_timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.communicate()
        logger.warning(
            "TopSearch timed out after the --topsearch-timeout of %.0f s",
            arguments.topsearch_timeout,
        )
        return {"timed_out": True, "seconds_total": arguments.topsearch_timeout}

    if process.returncode != 0:
        raise RuntimeError(
            f"TopSearch runner failed with exit status {process.returncode}:\n"
            f"{errors[-4000:]}"
        )

    result = json.loads(output.read_text(encoding="utf-8"))
    result["timed_out"] = False
    result["seconds_process"] = time.perf_counter() - started
    return result


def topograph_spec(
    table: Path, dimension: int, arguments: argparse.Namespace
) -> dict:
    """Return the landscape description equivalent to the TopSearch run."""
    from topograph.landscape.spec import validate_spec

    connect = {
        "neighbours": arguments.neighbours,
        # TopSearch's ClosestEnumeration tries each pair once, in one round,
        # and does not add pairs that join disconnected components.
        "max_attempts": 1,
        "rounds": 1,
        "join_components": False,
    }
    if arguments.neb_images is not None:
        connect["neb_images"] = arguments.neb_images
    spec = {
        "potential": {
            "potential": "rbf_interpolant",
            "parameters": {
                "data": str(table),
                "smoothing": arguments.smoothing,
                "bounds": [0.0, 1.0],
            },
        },
        "explore": {
            "starts": "data",
            "steps": arguments.steps,
            "temperature": arguments.temperature,
            "step_size": STEP_SIZE,
            "adapt_step_size": False,
            "shards": 1,
            "seed": arguments.seed,
            "checkpoint_every": max(arguments.steps, 1),
            "gradient_tolerance": TOPSEARCH_GRADIENT_TOLERANCE / math.sqrt(dimension),
        },
        "connect": connect,
        "database": {
            "energy_tolerance": ENERGY_TOLERANCE,
            "distance_tolerance": DISTANCE_TOLERANCE,
            "keep_bound_minima": True,
        },
    }
    return validate_spec(spec, source="benchmark landscape description")


def time_topograph_case(
    dimension: int, n_points: int, arguments: argparse.Namespace
) -> dict:
    """Run topograph's explore and connect steps on one case and time them.

    This runs in the subprocess that :func:`run_topograph` starts, on the
    data that the parent process wrote, and writes ``topograph.json`` to the
    case's folder.
    """
    from topograph.landscape.connect import connect_landscape
    from topograph.landscape.explore import explore_shard

    case = case_directory(arguments, dimension, n_points)
    spec = topograph_spec(case / "data.npy", dimension, arguments)
    directory = case / "topograph"
    directory.mkdir(parents=True, exist_ok=True)
    minima_path = directory / "minima.npz"
    landscape_path = directory / "landscape.npz"

    started = time.perf_counter()
    minima = explore_shard(spec, shard=0, shards=1, output=minima_path, restart=True)
    explored = time.perf_counter()
    landscape = connect_landscape(spec, minima_path, landscape_path, restart=True)
    connected = time.perf_counter()

    result = {
        "package": "topograph",
        "seconds_basin_hopping": explored - started,
        "seconds_transition_states": connected - explored,
        "seconds_total": connected - started,
        "minima_after_basin_hopping": minima.n_minima,
        "bounds_minima_after_basin_hopping": int(minima.minima.on_bounds.sum()),
        "minima": landscape.n_minima,
        "bounds_minima": int(landscape.minima.on_bounds.sum()),
        "transition_states": landscape.n_transition_states,
        "spec": spec,
    }
    (case / "topograph.json").write_text(json.dumps(result, indent=2), encoding="utf-8")
    return result


def run_topograph(dimension: int, n_points: int, arguments: argparse.Namespace) -> dict:
    """Time topograph on one case in a subprocess and return its results."""
    output = case_directory(arguments, dimension, n_points) / "topograph.json"
    output.unlink(missing_ok=True)
    command = [
        sys.executable, str(Path(__file__).resolve()),
        "--smoothing", repr(arguments.smoothing),
        "--steps", str(arguments.steps),
        "--temperature", repr(arguments.temperature),
        "--neighbours", str(arguments.neighbours),
        "--seed", str(arguments.seed),
        "--output", str(arguments.output),
        "--topograph-case", str(dimension), str(n_points),
    ]  # fmt: skip
    if arguments.neb_images is not None:
        command += ["--neb-images", str(arguments.neb_images)]

    completed = subprocess.run(
        command,
        capture_output=True,
        text=True,
        env=thread_environment(arguments.blas_threads),
        check=False,
    )
    if completed.returncode != 0:
        raise RuntimeError(
            f"topograph failed on d = {dimension} with exit status "
            f"{completed.returncode}:\n{completed.stderr[-4000:]}"
        )
    return json.loads(output.read_text(encoding="utf-8"))


def describe_machine() -> dict:
    """Return the processor, core count and library versions of this machine."""
    processor = platform.processor()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as handle:
            for line in handle:
                if line.startswith("model name"):
                    processor = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    import scipy

    return {
        "processor": processor,
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "scipy": scipy.__version__,
        "platform": platform.platform(),
    }


def describe_revision() -> str:
    """Return the checkout's git commit, marked when ``src`` has uncommitted edits."""
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=REPOSITORY, capture_output=True, text=True, check=True,
        ).stdout.strip()
        edits = subprocess.run(
            ["git", "status", "--porcelain", "--", "src"],
            cwd=REPOSITORY, capture_output=True, text=True, check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown (not a git checkout)"
    return f"{commit} with uncommitted changes in src" if edits else commit


def compare(case: dict) -> dict:
    """Return the speed-up and whether topograph meets the target on one case."""
    topsearch, topograph = case["topsearch"], case["topograph"]
    ratio = topsearch["seconds_total"] / topograph["seconds_total"]
    complete = not topsearch["timed_out"]
    return {
        "speedup": ratio,
        "speedup_is_lower_bound": not complete,
        "at_least_as_many_minima": complete
        and topograph["minima"] >= topsearch["minima"],
        "at_least_as_many_transition_states": complete
        and topograph["transition_states"] >= topsearch["transition_states"],
    }


def format_table(cases: list[dict]) -> str:
    """Return Markdown tables of the totals and of the time in each stage."""
    totals = [
        "| d | points | TopSearch (s) | topograph (s) | ratio | minima | "
        "minima on bounds | transition states |",
        "|" + "---|" * 8,
    ]
    stages = [
        "| d | TopSearch basin-hopping (s) | TopSearch connection (s) | "
        "topograph basin-hopping (s) | topograph connection (s) |",
        "|" + "---|" * 5,
    ]
    for case in cases:
        topsearch, topograph = case["topsearch"], case["topograph"]
        speedup = case["comparison"]["speedup"]
        if topsearch["timed_out"]:
            topsearch_seconds = f"> {topsearch['seconds_total']:.0f} (timed out)"
            ratio = f"> {speedup:.0f}"
            counts = dict.fromkeys(COUNT_KEYS, "–")
            topsearch_stages = ["–", "–"]
        else:
            topsearch_seconds = f"{topsearch['seconds_total']:.1f}"
            ratio = f"{speedup:.0f}"
            counts = topsearch
            topsearch_stages = [
                f"{topsearch['seconds_basin_hopping']:.1f}",
                f"{topsearch['seconds_transition_states']:.1f}",
            ]
        # Count cells read "TopSearch / topograph".
        pairs = [
            f"{counts[key]} / {topograph[key]}"
            for key in COUNT_KEYS
        ]
        totals.append(
            "| "
            + " | ".join(
                [
                    str(case["dimension"]),
                    str(case["points"]),
                    topsearch_seconds,
                    f"{topograph['seconds_total']:.2f}",
                    ratio,
                    *pairs,
                ]
            )
            + " |"
        )
        stages.append(
            "| "
            + " | ".join(
                [
                    str(case["dimension"]),
                    *topsearch_stages,
                    f"{topograph['seconds_basin_hopping']:.2f}",
                    f"{topograph['seconds_transition_states']:.2f}",
                ]
            )
            + " |"
        )
    legend = "Count cells are TopSearch / topograph."
    return "\n".join(totals) + "\n\n" + legend + "\n\n" + "\n".join(stages)


def main(argv=None) -> int:
    arguments = parse_arguments(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s")
    logging.getLogger("topograph").setLevel(logging.WARNING)
    if arguments.topograph_case is not None:
        time_topograph_case(*arguments.topograph_case, arguments)
        return 0

    python = ensure_topsearch_environment(arguments.environment, arguments.base_python)
    cases = []
    for dimension, n_points in zip(arguments.dimensions, arguments.points):
        directory = case_directory(arguments, dimension, n_points)
        inputs, response = make_dataset(
            dimension, n_points, arguments.seed, arguments.waves, arguments.cycles
        )
        paths = write_dataset(directory, inputs, response)
        # Other work on the machine slows both programs. The one-minute load
        # average before and after a case shows whether it was quiet.
        load_before = os.getloadavg()[0]

        logger.info("d = %d, %d points: running TopSearch", dimension, n_points)
        topsearch = run_topsearch(python, paths, directory, arguments)
        logger.info("d = %d, %d points: running topograph", dimension, n_points)
        topograph = run_topograph(dimension, n_points, arguments)

        case = {
            "dimension": dimension,
            "points": n_points,
            "topsearch": topsearch,
            "topograph": topograph,
            "load_average": [load_before, os.getloadavg()[0]],
        }
        case["comparison"] = compare(case)
        cases.append(case)
        logger.info(
            "d = %d: TopSearch %.1f s, topograph %.2f s, ratio %.0f",
            dimension, topsearch["seconds_total"], topograph["seconds_total"],
            case["comparison"]["speedup"],
        )  # fmt: skip

    results = {
        "command": " ".join(
            ["python benchmarks/topsearch_comparison.py", *(argv or sys.argv[1:])]
        ),
        "machine": describe_machine(),
        "topograph_revision": describe_revision(),
        "settings": {
            key: (str(value) if isinstance(value, Path) else value)
            for key, value in vars(arguments).items()
        },
        "cases": cases,
    }
    arguments.output.parent.mkdir(parents=True, exist_ok=True)
    arguments.output.write_text(json.dumps(results, indent=2), encoding="utf-8")
    print(format_table(cases))
    print(f"\nresults written to {arguments.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

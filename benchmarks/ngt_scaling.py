"""Time the graph transformation against dense and sparse linear algebra.

For random connected networks of minima (points in a unit square, each
joined to its k nearest neighbours, as made by
``topograph.kinetics.random_network.random_landscape``) the script times

- ``ngt``: ``topograph.kinetics.ngt.ngt_rates`` for one minimum in A and
  one in B, which returns both rates, the mean first-passage times of every
  minimum to A and to B, and the committors;
- ``dense``: the same quantities from three ``numpy.linalg.solve`` calls on
  the dense rate matrix (MFPTs to A, MFPTs to B, committors), without
  refinement, only where three n × n float64 matrices fit in half of the
  available memory;
- ``sparse LU``: the same three systems with SuperLU
  (``scipy.sparse.linalg.splu``), for context.

It prints one row per size with the times, the ratio dense / ngt, and the
largest relative difference of the MFPTs to A from the NGT values. Run it
as ``python benchmarks/ngt_scaling.py`` (about 2 minutes on 2 cores for the
default sizes, most of it the 10k dense solves).
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np
import scipy.sparse
import scipy.sparse.linalg

from topograph.kinetics.master_equation import dense_rate_matrix
from topograph.kinetics.ngt import ngt_rates
from topograph.kinetics.random_network import random_landscape
from topograph.kinetics.rates import build_rate_network


def available_memory_bytes() -> int:
    return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")


def dense_solves(network, a, b) -> np.ndarray:
    """Return the MFPTs to A from three dense solves, as the timed baseline."""
    n = network.n_minima
    rates = dense_rate_matrix(network)
    escape = rates.sum(axis=1)

    def mfpts_to(sinks):
        rest = np.setdiff1d(np.arange(n), sinks)
        system = rates[np.ix_(rest, rest)]
        system[np.diag_indices_from(system)] -= escape[rest]
        times = np.zeros(n)
        times[rest] = np.linalg.solve(system, -np.ones(rest.size))
        return times

    times_to_a = mfpts_to(a)
    mfpts_to(b)
    rest = np.setdiff1d(np.arange(n), np.concatenate([a, b]))
    system = rates[np.ix_(rest, rest)]
    system[np.diag_indices_from(system)] -= escape[rest]
    np.linalg.solve(system, -rates[np.ix_(rest, a)].sum(axis=1))
    return times_to_a


def sparse_solves(network, a, b) -> np.ndarray:
    """Return the MFPTs to A from three SuperLU solves."""
    n = network.n_minima
    rates = scipy.sparse.csr_matrix(
        (np.exp(network.log_rates), (network.sources, network.targets)), shape=(n, n)
    )
    generator = (
        rates - scipy.sparse.diags(np.asarray(rates.sum(axis=1)).ravel())
    ).tocsr()

    def solve(free, right_hand_side):
        system = generator[free][:, free].tocsc()
        return scipy.sparse.linalg.splu(system).solve(right_hand_side)

    times_to_a = np.zeros(n)
    rest_a = np.setdiff1d(np.arange(n), a)
    times_to_a[rest_a] = solve(rest_a, -np.ones(rest_a.size))
    rest_b = np.setdiff1d(np.arange(n), b)
    solve(rest_b, -np.ones(rest_b.size))
    rest = np.setdiff1d(np.arange(n), np.concatenate([a, b]))
    solve(rest, -np.asarray(rates[rest][:, a].sum(axis=1)).ravel())
    return times_to_a


def largest_relative_difference(log_ngt: np.ndarray, reference: np.ndarray, a) -> float:
    rest = np.setdiff1d(np.arange(reference.size), a)
    return float(np.max(np.abs(np.exp(log_ngt[rest]) / reference[rest] - 1.0)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--sizes",
        type=int,
        nargs="+",
        default=[1000, 10000, 100000],
        help="numbers of minima",
    )
    parser.add_argument(
        "--neighbours",
        type=int,
        default=3,
        help="nearest neighbours joined to each minimum",
    )
    parser.add_argument(
        "--temperature", type=float, default=0.5, help="temperature in energy units"
    )
    parser.add_argument("--seed", type=int, default=0, help="seed of the networks")
    arguments = parser.parse_args()

    print(
        f"random 2-D networks, {arguments.neighbours} nearest neighbours, "
        f"T = {arguments.temperature}, {os.cpu_count()} CPUs"
    )
    header = (
        f"{'minima':>8} {'edges':>8} {'ngt s':>8} {'dense s':>9} {'dense/ngt':>9}"
        f" {'splu s':>8} {'max rel diff (dense, splu)':>28}"
    )
    print(header)
    for size in arguments.sizes:
        rng = np.random.default_rng(arguments.seed + size)
        landscape = random_landscape(size, rng, neighbours=arguments.neighbours)
        network = build_rate_network(**landscape, temperature=arguments.temperature)
        a, b = np.array([0]), np.array([size - 1])

        start = time.perf_counter()
        result = ngt_rates(network, a, b)
        ngt_seconds = time.perf_counter() - start

        start = time.perf_counter()
        sparse_times = sparse_solves(network, a, b)
        sparse_seconds = time.perf_counter() - start
        sparse_difference = largest_relative_difference(
            result.log_mfpt_to_a, sparse_times, a
        )

        needed = 3 * size * size * 8
        available = available_memory_bytes()
        if needed > available // 2:
            dense_text = f"{'skipped':>9} {'-':>9}"
            difference_text = f"{'-':>13}, {sparse_difference:.1e}"
            skipped = (
                f"  dense skipped at {size} minima: three {size} x {size} float64"
                f" matrices need {needed / 1e9:.0f} GB, more than half of the"
                f" {available / 1e9:.0f} GB available"
            )
        else:
            start = time.perf_counter()
            dense_times = dense_solves(network, a, b)
            dense_seconds = time.perf_counter() - start
            dense_difference = largest_relative_difference(
                result.log_mfpt_to_a, dense_times, a
            )
            dense_text = f"{dense_seconds:9.2f} {dense_seconds / ngt_seconds:9.1f}"
            difference_text = f"{dense_difference:13.1e}, {sparse_difference:.1e}"
            skipped = ""
        print(
            f"{size:8d} {network.sources.size // 2:8d} {ngt_seconds:8.2f} {dense_text}"
            f" {sparse_seconds:8.2f} {difference_text:>28}",
            flush=True,
        )
        if skipped:
            print(skipped)


if __name__ == "__main__":
    main()

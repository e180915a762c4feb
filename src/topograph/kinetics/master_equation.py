"""Reference solutions of the master equation by linear algebra.

These solve the first-passage equations directly, in float64, as an
independent check of the graph transformation and as the baseline of
``benchmarks/ngt_scaling.py``. For a function x on the minima, fixed on a
set S, the equations on every other minimum i are

    F_i(x) = Σ_j k_ij (x_j − x_i) + c_i = 0,

with x = 0 on A and c = 1 for the mean first-passage times to A, and x = 1
on A, x = 0 on B and c = 0 for the committors to A. In matrix form this is
M x = r with M = K − diag(Σ_j k_ij) restricted to the free minima.

Landscapes with groups of minima joined to the rest by high barriers make M
ill-conditioned (condition numbers of 1e9 are common at moderate
temperatures), because its diagonal nearly cancels its off-diagonal row
sums. A plain float64 solve then loses about nine digits. So the solution
is refined: the residual F(x) is computed in the difference form above,
which never forms the cancelling diagonal, and x ← x − M⁻¹ F(x) is repeated
with the same factorisation. Two limits remain: the rates are rounded to
float64, and rates spanning more than about 300 orders of magnitude
underflow. The graph transformation works in log space and has neither.
"""

from __future__ import annotations

import numpy as np
import scipy.linalg
import scipy.sparse
import scipy.sparse.linalg

from topograph.kinetics.rates import RateNetwork


def dense_rate_matrix(network: RateNetwork) -> np.ndarray:
    """Return K with ``K[i, j] = k_{i→j}`` as a dense float64 array."""
    matrix = np.zeros((network.n_minima, network.n_minima))
    matrix[network.sources, network.targets] = np.exp(network.log_rates)
    return matrix


def _residual(network: RateNetwork, rates: np.ndarray, x: np.ndarray, constant):
    """Return F(x) = Σ_j k_ij (x_j − x_i) + c_i for every minimum."""
    terms = rates * (x[network.targets] - x[network.sources])
    return np.bincount(network.sources, terms, network.n_minima) + constant


def solve_first_passage(
    network: RateNetwork,
    fixed: np.ndarray,
    fixed_values: np.ndarray,
    constant: float,
    *,
    dense: bool = True,
    refinement_steps: int = 4,
) -> np.ndarray:
    """Solve F(x) = 0 off ``fixed``, with x = ``fixed_values`` on ``fixed``.

    Parameters
    ----------
    network : RateNetwork
    fixed : array_like of int
        Minima where x is given.
    fixed_values : array_like of float
        The values of x there.
    constant : float
        c in F: 1 for mean first-passage times, 0 for committors.
    dense : bool, optional
        Factorise M as a dense matrix with LAPACK (as
        :func:`numpy.linalg.solve` does) or as a sparse one with SuperLU.
    refinement_steps : int, optional
        Steps of iterative refinement after the first solve; 0 returns the
        plain float64 solution.

    Returns
    -------
    ndarray, shape (n_minima,)
    """
    n = network.n_minima
    fixed = np.asarray(fixed, dtype=np.int64)
    free = np.setdiff1d(np.arange(n), fixed)
    rates = np.exp(network.log_rates)
    matrix = scipy.sparse.csr_matrix(
        (rates, (network.sources, network.targets)), shape=(n, n)
    )
    escape = np.asarray(matrix.sum(axis=1)).ravel()
    system = (matrix - scipy.sparse.diags(escape))[free][:, free]

    if dense:
        factors = scipy.linalg.lu_factor(system.toarray(), check_finite=False)

        def solve(right_hand_side):
            return scipy.linalg.lu_solve(factors, right_hand_side, check_finite=False)

    else:
        solve = scipy.sparse.linalg.splu(system.tocsc()).solve

    x = np.zeros(n)
    x[fixed] = fixed_values
    for _ in range(refinement_steps + 1):
        x[free] -= solve(_residual(network, rates, x, constant)[free])
    return x


def solve_master_equation(
    network: RateNetwork, a, b, *, dense: bool = True, refinement_steps: int = 4
) -> dict:
    """Compute rates, MFPTs and committors for A ← B by linear solves.

    Parameters
    ----------
    network : RateNetwork
        Every minimum must be connected to A and to B, or the systems are
        singular.
    a, b : array_like of int
        Minima in A and in B, disjoint.
    dense, refinement_steps
        See :func:`solve_first_passage`.

    Returns
    -------
    dict
        ``rate_ab``, ``rate_ba`` (NGT), ``rate_ab_ss``, ``rate_ba_ss``,
        ``mfpt_ab``, ``mfpt_ba`` (floats) and ``mfpt_to_a``, ``mfpt_to_b``,
        ``committor_a``, ``committor_b`` (arrays over all minima), with the
        definitions of :mod:`topograph.kinetics.ngt`.
    """
    a = np.unique(np.asarray(a, dtype=np.int64))
    b = np.unique(np.asarray(b, dtype=np.int64))
    options = {"dense": dense, "refinement_steps": refinement_steps}
    both = np.concatenate([a, b])
    mfpt_to_a = solve_first_passage(network, a, np.zeros(a.size), 1.0, **options)
    mfpt_to_b = solve_first_passage(network, b, np.zeros(b.size), 1.0, **options)
    committor_a = solve_first_passage(
        network, both, np.r_[np.ones(a.size), np.zeros(b.size)], 0.0, **options
    )
    committor_b = solve_first_passage(
        network, both, np.r_[np.zeros(a.size), np.ones(b.size)], 0.0, **options
    )

    occupations = np.exp(network.log_occupations)

    def weighted_mean(values, members):
        return float(np.sum(occupations[members] * values) / occupations[members].sum())

    def steady_state_flux(members, committors):
        # Σ_j k_ij q_j for each member i, from the edge list.
        terms = np.exp(network.log_rates) * committors[network.targets]
        return np.bincount(network.sources, terms, network.n_minima)[members]

    return {
        "rate_ab": weighted_mean(1.0 / mfpt_to_a[b], b),
        "rate_ba": weighted_mean(1.0 / mfpt_to_b[a], a),
        "rate_ab_ss": weighted_mean(steady_state_flux(b, committor_a), b),
        "rate_ba_ss": weighted_mean(steady_state_flux(a, committor_b), a),
        "mfpt_ab": weighted_mean(mfpt_to_a[b], b),
        "mfpt_ba": weighted_mean(mfpt_to_b[a], a),
        "mfpt_to_a": mfpt_to_a,
        "mfpt_to_b": mfpt_to_b,
        "committor_a": committor_a,
        "committor_b": committor_b,
    }

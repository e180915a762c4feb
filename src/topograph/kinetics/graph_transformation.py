"""Graph transformation of a Markov network in log space.

The graph-transformation method (Trygubenko and Wales, J. Chem. Phys. 124,
234110, 2006; Wales, J. Chem. Phys. 130, 204111, 2009) computes exact
first-passage properties of a Markov network by removing nodes one at a
time. Each node x carries a waiting time τ_x = 1 / Σ_k k_xk and branching
probabilities P_xj = k_xj τ_x. Removing x sends every path that went
through it directly to its neighbours: for neighbours i and j of x,

    P_ij ← P_ij + P_ix P_xj,    τ_i ← τ_i + P_ix τ_x,

and the new self-loop P_ix P_xi of i is removed by dividing the row of i
and τ_i by 1 − P_ii. The mean first-passage times into the kept nodes, and
the probabilities of reaching each kept node first, do not change.

Two choices keep this exact when rate constants span hundreds of orders of
magnitude. First, each row is stored unnormalised, as log weights w_ij
(initially ln k_ij) and a log time weight t_i (initially 0), with
P_ij = e^{w_ij} / Σ_k e^{w_ik} and τ_i = e^{t_i} / Σ_k e^{w_ik}. Dropping
the self-loop weight then removes the self-loop with no division, and
1 − P_xx is always the sum Σ_{k≠x} P_xk of positive terms, never a
difference. Second, every quantity is a logarithm and sums are logaddexp,
so probabilities of 1e-400 and times of 1e+400 are represented. Every step
adds positive numbers, so no cancellation occurs anywhere.

Nodes are removed in order of lowest current degree (a minimum-degree
ordering, as in sparse Cholesky factorisation), which keeps the fill-in
small on sparse networks. Rows are dicts while the degrees stay small. Once
the node to remove has more than ``dense_degree`` neighbours and at most
``dense_limit`` nodes remain, the rest is removed on a dense matrix of log
weights. There each removal still updates only the block of its neighbours,
but in one vectorised step.

When a node is removed its normalised row is recorded. Processing the
records in reverse order is a back-substitution: with T_j known for the
nodes removed after x, the mean first-passage time is
T_x = τ_x + Σ_j P_xj T_j, and the committor is q_x = Σ_j P_xj q_j.
"""

from __future__ import annotations

import heapq
import logging
import math

import numpy as np

from topograph.kinetics.rates import RateNetwork

logger = logging.getLogger(__name__)

NEGATIVE_INFINITY = -math.inf

# Defaults for switching to the dense tail. A 4096 x 4096 float64 matrix
# takes 134 MB.
DENSE_DEGREE = 32
DENSE_LIMIT = 4096

# A removal record: node, its neighbours at removal, the log branching
# probabilities to them, and the log waiting time.
Record = tuple[int, list[int], list[float], float]


def log_sum(values) -> float:
    """Return ln Σ exp(values) of a non-empty sequence of finite values."""
    top = max(values)
    return top + math.log(sum(math.exp(value - top) for value in values))


def build_rows(
    network: RateNetwork, nodes: np.ndarray
) -> tuple[dict[int, dict[int, float]], dict[int, float]]:
    """Build the log-weight rows of the sub-network on ``nodes``.

    Returns
    -------
    rows : dict
        ``rows[i][j] = ln k_ij`` for the edges between listed nodes.
    log_times : dict
        ``log_times[i] = 0.0``, the log time weight of each listed node.
    """
    inside = np.zeros(network.n_minima, dtype=bool)
    inside[nodes] = True
    keep = inside[network.sources] & inside[network.targets]
    rows: dict[int, dict[int, float]] = {int(i): {} for i in nodes}
    for i, j, log_rate in zip(
        network.sources[keep].tolist(),
        network.targets[keep].tolist(),
        network.log_rates[keep].tolist(),
    ):
        rows[i][j] = log_rate
    log_times = {int(i): 0.0 for i in nodes}
    return rows, log_times


def _no_neighbour_error(x: int) -> RuntimeError:
    return RuntimeError(
        f"minimum {x} has no neighbour left while being removed, so its"
        f" connected component contains no kept minimum"
    )


def eliminate(
    rows: dict[int, dict[int, float]],
    log_times: dict[int, float],
    nodes,
    frozen: set[int] | frozenset[int] = frozenset(),
    *,
    dense_degree: int = DENSE_DEGREE,
    dense_limit: int = DENSE_LIMIT,
) -> list[Record]:
    """Remove ``nodes`` from the network by graph transformation.

    Parameters
    ----------
    rows, log_times : dict
        Unnormalised log rows and log time weights, modified in place: the
        removed nodes are deleted and their neighbours updated.
    nodes : iterable of int
        Nodes to remove; the order is chosen by minimum current degree,
        with ties broken by the lower node index.
    frozen : set of int, optional
        Kept nodes whose rows are not needed afterwards (absorbing nodes),
        so they are not updated.
    dense_degree, dense_limit : int, optional
        Switch to the dense tail when the next node has more than
        ``dense_degree`` neighbours and at most ``dense_limit`` nodes
        remain. ``dense_limit=0`` keeps the dict rows throughout.

    Returns
    -------
    list of Record
        One record per removed node, in removal order.

    Raises
    ------
    RuntimeError
        If a node has no neighbour left when it is removed, which happens
        only when its component contains no kept node.
    """
    heap = [(len(rows[x]), x) for x in nodes]
    heapq.heapify(heap)
    pending = {x for _, x in heap}
    records: list[Record] = []

    while heap:
        degree, x = heapq.heappop(heap)
        if x not in pending:
            continue
        row_x = rows[x]
        if len(row_x) != degree:
            heapq.heappush(heap, (len(row_x), x))
            continue
        if not row_x:
            raise _no_neighbour_error(x)
        if degree > dense_degree and len(rows) + len(frozen) <= dense_limit:
            logger.debug(
                "graph transformation: %d nodes left to remove on a dense matrix",
                len(pending),
            )
            _eliminate_dense(rows, log_times, pending, frozen, records)
            return records

        # Normalise the row of x: 1 − P_xx is the sum of its other branches.
        neighbours = list(row_x)
        log_total = log_sum(row_x.values())
        log_probabilities = [row_x[j] - log_total for j in neighbours]
        log_tau = log_times[x] - log_total
        records.append((x, neighbours, log_probabilities, log_tau))
        del rows[x]
        del log_times[x]
        pending.discard(x)

        updated = _send_paths(
            rows, log_times, x, neighbours, log_probabilities, log_tau, frozen
        )
        for i in updated:
            if i in pending:
                heapq.heappush(heap, (len(rows[i]), i))
    return records


def _send_paths(
    rows, log_times, x, neighbours, log_probabilities, log_tau, frozen
) -> list[int]:
    """Send the paths through the removed node x to its neighbours.

    The return i → x → i is dropped, which removes the self-loop because the
    rows are unnormalised. Returns the neighbours whose rows were updated.
    """
    log1p = math.log1p
    exp = math.exp
    updated = []
    for i in neighbours:
        if i in frozen:
            continue
        updated.append(i)
        row_i = rows[i]
        log_weight = row_i.pop(x)
        old = log_times[i]
        new = log_weight + log_tau
        log_times[i] = (
            old + log1p(exp(new - old)) if old > new else new + log1p(exp(old - new))
        )
        for j, log_probability in zip(neighbours, log_probabilities):
            if j == i:
                continue
            new = log_weight + log_probability
            old = row_i.get(j)
            if old is None:
                row_i[j] = new
            elif old > new:
                row_i[j] = old + log1p(exp(new - old))
            else:
                row_i[j] = new + log1p(exp(old - new))
    return updated


def _eliminate_dense(
    rows: dict[int, dict[int, float]],
    log_times: dict[int, float],
    pending: set[int],
    frozen: set[int] | frozenset[int],
    records: list[Record],
) -> None:
    """Remove the ``pending`` nodes on a dense matrix of log weights.

    The rows of frozen nodes are left out, and their columns kept. The rows
    of the other kept nodes are written back to ``rows`` at the end.
    """
    updated = [i for i in rows if i not in frozen]
    columns = {j for i in updated for j in rows[i]}
    nodes = np.array(sorted(columns.union(updated)), dtype=np.int64)
    index = {int(node): k for k, node in enumerate(nodes)}
    size = nodes.size

    weights = np.full((size, size), -np.inf)
    times = np.full(size, np.nan)
    has_row = np.zeros(size, dtype=bool)
    for i in updated:
        k = index[i]
        row = rows[i]
        weights[k, [index[j] for j in row]] = list(row.values())
        times[k] = log_times[i]
        has_row[k] = True
    is_pending = np.zeros(size, dtype=bool)
    is_pending[[index[x] for x in pending]] = True
    degrees = np.count_nonzero(np.isfinite(weights), axis=1)

    for _ in range(len(pending)):
        candidates = np.flatnonzero(is_pending)
        x = candidates[np.argmin(degrees[candidates])]
        neighbours = np.flatnonzero(np.isfinite(weights[x]))
        if neighbours.size == 0:
            raise _no_neighbour_error(int(nodes[x]))

        values = weights[x, neighbours]
        top = values.max()
        log_total = top + math.log(np.exp(values - top).sum())
        log_probabilities = values - log_total
        log_tau = times[x] - log_total
        records.append(
            (
                int(nodes[x]),
                nodes[neighbours].tolist(),
                log_probabilities.tolist(),
                log_tau,
            )
        )
        is_pending[x] = False
        weights[x] = -np.inf

        targets = neighbours[has_row[neighbours]]
        if targets.size == 0:
            continue
        log_weight = weights[targets, x]
        weights[targets, x] = -np.inf
        times[targets] = np.logaddexp(times[targets], log_weight + log_tau)
        block = weights[np.ix_(targets, neighbours)]
        created = np.isneginf(block)
        block = np.logaddexp(block, log_weight[:, None] + log_probabilities[None, :])
        # Drop the returns i → x → i, which are the self-loops.
        diagonal = np.searchsorted(neighbours, targets)
        block[np.arange(targets.size), diagonal] = -np.inf
        created[np.arange(targets.size), diagonal] = False
        weights[np.ix_(targets, neighbours)] = block
        degrees[targets] += np.count_nonzero(created, axis=1) - 1

    for i in list(rows):
        if i in pending:
            del rows[i]
            del log_times[i]
    for i in updated:
        if i in pending:
            continue
        k = index[i]
        finite = np.flatnonzero(np.isfinite(weights[k]))
        rows[i] = dict(zip(nodes[finite].tolist(), weights[k, finite].tolist()))
        log_times[i] = float(times[k])
    pending.clear()


def back_substitute_times(records: list[Record], log_times: dict[int, float]) -> None:
    """Fill in ln T_x = ln(τ_x + Σ_j P_xj T_j) for the removed nodes.

    ``log_times`` must hold ln T of every kept node (−inf for the absorbing
    ones) and receives the removed nodes, processed in reverse order.
    """
    for x, neighbours, log_probabilities, log_tau in reversed(records):
        terms = [log_tau]
        for j, log_probability in zip(neighbours, log_probabilities):
            log_time = log_times[j]
            if log_time != NEGATIVE_INFINITY:
                terms.append(log_probability + log_time)
        log_times[x] = log_sum(terms)


def back_substitute_probabilities(
    records: list[Record], log_probabilities_out: dict[int, float]
) -> None:
    """Fill in ln q_x = ln Σ_j P_xj q_j for the removed nodes.

    ``log_probabilities_out`` must hold ln q of every kept node (−inf where
    q is 0) and receives the removed nodes, processed in reverse order.
    """
    for x, neighbours, log_probabilities, _ in reversed(records):
        terms = []
        for j, log_probability in zip(neighbours, log_probabilities):
            log_q = log_probabilities_out[j]
            if log_q != NEGATIVE_INFINITY:
                terms.append(log_probability + log_q)
        log_probabilities_out[x] = log_sum(terms) if terms else NEGATIVE_INFINITY

"""Batched elastic bands and transition-state searches against one-at-a-time runs."""

from __future__ import annotations

import numpy as np

from topograph.optimize.lbfgs import minimize_batch
from topograph.potentials.muller_brown import MullerBrown
from topograph.potentials.rbf_interpolant import RBFInterpolant
from topograph.search.neb import nudged_elastic_band, nudged_elastic_bands
from topograph.search.transition_state import find_transition_state, find_transition_states

MULLER_BROWN_MINIMA = np.array([[-0.55822363, 1.44172584], [0.6234994, 0.02803776], [-0.05001082, 0.46669411]])


def test_batched_bands_match_single_bands():
    potential = MullerBrown()
    starts = MULLER_BROWN_MINIMA[[0, 0, 1]]
    ends = MULLER_BROWN_MINIMA[[1, 2, 2]]
    batched = nudged_elastic_bands(potential, starts, ends, n_images=8, max_iterations=400)
    for start, end, band in zip(starts, ends, batched):
        single = nudged_elastic_band(potential, start, end, n_images=8, max_iterations=400)
        np.testing.assert_allclose(band.images, single.images, rtol=0, atol=1e-12)
        np.testing.assert_allclose(band.energies, single.energies, rtol=0, atol=1e-9)
        assert band.climbing_image == single.climbing_image
        assert band.iterations == single.iterations
        assert band.converged == single.converged


def test_batched_searches_match_single_searches():
    rng = np.random.default_rng(3)
    points = rng.uniform(0, 1, size=(60, 3))
    values = np.sin(6 * points[:, 0]) * np.cos(5 * points[:, 1]) + points[:, 2] ** 2
    potential = RBFInterpolant(points, values, smoothing=1e-4, bounds=(0.0, 1.0))
    quenched = minimize_batch(potential, rng.uniform(0, 1, size=(40, 3))).coordinates
    distinct = quenched[np.unique(np.round(quenched, 4), axis=0, return_index=True)[1]]
    assert len(distinct) >= 4
    starts, ends = distinct[:-1][:8], distinct[1:][:8]

    batched = find_transition_states(potential, starts, ends, n_images=6, reuse_fraction=0)
    single = [find_transition_state(potential, a, b, n_images=6) for a, b in zip(starts, ends)]
    assert [result is None for result in batched] == [result is None for result in single]
    assert any(result is not None for result in batched)
    for first, second in zip(batched, single):
        if first is None:
            continue
        assert abs(first.energy - second.energy) < 1e-10
        np.testing.assert_allclose(first.coordinates, second.coordinates, atol=1e-8)
        np.testing.assert_allclose(first.minimum1.coordinates, second.minimum1.coordinates, atol=1e-8)


def test_lanczos_failure_falls_back_to_dense(monkeypatch):
    import scipy.sparse.linalg

    from topograph.potentials.lennard_jones import LennardJonesCluster
    from topograph.search.eigenvector_following import lowest_eigenpairs

    def never_converges(*arguments, **options):
        raise scipy.sparse.linalg.ArpackNoConvergence("no convergence", np.zeros(0), np.zeros((0, 0)))

    potential = LennardJonesCluster(7)
    x = np.random.default_rng(1).normal(scale=0.8, size=21)
    expected = np.linalg.eigvalsh(potential.hessian(x))[:2]
    monkeypatch.setattr(scipy.sparse.linalg, "eigsh", never_converges)
    values, vectors = lowest_eigenpairs(potential, x, count=2, dense_dimension=4)
    np.testing.assert_allclose(values, expected, rtol=1e-10, atol=1e-10)
    assert vectors.shape == (21, 2)


def test_reused_results_find_same_saddles():
    rng = np.random.default_rng(5)
    points = rng.uniform(0, 1, size=(120, 2))
    values = np.sin(7 * points[:, 0]) * np.cos(6 * points[:, 1])
    potential = RBFInterpolant(points, values, smoothing=1e-4, bounds=(0.0, 1.0))
    quenched = minimize_batch(potential, rng.uniform(0, 1, size=(200, 2))).coordinates
    minima = quenched[np.unique(np.round(quenched, 4), axis=0, return_index=True)[1]]
    pairs = [(i, j) for i in range(len(minima)) for j in range(i + 1, len(minima))]
    starts = minima[[i for i, _ in pairs]]
    ends = minima[[j for _, j in pairs]]

    every = find_transition_states(potential, starts, ends, reuse_fraction=0)
    reused = find_transition_states(potential, starts, ends)
    saddles_every = {round(result.energy, 7) for result in every if result is not None}
    saddles_reused = {round(result.energy, 7) for result in reused if result is not None}
    assert len(saddles_every) >= 3
    assert saddles_reused == saddles_every
    assert sum(result is not None for result in reused) >= sum(result is not None for result in every)


def test_climbing_only_stops_at_settled_climber():
    potential = MullerBrown()
    full = nudged_elastic_bands(potential, MULLER_BROWN_MINIMA[[0]], MULLER_BROWN_MINIMA[[2]], n_images=8)[0]
    early = nudged_elastic_bands(
        potential, MULLER_BROWN_MINIMA[[0]], MULLER_BROWN_MINIMA[[2]], n_images=8, climbing_only=True
    )[0]
    assert early.climbing_image == full.climbing_image
    assert early.iterations <= full.iterations
    # Both climbing images lie near the saddle at (-0.822, 0.624), E = -40.665.
    for band in (full, early):
        np.testing.assert_allclose(band.images[band.climbing_image], [-0.822, 0.624], atol=2e-2)

"""Tests of the single and batched L-BFGS minimisers against SciPy and exact minima."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.optimize

from topograph.optimize.lbfgs import minimize, minimize_batch, projected_gradient
from topograph.potentials.base import Potential
from topograph.potentials.lennard_jones import LennardJonesCluster
from topograph.potentials.muller_brown import MullerBrown

# Müller–Brown minima (Müller and Brown, Theor. Chim. Acta 53, 75, 1979).
MULLER_BROWN_MINIMA = np.array([[-0.558, 1.442], [0.623, 0.028], [-0.050, 0.467]])
MULLER_BROWN_MINIMUM_ENERGIES = np.array([-146.699, -108.167, -80.768])


class Quadratic(Potential):
    """E = ½ (x − c)ᵀ A (x − c) with a random SPD matrix A."""

    def __init__(self, dimension, seed, bounded, condition=100.0):
        rng = np.random.default_rng(seed)
        self.dimension = dimension
        rotation, _ = np.linalg.qr(rng.normal(size=(dimension, dimension)))
        eigenvalues = np.geomspace(1.0, condition, dimension)
        self.matrix = (rotation * eigenvalues) @ rotation.T
        # Centres outside [-1, 1] in some coordinates put the bounded minimum
        # on the box.
        self.centre = rng.uniform(-2.0, 2.0, dimension)
        if bounded:
            self.lower_bounds = -np.ones(dimension)
            self.upper_bounds = np.ones(dimension)

    def energies_gradients(self, points):
        displacements = np.asarray(points, dtype=np.float64) - self.centre
        gradients = displacements @ self.matrix
        return 0.5 * np.einsum("ij,ij->i", displacements, gradients), gradients

    def hessian(self, x):
        return self.matrix.copy()


class CountingPotential(Potential):
    """Wraps a potential and records the number of points in each call."""

    def __init__(self, inner):
        self.inner = inner
        self.dimension = inner.dimension
        self.lower_bounds = inner.lower_bounds
        self.upper_bounds = inner.upper_bounds
        self.batch_sizes = []

    def energies_gradients(self, points):
        self.batch_sizes.append(len(points))
        return self.inner.energies_gradients(points)

    def hessian(self, x):
        return self.inner.hessian(x)


def scipy_reference(potential, start, bounds=None):
    """Minimise with SciPy's L-BFGS-B at tight tolerances, without our wrapper."""
    result = scipy.optimize.minimize(
        potential.energy_gradient,
        start,
        jac=True,
        method="L-BFGS-B",
        bounds=bounds,
        options={"gtol": 1e-10, "ftol": 0.0, "maxiter": 10_000},
    )
    return result.x, result.fun


def nearest_minimum(points):
    distances = np.linalg.norm(points[:, None, :] - MULLER_BROWN_MINIMA[None], axis=2)
    return distances.argmin(axis=1), distances.min(axis=1)


def test_batch_matches_scipy_near_muller_brown_minima():
    rng = np.random.default_rng(11)
    centres = np.repeat(MULLER_BROWN_MINIMA, 12, axis=0)
    starts = centres + rng.normal(scale=0.08, size=centres.shape)
    potential = MullerBrown()

    result = minimize_batch(potential, starts)

    assert result.converged.all()
    assert (result.gradient_norms <= 1e-6).all()
    for row, start in enumerate(starts):
        reference, reference_energy = scipy_reference(potential, start)
        np.testing.assert_allclose(result.coordinates[row], reference, atol=1e-6)
        assert result.energies[row] == pytest.approx(reference_energy, abs=1e-9)


def test_batch_reaches_published_muller_brown_minima():
    rng = np.random.default_rng(5)
    starts = rng.uniform([-1.5, -0.5], [1.2, 2.0], size=(300, 2))

    result = minimize_batch(MullerBrown(), starts)

    assert result.converged.all()
    published, distance = nearest_minimum(result.coordinates)
    assert (distance < 1e-3).all()
    np.testing.assert_allclose(
        result.energies, MULLER_BROWN_MINIMUM_ENERGIES[published], atol=1e-3
    )
    assert set(published.tolist()) == {0, 1, 2}
    assert not result.on_bounds.any()


def test_batch_makes_one_call_per_iteration():
    rng = np.random.default_rng(2)
    potential = CountingPotential(MullerBrown())
    starts = rng.uniform([-1.5, -0.5], [1.2, 2.0], size=(50, 2))

    result = minimize_batch(potential, starts)

    assert len(potential.batch_sizes) == result.evaluations
    assert potential.batch_sizes[0] == 50
    # Rows drop out as they converge, so calls never grow.
    assert all(a >= b for a, b in zip(potential.batch_sizes, potential.batch_sizes[1:]))
    assert result.evaluations <= result.iterations.max() * 3


def test_batch_unbounded_quadratic_reaches_centre():
    potential = Quadratic(32, seed=1, bounded=False)
    starts = np.random.default_rng(3).uniform(-1.0, 1.0, size=(40, 32))

    result = minimize_batch(potential, starts, gradient_tolerance=1e-8)

    assert result.converged.all()
    np.testing.assert_allclose(
        result.coordinates, np.broadcast_to(potential.centre, starts.shape), atol=1e-7
    )
    np.testing.assert_allclose(result.energies, 0.0, atol=1e-12)


def test_batch_bounded_quadratic_matches_lbfgsb():
    potential = Quadratic(32, seed=4, bounded=True)
    starts = np.random.default_rng(5).uniform(-1.0, 1.0, size=(15, 32))
    bounds = potential.bounds_list()

    result = minimize_batch(potential, starts, gradient_tolerance=1e-8)

    assert result.converged.all()
    for row, start in enumerate(starts):
        reference, reference_energy = scipy_reference(potential, start, bounds)
        np.testing.assert_allclose(result.coordinates[row], reference, atol=1e-6)
        assert result.energies[row] == pytest.approx(reference_energy, abs=1e-9)
        reference_on_bounds = np.isclose(np.abs(reference), 1.0, rtol=0, atol=1e-9)
        np.testing.assert_array_equal(result.on_bounds[row], reference_on_bounds)
    # The centre lies outside the box in several coordinates, so the minimum
    # is bound-constrained.
    assert result.bound_constrained.all()
    assert result.on_bounds[0].sum() >= 3


def test_batch_bounded_minimum_satisfies_kkt_conditions():
    potential = Quadratic(16, seed=8, bounded=True)
    starts = np.random.default_rng(9).uniform(-1.0, 1.0, size=(10, 16))

    result = minimize_batch(potential, starts, gradient_tolerance=1e-9)
    _, gradients = potential.energies_gradients(result.coordinates)

    at_lower = result.coordinates <= -1.0
    at_upper = result.coordinates >= 1.0
    np.testing.assert_array_equal(result.on_bounds, at_lower | at_upper)
    # A bound is active only where the gradient pushes against it.
    assert (gradients[at_lower] >= 0).all()
    assert (gradients[at_upper] <= 0).all()
    free = ~result.on_bounds
    assert np.abs(gradients[free]).max() < 1e-9
    projected = projected_gradient(
        result.coordinates, gradients, potential.lower_bounds, potential.upper_bounds
    )
    np.testing.assert_allclose(
        np.linalg.norm(projected, axis=1), result.gradient_norms, rtol=1e-12
    )


def test_minimize_matches_batch_on_bounded_quadratic():
    potential = Quadratic(8, seed=6, bounded=True)
    start = np.zeros(8)

    single = minimize(potential, start, gradient_tolerance=1e-8)
    batch = minimize_batch(potential, start[None, :], gradient_tolerance=1e-8)

    assert single.converged
    np.testing.assert_allclose(single.coordinates, batch.coordinates[0], atol=1e-7)
    np.testing.assert_array_equal(single.on_bounds, batch.on_bounds[0])
    assert single.bound_constrained


def test_minimize_unbounded_option_ignores_box():
    potential = Quadratic(6, seed=7, bounded=True)

    single = minimize(potential, np.zeros(6), gradient_tolerance=1e-9, bounded=False)
    batch = minimize_batch(
        potential, np.zeros((1, 6)), gradient_tolerance=1e-9, bounded=False
    )

    np.testing.assert_allclose(single.coordinates, potential.centre, atol=1e-8)
    np.testing.assert_allclose(batch.coordinates[0], potential.centre, atol=1e-8)
    assert not batch.on_bounds.any()


def test_batch_lennard_jones_icosahedron():
    # A 13-atom Mackay icosahedron, slightly distorted, relaxes to the global
    # minimum −44.326801 (Cambridge Cluster Database).
    golden = (1.0 + np.sqrt(5.0)) / 2.0
    vertices = []
    for a in (-1.0, 1.0):
        for b in (-golden, golden):
            vertices += [[0.0, a, b], [a, b, 0.0], [b, 0.0, a]]
    vertices = np.array(vertices)
    vertices *= 1.1 / np.linalg.norm(vertices[0])
    cluster = np.vstack([np.zeros(3), vertices]).ravel()
    rng = np.random.default_rng(0)
    starts = cluster + rng.normal(scale=0.05, size=(4, 39))

    result = minimize_batch(LennardJonesCluster(13), starts)

    assert result.converged.all()
    np.testing.assert_allclose(result.energies, -44.326801, atol=1e-6)


def test_minimize_reaches_tolerance_despite_rounding():
    # For LJ38 from a random start, L-BFGS-B alone stops with the gradient
    # norm near 2e-6 because the energy (about -166) stops decreasing in
    # floating point, so minimize has to continue with minimize_batch.
    potential = LennardJonesCluster(38)
    start = np.random.default_rng(1).uniform(-1.7, 1.7, size=114)

    result = minimize(potential, start, gradient_tolerance=1e-6)

    assert "continued with minimize_batch" in result.message
    assert result.converged
    assert result.gradient_norm <= 1e-6
    assert np.linalg.norm(potential.gradient(result.coordinates)) <= 1e-6
    assert result.energy < -160.0


def test_batch_max_step_limits_each_move():
    potential = CountingPotential(Quadratic(4, seed=2, bounded=False))
    start = np.full((1, 4), 5.0)

    result = minimize_batch(potential, start, max_step=0.05, max_iterations=3)

    moved = np.linalg.norm(result.coordinates[0] - start[0])
    assert moved <= 3 * 0.05 + 1e-12
    assert result.iterations[0] == 3
    assert not result.converged[0]


def test_batch_zero_iterations_returns_starts():
    starts = np.array([[0.0, 0.5], [0.3, 0.3]])

    result = minimize_batch(MullerBrown(), starts, max_iterations=0)

    np.testing.assert_array_equal(result.coordinates, starts)
    assert result.evaluations == 1
    assert not result.converged.any()


def test_batch_rejects_wrong_shape():
    with pytest.raises(ValueError, match=r"shape \(n, 2\)"):
        minimize_batch(MullerBrown(), np.zeros((3, 4)))


def test_batch_rejects_bad_tolerance():
    with pytest.raises(ValueError, match="gradient_tolerance"):
        minimize_batch(MullerBrown(), np.zeros((1, 2)), gradient_tolerance=0.0)

"""Tests of the elastic band, eigenvector-following and verified transition states."""

from __future__ import annotations

import logging
from itertools import combinations

import numpy as np
import pytest

from topograph.potentials.base import Potential
from topograph.potentials.lennard_jones import LennardJonesCluster
from topograph.potentials.muller_brown import MullerBrown
from topograph.search.basin_hopping import basin_hop_population
from topograph.search.eigenvector_following import (
    hybrid_eigenvector_following,
    lowest_eigenpairs,
)
from topograph.search.neb import band_tangents, nudged_elastic_band
from topograph.search.transition_state import (
    find_transition_state,
    hessian_log_product,
    log_product_positive,
)

# Müller–Brown stationary points (Müller and Brown, Theor. Chim. Acta 53, 75,
# 1979), to the digits usually quoted.
MINIMA = np.array([[-0.558, 1.442], [0.623, 0.028], [-0.050, 0.467]])
MINIMUM_ENERGIES = np.array([-146.699, -108.167, -80.768])
SADDLES = np.array([[-0.822, 0.624], [0.212, 0.293]])
SADDLE_ENERGIES = np.array([-40.665, -72.249])
# The first saddle joins minima 0 and 2, the second minima 2 and 1.
SADDLE_CONNECTIONS = [{0, 2}, {1, 2}]
# LJ7 global minimum in reduced units (Cambridge Cluster Database).
LJ7_GLOBAL_MINIMUM = -16.505384


class BoundedDoubleWell(Potential):
    """E = (x² − 1)² + y in the box [−2, 2] × [0, 1].

    The minima (±1, 0) and the saddle (0, 0) lie on the bound y = 0, where
    the gradient (0, 1) points out of the box.
    """

    dimension = 2
    lower_bounds = np.array([-2.0, 0.0])
    upper_bounds = np.array([2.0, 1.0])

    def energies_gradients(self, points):
        x, y = np.asarray(points, dtype=np.float64).T
        energies = (x**2 - 1.0) ** 2 + y
        gradients = np.stack([4.0 * x * (x**2 - 1.0), np.ones_like(y)], axis=1)
        return energies, gradients

    def hessian(self, x):
        return np.array([[12.0 * x[0] ** 2 - 4.0, 0.0], [0.0, 0.0]])


class Tilted(Potential):
    """E = x + y², which rises monotonically from (0, 0) to (1, 0)."""

    dimension = 2

    def energies_gradients(self, points):
        x, y = np.asarray(points, dtype=np.float64).T
        return x + y**2, np.stack([np.ones_like(x), 2.0 * y], axis=1)

    def hessian(self, x):
        return np.diag([0.0, 2.0])


class ProductsOnly(Potential):
    """Forwards to ``inner`` but raises if the dense Hessian is requested."""

    def __init__(self, inner):
        self.inner = inner
        self.dimension = inner.dimension
        self.products = 0

    def energies_gradients(self, points):
        return self.inner.energies_gradients(points)

    def hessian(self, x):
        raise AssertionError("the dense Hessian was requested")

    def hessian_vector_product(self, x, vector):
        self.products += 1
        return self.inner.hessian_vector_product(x, vector)


def nearest(points, references):
    distances = np.linalg.norm(points[:, None, :] - references[None], axis=2)
    return distances.argmin(axis=1), distances.min(axis=1)


def distinct_rows(coordinates, tolerance=1e-4):
    distinct = []
    for row, point in enumerate(coordinates):
        separations = [np.linalg.norm(point - coordinates[other]) for other in distinct]
        if all(separation > tolerance for separation in separations):
            distinct.append(row)
    return distinct


@pytest.fixture(scope="module")
def lennard_jones_7_transition_state():
    """Return LJ7, its basin-hopping minima and the first transition state found."""
    potential = LennardJonesCluster(7)
    starts = np.random.default_rng(0).uniform(-1.0, 1.0, size=(6, 21))
    found = basin_hop_population(
        potential, starts, steps=10, seed=3, temperature=0.8, step_size=0.4
    )
    _, first_rows = np.unique(np.round(found.energies, 4), return_index=True)
    # A straight band between two clusters can pass atoms through each other,
    # so not every pair yields a transition state.
    for i, j in combinations(first_rows, 2):
        result = find_transition_state(
            potential, found.coordinates[i], found.coordinates[j], zero_tolerance=1e-4
        )
        if result is not None:
            return potential, found, result
    pytest.fail("no LJ7 pair gave a transition state")


def test_muller_brown_landscape_has_published_stationary_points():
    potential = MullerBrown()
    starts = np.random.default_rng(0).uniform([-1.5, -0.5], [1.2, 2.0], size=(6, 2))
    found = basin_hop_population(
        potential, starts, steps=10, seed=12, temperature=20.0, step_size=0.5
    )
    minima = found.coordinates[distinct_rows(found.coordinates)]
    assert len(minima) == 3
    minimum_index, minimum_error = nearest(minima, MINIMA)
    assert sorted(minimum_index.tolist()) == [0, 1, 2]
    assert (minimum_error < 1e-3).all()

    saddles = []
    for i, j in combinations(range(3), 2):
        result = find_transition_state(potential, minima[i], minima[j])
        assert result is not None
        saddles.append(result)
    distinct = distinct_rows(np.array([saddle.coordinates for saddle in saddles]))
    saddles = [saddles[row] for row in distinct]
    assert len(saddles) == 2

    coordinates = np.array([saddle.coordinates for saddle in saddles])
    saddle_index, saddle_error = nearest(coordinates, SADDLES)
    assert sorted(saddle_index.tolist()) == [0, 1]
    assert (saddle_error < 1e-3).all()
    for saddle, index in zip(saddles, saddle_index):
        assert saddle.energy == pytest.approx(SADDLE_ENERGIES[index], abs=1e-3)
        eigenvalues = np.linalg.eigvalsh(potential.hessian(saddle.coordinates))
        assert (eigenvalues < 0).sum() == 1
        assert saddle.negative_eigenvalue == pytest.approx(eigenvalues[0], rel=1e-8)
        assert saddle.log_product == pytest.approx(np.log(eigenvalues[1]), rel=1e-8)
        ends = np.array([saddle.minimum1.coordinates, saddle.minimum2.coordinates])
        end_index, end_error = nearest(ends, MINIMA)
        assert (end_error < 1e-3).all()
        assert set(end_index.tolist()) == SADDLE_CONNECTIONS[index]
        for end, published in zip((saddle.minimum1, saddle.minimum2), end_index):
            assert end.energy == pytest.approx(MINIMUM_ENERGIES[published], abs=1e-3)


def test_transition_state_orders_minima_by_first_endpoint():
    potential = MullerBrown()
    minimum_a = np.array([-0.05001082, 0.4666941])
    minimum_b = np.array([-0.55822363, 1.44172584])

    result = find_transition_state(potential, minimum_a, minimum_b)

    assert result is not None
    np.testing.assert_allclose(result.minimum1.coordinates, minimum_a, atol=1e-5)
    np.testing.assert_allclose(result.minimum2.coordinates, minimum_b, atol=1e-5)


@pytest.mark.parametrize(
    "guess, saddle",
    [
        ([-0.75, 0.55], 0),
        ([-0.90, 0.70], 0),
        ([0.27, 0.25], 1),
        ([0.15, 0.35], 1),
    ],
)
def test_eigenvector_following_converges_to_muller_brown_saddle(guess, saddle):
    result = hybrid_eigenvector_following(MullerBrown(), guess, gradient_tolerance=1e-8)

    assert result.converged
    assert result.gradient_norm <= 1e-8
    np.testing.assert_allclose(result.coordinates, SADDLES[saddle], atol=1e-3)
    assert result.energy == pytest.approx(SADDLE_ENERGIES[saddle], abs=1e-3)
    assert result.eigenvalue < 0


def test_eigenvector_following_uses_only_hessian_vector_products(
    lennard_jones_7_transition_state,
):
    potential, _, saddle = lennard_jones_7_transition_state
    wrapped = ProductsOnly(potential)
    guess = saddle.coordinates + np.random.default_rng(1).normal(scale=0.02, size=21)

    result = hybrid_eigenvector_following(wrapped, guess, gradient_tolerance=1e-6)

    assert result.converged
    assert wrapped.products > 0
    assert result.energy == pytest.approx(saddle.energy, abs=1e-8)
    assert result.eigenvalue == pytest.approx(saddle.negative_eigenvalue, rel=1e-5)


def test_lowest_eigenpairs_match_dense_hessian(lennard_jones_7_transition_state):
    potential, _, saddle = lennard_jones_7_transition_state
    dense = np.linalg.eigh(potential.hessian(saddle.coordinates))

    values, vectors = lowest_eigenpairs(
        ProductsOnly(potential), saddle.coordinates, count=2, tolerance=1e-12
    )

    np.testing.assert_allclose(values, dense[0][:2], atol=1e-6)
    overlap = abs(np.dot(vectors[:, 0], dense[1][:, 0]))
    assert overlap == pytest.approx(1.0, abs=1e-6)


def test_lennard_jones_saddle_has_one_negative_mode(lennard_jones_7_transition_state):
    potential, found, saddle = lennard_jones_7_transition_state
    eigenvalues = np.linalg.eigvalsh(potential.hessian(saddle.coordinates))

    assert (eigenvalues < -1e-4).sum() == 1
    assert (np.abs(eigenvalues) <= 1e-4).sum() == 6
    positive = eigenvalues[eigenvalues > 1e-4]
    assert positive.size == 14
    assert saddle.log_product == pytest.approx(np.log(positive).sum(), rel=1e-10)
    assert saddle.energy > max(saddle.minimum1.energy, saddle.minimum2.energy)
    assert found.energies.min() == pytest.approx(LJ7_GLOBAL_MINIMUM, abs=1e-6)
    for minimum in (saddle.minimum1, saddle.minimum2):
        minimum_eigenvalues = np.linalg.eigvalsh(potential.hessian(minimum.coordinates))
        assert (minimum_eigenvalues > -1e-4).all()
        expected = np.log(minimum_eigenvalues[minimum_eigenvalues > 1e-4]).sum()
        assert minimum.log_product == pytest.approx(expected, rel=1e-10)


def test_bound_constrained_saddle_on_box_face():
    potential = BoundedDoubleWell()

    result = find_transition_state(potential, [-1.0, 0.0], [1.0, 0.0])

    assert result is not None
    np.testing.assert_allclose(result.coordinates, [0.0, 0.0], atol=1e-7)
    assert result.energy == pytest.approx(1.0, abs=1e-12)
    np.testing.assert_array_equal(result.on_bounds, [False, True])
    # Over the free coordinate x the Hessian is 12x² − 4.
    assert result.negative_eigenvalue == pytest.approx(-4.0, rel=1e-6)
    assert result.log_product == 0.0
    ends = sorted([result.minimum1, result.minimum2], key=lambda m: m.coordinates[0])
    np.testing.assert_allclose(ends[0].coordinates, [-1.0, 0.0], atol=1e-6)
    np.testing.assert_allclose(ends[1].coordinates, [1.0, 0.0], atol=1e-6)
    for end in ends:
        np.testing.assert_array_equal(end.on_bounds, [False, True])
        assert end.log_product == pytest.approx(np.log(8.0), rel=1e-6)


def test_no_transition_state_without_barrier(caplog):
    potential = Tilted()

    with caplog.at_level(logging.INFO, logger="topograph.search.transition_state"):
        result = find_transition_state(potential, [0.0, 0.0], [1.0, 0.0])

    assert result is None
    assert "no interior maximum" in caplog.text


def test_log_product_positive_skips_negative_and_zero_modes():
    eigenvalues = np.array([-2.0, -1e-9, 0.0, 1e-9, 3.0, 5.0])

    assert log_product_positive(eigenvalues, 1e-6) == pytest.approx(np.log(15.0))
    assert log_product_positive(eigenvalues, 4.0) == pytest.approx(np.log(5.0))


def test_hessian_log_product_is_log_determinant_at_minimum():
    potential = MullerBrown()
    minimum = np.array([-0.55822363, 1.44172584])

    sign, log_determinant = np.linalg.slogdet(potential.hessian(minimum))

    assert sign > 0
    assert hessian_log_product(potential, minimum) == pytest.approx(log_determinant)


def test_climbing_image_reaches_muller_brown_saddle():
    band = nudged_elastic_band(MullerBrown(), MINIMA[0], MINIMA[2], n_images=10)

    assert band.converged
    assert band.climbing_image == band.highest_image
    climbing = band.images[band.climbing_image]
    # The published minima are rounded, so the saddle is found to about 1e-3.
    np.testing.assert_allclose(climbing, SADDLES[0], atol=2e-3)
    np.testing.assert_array_equal(band.images[0], MINIMA[0])
    np.testing.assert_array_equal(band.images[-1], MINIMA[2])


def test_tangents_point_uphill_on_straight_band():
    images = np.linspace([0.0, 0.0], [4.0, 0.0], 5)
    energies = np.array([0.0, 1.0, 2.0, 1.5, 0.5])

    tangents = band_tangents(images, energies)

    np.testing.assert_allclose(tangents, [[1.0, 0.0], [1.0, 0.0], [1.0, 0.0]])
    np.testing.assert_allclose(np.linalg.norm(tangents, axis=1), 1.0)

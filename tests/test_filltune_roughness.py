"""Roughness Gaussians, the roughness surface and its minima."""

from __future__ import annotations

import math

import numpy as np
import pytest

from topograph.database.store import StationaryPointDatabase
from topograph.filltune.gaussians import (
    RoughnessGaussians,
    across_variance,
    along_variance,
    gaussians_from_database,
)
from topograph.filltune.roughness_surface import RoughnessSurface
from topograph.filltune.surface_minima import SurfaceMinima, find_surface_minima
from topograph.potentials.registry import build_potential


def random_gaussians(m=6, d=5, seed=0) -> RoughnessGaussians:
    rng = np.random.default_rng(seed)
    directions = rng.normal(size=(m, d))
    directions /= np.linalg.norm(directions, axis=1, keepdims=True)
    lengths = rng.uniform(0.2, 0.8, m)
    return RoughnessGaussians(
        centres=rng.uniform(0, 1, (m, d)),
        directions=directions,
        peaks=rng.uniform(0.5, 2.0, m),
        along_variances=along_variance(lengths),
        across_variances=across_variance(lengths),
        minima=np.arange(m),
        transition_states=np.arange(m),
        contributions=np.ones(m),
        lower_bounds=np.zeros(d),
        upper_bounds=np.ones(d),
    )


def two_minimum_database() -> StationaryPointDatabase:
    """Minima at (0.2, 0.2) with E = 0 and (0.8, 0.8) with E = −0.1, one saddle at E = 0.3."""
    database = StationaryPointDatabase(2)
    database.add_minimum(0.0, [0.2, 0.2])
    database.add_minimum(-0.1, [0.8, 0.8])
    database.add_transition_state(0.3, [0.5, 0.4], 0, 1)
    return database


def first_gaussian(gaussians: RoughnessGaussians) -> RoughnessGaussians:
    """Return the Gaussians reduced to their first row (bounds and scaling dropped)."""
    rows = (
        "centres", "directions", "peaks", "along_variances", "across_variances",
        "minima", "transition_states", "contributions",
    )  # fmt: skip
    return RoughnessGaussians(**{name: getattr(gaussians, name)[:1] for name in rows})


def finite_difference_gradient(surface, x, step=1e-6):
    return np.array(
        [
            (surface.energy(x + step * unit) - surface.energy(x - step * unit))
            / (2 * step)
            for unit in np.eye(len(x))
        ]
    )


def test_gradient_matches_finite_differences():
    surface = RoughnessSurface(random_gaussians())
    points = np.random.default_rng(1).uniform(0, 1, (4, 5))
    _, gradients = surface.energies_gradients(points)
    for x, gradient in zip(points, gradients):
        np.testing.assert_allclose(
            gradient, finite_difference_gradient(surface, x), atol=1e-8
        )


def test_hessian_matches_finite_differences():
    surface = RoughnessSurface(random_gaussians())
    points = np.random.default_rng(2).uniform(0, 1, (3, 5))
    hessians = surface.hessians(points)
    step = 1e-6
    for x, hessian in zip(points, hessians):
        columns = [
            (surface.gradient(x + step * unit) - surface.gradient(x - step * unit))
            / (2 * step)
            for unit in np.eye(5)
        ]
        np.testing.assert_allclose(hessian, np.array(columns), atol=1e-7)
        np.testing.assert_allclose(hessian, hessian.T, atol=1e-14)


def test_hessian_vector_products_match_hessians():
    surface = RoughnessSurface(random_gaussians())
    rng = np.random.default_rng(3)
    points = rng.uniform(0, 1, (5, 5))
    vectors = rng.normal(size=(5, 5))
    expected = np.einsum("nij,nj->ni", surface.hessians(points), vectors)
    np.testing.assert_allclose(
        surface.hessian_vector_products(points, vectors), expected, atol=1e-12
    )


def test_torch_backend_agrees():
    torch = pytest.importorskip("torch")
    torch.set_num_threads(1)
    gaussians = random_gaussians()
    points = np.random.default_rng(4).uniform(0, 1, (6, 5))
    numpy_result = RoughnessSurface(gaussians).energies_gradients(points)
    torch_result = RoughnessSurface(gaussians, backend="torch").energies_gradients(
        points
    )
    np.testing.assert_allclose(torch_result[0], numpy_result[0], rtol=1e-12)
    np.testing.assert_allclose(torch_result[1], numpy_result[1], rtol=1e-10, atol=1e-14)


def test_energy_is_minus_sum_of_bumps():
    gaussians = random_gaussians(m=3, d=2)
    x = np.array([0.3, 0.6])
    expected = 0.0
    for c, n, peak, a, b in zip(
        gaussians.centres, gaussians.directions, gaussians.peaks,
        gaussians.along_variances, gaussians.across_variances,
    ):  # fmt: skip
        u = x - c
        along = u @ n
        across = u - along * n
        expected -= peak * math.exp(-0.5 * (along**2 / a + across @ across / b))
    assert RoughnessSurface(gaussians).energy(x) == pytest.approx(expected, rel=1e-13)


def test_gaussians_from_database_placement():
    database = two_minimum_database()
    gaussians = gaussians_from_database(database)
    assert gaussians.n_gaussians == 2
    # Largest peak first: the pair of minimum 1, barrier 0.4.
    np.testing.assert_array_equal(gaussians.minima, [1, 0])
    np.testing.assert_array_equal(gaussians.transition_states, [0, 0])

    saddle = np.array([0.5, 0.4])
    for row, (minimum, barrier) in enumerate(
        ((np.array([0.8, 0.8]), 0.4), (np.array([0.2, 0.2]), 0.3))
    ):
        v = saddle - minimum
        length = np.linalg.norm(v)
        np.testing.assert_allclose(gaussians.centres[row], minimum + 0.75 * v)
        np.testing.assert_allclose(gaussians.directions[row], v / length)
        assert gaussians.peaks[row] == pytest.approx(
            10 * barrier * math.exp(-(length**2) / (2 * 80.0**2))
        )
        assert gaussians.across_variances[row] == pytest.approx(0.25 * length)
        # The ranking contributions use ℓ = 0.8.
        assert gaussians.contributions[row] == pytest.approx(
            barrier * math.exp(-(length**2) / (2 * 0.8**2))
        )


def test_bump_is_099_of_peak_at_half_length():
    gaussians = gaussians_from_database(two_minimum_database(), bounds=None)
    single = first_gaussian(gaussians)
    surface = RoughnessSurface(single)
    centre, direction, peak = single.centres[0], single.directions[0], single.peaks[0]
    length = np.linalg.norm(np.array([0.5, 0.4]) - np.array([0.8, 0.8]))
    for sign in (1.0, -1.0):
        energy = surface.energy(centre + sign * 0.5 * length * direction)
        assert energy == pytest.approx(-0.99 * peak, rel=1e-12)
    assert surface.energy(centre) == pytest.approx(-peak, rel=1e-14)


def test_across_variance_numerically():
    gaussians = gaussians_from_database(two_minimum_database(), bounds=None)
    surface = RoughnessSurface(first_gaussian(gaussians))
    centre, direction = gaussians.centres[0], gaussians.directions[0]
    across = np.array([-direction[1], direction[0]])
    length = np.linalg.norm(np.array([0.5, 0.4]) - np.array([0.8, 0.8]))
    offsets = np.linspace(-6.0, 6.0, 24001)
    heights = -surface.energies(centre + offsets[:, None] * across)
    variance = np.trapezoid(offsets**2 * heights, offsets) / np.trapezoid(
        heights, offsets
    )
    assert variance == pytest.approx(0.25 * length, rel=1e-6)


def test_registry_builds_surface(tmp_path):
    gaussians = random_gaussians()
    gaussians.save(tmp_path / "gaussians.npz")
    surface = build_potential(
        {
            "potential": "roughness_surface",
            "parameters": {"gaussians": "gaussians.npz"},
        },
        base_directory=tmp_path,
    )
    points = np.random.default_rng(5).uniform(0, 1, (3, 5))
    np.testing.assert_allclose(
        surface.energies(points), RoughnessSurface(gaussians).energies(points)
    )
    np.testing.assert_array_equal(surface.lower_bounds, np.zeros(5))
    unbounded = build_potential(
        {
            "potential": "roughness_surface",
            "parameters": {
                "gaussians": str(tmp_path / "gaussians.npz"),
                "bounds": "none",
            },
        }
    )
    assert unbounded.lower_bounds is None


def test_registry_requires_gaussians():
    with pytest.raises(ValueError, match="requires the parameter 'gaussians'"):
        build_potential({"potential": "roughness_surface", "parameters": {}})


def test_database_without_transition_states_raises():
    database = StationaryPointDatabase(2)
    database.add_minimum(0.0, [0.1, 0.1])
    with pytest.raises(ValueError, match="no transition states"):
        gaussians_from_database(database)


def separated_gaussians() -> RoughnessGaussians:
    """Two narrow bumps far apart: peaks 2 and 0.5 at (0.25, 0.25) and (0.75, 0.75)."""
    lengths = np.array([0.04, 0.04])
    return RoughnessGaussians(
        centres=np.array([[0.25, 0.25], [0.75, 0.75]]),
        directions=np.array([[1.0, 0.0], [0.0, 1.0]]),
        peaks=np.array([2.0, 0.5]),
        along_variances=np.array([0.002, 0.002]),
        across_variances=across_variance(lengths),
        minima=np.array([0, 1]),
        transition_states=np.array([0, 1]),
        contributions=np.array([0.2, 0.05]),
        lower_bounds=np.zeros(2),
        upper_bounds=np.ones(2),
        input_minimum=np.array([-1.0, -2.0]),
        input_range=np.array([2.0, 4.0]),
    )


def test_surface_minima_found_and_ordered():
    minima = find_surface_minima(separated_gaussians(), steps=3, step_size=0.02, seed=0)
    assert len(minima) == 2
    np.testing.assert_allclose(minima.energies, [-2.0, -0.5], atol=1e-8)
    np.testing.assert_allclose(
        minima.coordinates, [[0.25, 0.25], [0.75, 0.75]], atol=1e-4
    )
    # Latent coordinates undo the [0, 1] scaling.
    np.testing.assert_allclose(minima.latents, [[-0.5, -1.0], [0.5, 1.0]], atol=1e-3)


def test_surface_minima_cut():
    minima = find_surface_minima(
        separated_gaussians(), steps=2, step_size=0.02, seed=0, cut=-1.0
    )
    assert len(minima) == 1
    assert minima.energies[0] == pytest.approx(-2.0, abs=1e-8)


def test_surface_minima_deterministic(tmp_path):
    gaussians = random_gaussians(m=8, d=3, seed=7)
    first = find_surface_minima(gaussians, steps=4, temperature=0.5, seed=3, cut=-0.01)
    second = find_surface_minima(gaussians, steps=4, temperature=0.5, seed=3, cut=-0.01)
    np.testing.assert_array_equal(first.coordinates, second.coordinates)
    assert len(first) >= 1


def test_surface_minima_csv_round_trip(tmp_path):
    minima = find_surface_minima(separated_gaussians(), steps=1, step_size=0.02, seed=0)
    minima.save(tmp_path / "minima.csv")
    energies, latents = SurfaceMinima.read_latents(tmp_path / "minima.csv")
    np.testing.assert_array_equal(energies, minima.energies)
    np.testing.assert_array_equal(latents, minima.latents)


def test_gaussians_file_round_trip(tmp_path):
    gaussians = separated_gaussians()
    gaussians.save(tmp_path / "g.npz")
    loaded = RoughnessGaussians.load(tmp_path / "g.npz")
    for name, value in vars(gaussians).items():
        np.testing.assert_array_equal(getattr(loaded, name), value)

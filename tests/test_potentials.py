"""Tests of the analytic potentials: derivatives, backends and reference values."""

import numpy as np
import pytest
import torch
from scipy.optimize import minimize, root

from topograph.potentials import LennardJonesCluster, MullerBrown, Schwefel


def central_gradient(potential, x, step):
    """Gradient of the energy by central differences."""
    columns = []
    for unit in np.eye(x.size):
        columns.append(
            (potential.energy(x + step * unit) - potential.energy(x - step * unit))
            / (2 * step)
        )
    return np.array(columns)


def central_hessian(potential, x, step):
    """Hessian by central differences of the analytic gradient."""
    rows = []
    for unit in np.eye(x.size):
        rows.append(
            (potential.gradient(x + step * unit) - potential.gradient(x - step * unit))
            / (2 * step)
        )
    hessian = np.array(rows)
    return (hessian + hessian.T) / 2


def directional_gradient_change(potential, x, vector, step):
    """H(x) v by central differences of the gradient along v."""
    return (
        potential.gradient(x + step * vector) - potential.gradient(x - step * vector)
    ) / (2 * step)


def random_cluster(n_atoms, rng):
    """Coordinates of a compact cluster whose atoms are at least 0.9 apart."""
    atoms = []
    while len(atoms) < n_atoms:
        candidate = rng.uniform(-1.2, 1.2, size=3)
        if all(np.linalg.norm(candidate - atom) > 0.9 for atom in atoms):
            atoms.append(candidate)
    return np.concatenate(atoms)


# Each case: a factory taking backend, a sampler of points, and a finite
# difference step suited to the length scale of the potential.
CASES = {
    "muller_brown": (
        lambda backend: MullerBrown(backend=backend),
        lambda rng: rng.uniform([-1.5, -0.5], [1.0, 2.0]),
        1e-5,
    ),
    "schwefel": (
        lambda backend: Schwefel(4, backend=backend),
        lambda rng: rng.uniform(-480, 480, size=4),
        1e-4,
    ),
    "lennard_jones": (
        lambda backend: LennardJonesCluster(5, backend=backend),
        lambda rng: random_cluster(5, rng),
        1e-6,
    ),
}


def sample_points(name, count, seed):
    rng = np.random.default_rng(seed)
    return np.array([CASES[name][1](rng) for _ in range(count)])


@pytest.mark.parametrize("name", CASES)
def test_gradient_matches_central_differences(name):
    potential = CASES[name][0]("numpy")
    step = CASES[name][2]
    for x in sample_points(name, 5, seed=1):
        analytic = potential.gradient(x)
        numeric = central_gradient(potential, x, step)
        scale = max(np.abs(analytic).max(), 1.0)
        np.testing.assert_allclose(analytic, numeric, rtol=1e-6, atol=1e-6 * scale)


@pytest.mark.parametrize("name", CASES)
def test_hessian_matches_central_differences(name):
    potential = CASES[name][0]("numpy")
    step = CASES[name][2]
    for x in sample_points(name, 5, seed=2):
        analytic = potential.hessian(x)
        numeric = central_hessian(potential, x, step)
        scale = max(np.abs(analytic).max(), 1.0)
        np.testing.assert_allclose(analytic, numeric, rtol=1e-6, atol=1e-6 * scale)
        np.testing.assert_allclose(analytic, analytic.T, rtol=0, atol=1e-13 * scale)


@pytest.mark.parametrize("name", CASES)
def test_hessian_vector_product_matches_differences(name):
    potential = CASES[name][0]("numpy")
    step = CASES[name][2]
    rng = np.random.default_rng(3)
    for x in sample_points(name, 5, seed=3):
        vector = rng.normal(size=x.size)
        product = potential.hessian_vector_product(x, vector)
        numeric = directional_gradient_change(potential, x, vector, step)
        scale = max(np.abs(product).max(), 1.0)
        np.testing.assert_allclose(product, numeric, rtol=1e-6, atol=1e-6 * scale)
        np.testing.assert_allclose(
            product, potential.hessian(x) @ vector, rtol=1e-12, atol=1e-12 * scale
        )


@pytest.mark.parametrize("name", CASES)
def test_batched_matches_single_point(name):
    potential = CASES[name][0]("numpy")
    points = sample_points(name, 6, seed=4)
    vectors = np.random.default_rng(4).normal(size=points.shape)
    energies, gradients = potential.energies_gradients(points)
    hessians = potential.hessians(points)
    products = potential.hessian_vector_products(points, vectors)
    for i, x in enumerate(points):
        energy, gradient = potential.energy_gradient(x)
        assert energies[i] == pytest.approx(energy, rel=1e-13, abs=1e-12)
        np.testing.assert_allclose(gradients[i], gradient, rtol=1e-13, atol=1e-11)
        np.testing.assert_allclose(
            hessians[i], potential.hessian(x), rtol=1e-12, atol=1e-10
        )
        np.testing.assert_allclose(
            products[i], hessians[i] @ vectors[i], rtol=1e-12, atol=1e-10
        )
    np.testing.assert_allclose(potential.energies(points), energies, rtol=1e-14)


@pytest.mark.parametrize("name", CASES)
def test_numpy_and_torch_agree(name):
    numpy_potential = CASES[name][0]("numpy")
    torch_potential = CASES[name][0]("torch")
    points = sample_points(name, 7, seed=5)
    vectors = np.random.default_rng(5).normal(size=points.shape)

    def check(expected, actual):
        assert isinstance(actual, np.ndarray)
        assert actual.dtype == np.float64
        scale = max(np.abs(expected).max(), 1.0)
        np.testing.assert_allclose(actual, expected, rtol=1e-10, atol=1e-10 * scale)

    expected_energies, expected_gradients = numpy_potential.energies_gradients(points)
    energies, gradients = torch_potential.energies_gradients(points)
    check(expected_energies, energies)
    check(expected_gradients, gradients)
    check(numpy_potential.energies(points), torch_potential.energies(points))
    check(numpy_potential.hessians(points), torch_potential.hessians(points))
    check(
        numpy_potential.hessian_vector_products(points, vectors),
        torch_potential.hessian_vector_products(points, vectors),
    )


@pytest.mark.parametrize("name", CASES)
def test_tensor_methods_stay_in_torch(name):
    torch_potential = CASES[name][0]("torch")
    points = sample_points(name, 4, seed=6)
    vectors = np.random.default_rng(6).normal(size=points.shape)
    tensor = torch.as_tensor(points)

    energies, gradients = torch_potential.energies_gradients_tensor(tensor)
    products = torch_potential.hessian_vector_products_tensor(
        tensor, torch.as_tensor(vectors)
    )

    assert isinstance(energies, torch.Tensor)
    assert gradients.dtype == torch.float64
    assert products.shape == points.shape
    expected_energies, expected_gradients = torch_potential.energies_gradients(points)
    np.testing.assert_array_equal(energies.numpy(), expected_energies)
    np.testing.assert_array_equal(gradients.numpy(), expected_gradients)
    np.testing.assert_allclose(
        products.numpy(),
        torch_potential.hessian_vector_products(points, vectors),
        rtol=1e-14,
    )


def test_tensor_method_needs_torch_backend():
    with pytest.raises(ValueError, match="backend='torch'"):
        MullerBrown().energies_gradients_tensor(torch.zeros((1, 2)))


def test_chunked_evaluation_matches_one_chunk():
    points = sample_points("lennard_jones", 11, seed=7)
    vectors = np.random.default_rng(7).normal(size=points.shape)
    whole = LennardJonesCluster(5)
    chunked = LennardJonesCluster(5, chunk_size=3)
    for method in ("energies", "hessians"):
        np.testing.assert_allclose(
            getattr(chunked, method)(points), getattr(whole, method)(points), rtol=1e-14
        )
    np.testing.assert_allclose(
        chunked.energies_gradients(points)[1],
        whole.energies_gradients(points)[1],
        rtol=1e-14,
    )
    np.testing.assert_allclose(
        chunked.hessian_vector_products(points, vectors),
        whole.hessian_vector_products(points, vectors),
        rtol=1e-14,
    )


def test_points_of_wrong_shape_rejected():
    potential = Schwefel(3)
    with pytest.raises(ValueError, match=r"shape \(n, 3\)"):
        potential.energies_gradients(np.zeros((2, 4)))
    with pytest.raises(ValueError, match=r"shape \(n, 3\)"):
        potential.energies(np.zeros(3))
    with pytest.raises(ValueError, match="one vector per point"):
        potential.hessian_vector_products(np.zeros((2, 3)), np.zeros((3, 3)))


def test_invalid_backend_and_device_rejected():
    with pytest.raises(ValueError, match="unknown backend 'jax'"):
        MullerBrown(backend="jax")
    with pytest.raises(ValueError, match="requires backend 'torch'"):
        MullerBrown(device="cuda")
    with pytest.raises(ValueError, match="invalid torch device"):
        MullerBrown(backend="torch", device="not-a-device")
    if not torch.cuda.is_available():
        with pytest.raises(ValueError, match="CUDA is not available"):
            MullerBrown(backend="torch", device="cuda")


# Müller–Brown stationary points as published (Müller and Brown 1979, and
# many later tables): coordinates and energies to three decimals.
MULLER_BROWN_MINIMA = [
    ((-0.558, 1.442), -146.699),
    ((0.623, 0.028), -108.167),
    ((-0.050, 0.467), -80.768),
]
MULLER_BROWN_SADDLES = [
    ((-0.822, 0.624), -40.665),
    ((0.212, 0.293), -72.249),
]


def refine_stationary_point(potential, guess):
    """Solve ∇E = 0 with scipy from ``guess``, using the analytic Hessian."""
    result = root(potential.gradient, guess, jac=potential.hessian, tol=1e-13)
    assert np.abs(potential.gradient(result.x)).max() < 1e-9
    return result.x


@pytest.mark.parametrize("published", MULLER_BROWN_MINIMA)
def test_muller_brown_minima_match_published(published):
    potential = MullerBrown()
    (guess, energy) = published
    minimum = refine_stationary_point(potential, np.array(guess))
    # The published values carry three decimals, so the accurate values must
    # lie within one unit of the last digit.
    np.testing.assert_allclose(minimum, guess, atol=1e-3)
    assert potential.energy(minimum) == pytest.approx(energy, abs=1e-3)
    assert np.abs(potential.gradient(minimum)).max() < 1e-9
    assert (np.linalg.eigvalsh(potential.hessian(minimum)) > 0).all()


@pytest.mark.parametrize("published", MULLER_BROWN_SADDLES)
def test_muller_brown_saddles_match_published(published):
    potential = MullerBrown()
    (guess, energy) = published
    saddle = refine_stationary_point(potential, np.array(guess))
    np.testing.assert_allclose(saddle, guess, atol=1e-3)
    assert potential.energy(saddle) == pytest.approx(energy, abs=1e-3)
    eigenvalues = np.linalg.eigvalsh(potential.hessian(saddle))
    assert (eigenvalues < 0).sum() == 1


def test_muller_brown_accurate_minimum_energy():
    # The first minimum is −146.6995 to four decimals; the three-decimal
    # published value −146.699 is truncated, not rounded.
    minimum = refine_stationary_point(MullerBrown(), np.array([-0.558, 1.442]))
    assert MullerBrown().energy(minimum) == pytest.approx(-146.69952, abs=1e-5)


def test_muller_brown_is_unbounded():
    assert not MullerBrown().bounded


def test_lennard_jones_dimer_minimum():
    potential = LennardJonesCluster(2)
    distance = 2 ** (1 / 6)
    x = np.array([0.0, 0.0, 0.0, distance, 0.0, 0.0])
    assert potential.energy(x) == pytest.approx(-1.0, abs=1e-14)
    np.testing.assert_allclose(potential.gradient(x), 0.0, atol=1e-12)
    # The bond curvature of φ(r) = 4(r^-12 − r^-6) at its minimum is 72 / 2^(1/3),
    # and moving both atoms apart along x gives 2 φ'' in that direction.
    stretch = np.array([-1.0, 0, 0, 1.0, 0, 0]) / np.sqrt(2)
    curvature = stretch @ potential.hessian(x) @ stretch
    assert curvature == pytest.approx(2 * 72 / 2 ** (1 / 3), rel=1e-12)

    result = minimize(
        potential.energy_gradient,
        np.array([0.0, 0, 0, 1.5, 0.1, -0.2]),
        jac=True,
        method="L-BFGS-B",
        options={"gtol": 1e-12, "ftol": 0},
    )
    separation = np.linalg.norm(result.x[3:] - result.x[:3])
    assert separation == pytest.approx(distance, rel=1e-7)
    assert result.fun == pytest.approx(-1.0, abs=1e-12)


def icosahedron(radius):
    """Coordinates (39,) of a centred icosahedron of 13 atoms."""
    golden = (1 + np.sqrt(5)) / 2
    vertices = []
    for first in (-1.0, 1.0):
        for second in (-golden, golden):
            vertices += [(0, first, second), (first, second, 0), (second, 0, first)]
    vertices = np.array(vertices) / np.linalg.norm(vertices[0]) * radius
    return np.concatenate([np.zeros(3), vertices.ravel()])


def test_lennard_jones_13_global_minimum():
    # The Cambridge Cluster Database lists −44.326801 for the LJ13 icosahedron.
    potential = LennardJonesCluster(13)
    result = minimize(
        potential.energy_gradient,
        icosahedron(1.1),
        jac=True,
        method="L-BFGS-B",
        options={"gtol": 1e-10, "ftol": 0, "maxiter": 2000},
    )
    assert result.fun == pytest.approx(-44.326801, abs=1e-6)


def test_lennard_jones_hessian_has_translation_modes():
    potential = LennardJonesCluster(6)
    x = random_cluster(6, np.random.default_rng(8))
    hessian = potential.hessian(x)
    scale = np.abs(hessian).max()
    for axis in range(3):
        translation = np.zeros((6, 3))
        translation[:, axis] = 1.0
        np.testing.assert_allclose(
            hessian @ translation.ravel(), 0.0, atol=1e-12 * scale
        )


def test_lennard_jones_rejects_single_atom():
    with pytest.raises(ValueError, match="at least 2"):
        LennardJonesCluster(1)


def test_schwefel_global_minimum():
    dimension = 6
    potential = Schwefel(dimension)
    x = np.full(dimension, 420.9687)
    # 418.9829 is the one-coordinate minimum rounded to four decimals, which
    # leaves about 1.3e-5 per coordinate.
    assert potential.energy(x) == pytest.approx(0.0, abs=2e-5 * dimension)
    minimum = refine_stationary_point(potential, x)
    # The published coordinate 420.9687 carries four decimals.
    np.testing.assert_allclose(minimum, x, atol=5e-5)
    assert potential.energy(minimum) == pytest.approx(0.0, abs=2e-5 * dimension)
    assert (np.diag(potential.hessian(minimum)) > 0).all()
    others = np.random.default_rng(9).uniform(-500, 500, size=(2000, dimension))
    assert potential.energies(others).min() > potential.energy(x)


def test_schwefel_bounds_and_origin():
    potential = Schwefel(3)
    np.testing.assert_array_equal(potential.lower_bounds, [-500.0] * 3)
    np.testing.assert_array_equal(potential.upper_bounds, [500.0] * 3)
    assert potential.energy(np.zeros(3)) == pytest.approx(3 * 418.9829, rel=1e-15)
    np.testing.assert_array_equal(potential.gradient(np.zeros(3)), 0.0)
    # The second derivative diverges at x_i = 0 and is returned as 0 there.
    np.testing.assert_array_equal(potential.hessian(np.zeros(3)), 0.0)


def test_schwefel_rejects_bad_dimension():
    with pytest.raises(ValueError, match="at least 1"):
        Schwefel(0)
    with pytest.raises(ValueError, match="positive integer"):
        Schwefel(2.5)

"""Tests of the thin-plate-spline RBF interpolant against SciPy and differences."""

import tracemalloc

import numpy as np
import pytest
import torch
from scipy.interpolate import RBFInterpolator

from topograph.potentials import RBFInterpolant
from topograph.potentials.messages import describe_rows


def make_data(n_points, dimension, seed):
    """Random inputs in [0, 1]^d and a smooth response with noise."""
    rng = np.random.default_rng(seed)
    points = rng.random((n_points, dimension))
    values = np.sin(3 * points.sum(axis=1)) + np.cos(5 * points[:, 0])
    values += 0.1 * rng.normal(size=n_points)
    return points, values


def central_gradient(potential, x, step):
    return np.array(
        [
            (potential.energy(x + step * unit) - potential.energy(x - step * unit))
            / (2 * step)
            for unit in np.eye(x.size)
        ]
    )


def central_hessian(potential, x, step):
    rows = np.array(
        [
            (potential.gradient(x + step * unit) - potential.gradient(x - step * unit))
            / (2 * step)
            for unit in np.eye(x.size)
        ]
    )
    return (rows + rows.T) / 2


@pytest.mark.parametrize("dimension, n_points", [(2, 150), (8, 250), (32, 300)])
@pytest.mark.parametrize("smoothing", [0.0, 1e-4])
def test_predictions_match_scipy(dimension, n_points, smoothing):
    points, values = make_data(n_points, dimension, seed=dimension)
    reference = RBFInterpolator(points, values, smoothing=smoothing)
    potential = RBFInterpolant(points, values, smoothing=smoothing)
    rng = np.random.default_rng(100 + dimension)
    queries = np.vstack([rng.uniform(-0.2, 1.2, size=(400, dimension)), points[:50]])

    expected = reference(queries)
    scale = np.abs(values).max()
    np.testing.assert_allclose(
        potential.energies(queries), expected, rtol=0, atol=1e-8 * scale
    )
    np.testing.assert_allclose(
        potential.energies_gradients(queries)[0], expected, rtol=0, atol=1e-8 * scale
    )


def test_zero_smoothing_interpolates_data():
    points, values = make_data(120, 3, seed=11)
    potential = RBFInterpolant(points, values)
    np.testing.assert_allclose(potential.energies(points), values, rtol=0, atol=1e-9)


@pytest.mark.parametrize("dimension", [2, 8, 32])
def test_gradient_matches_central_differences(dimension):
    points, values = make_data(200, dimension, seed=20 + dimension)
    potential = RBFInterpolant(points, values, smoothing=1e-4)
    rng = np.random.default_rng(21)
    for x in rng.uniform(-0.1, 1.1, size=(4, dimension)):
        analytic = potential.gradient(x)
        numeric = central_gradient(potential, x, 1e-5)
        np.testing.assert_allclose(
            analytic, numeric, rtol=1e-6, atol=1e-6 * np.abs(analytic).max()
        )


@pytest.mark.parametrize("dimension", [2, 8, 32])
def test_hessian_matches_central_differences(dimension):
    points, values = make_data(200, dimension, seed=30 + dimension)
    potential = RBFInterpolant(points, values, smoothing=1e-4)
    rng = np.random.default_rng(31)
    for x in rng.uniform(-0.1, 1.1, size=(3, dimension)):
        analytic = potential.hessian(x)
        numeric = central_hessian(potential, x, 1e-5)
        scale = np.abs(analytic).max()
        np.testing.assert_allclose(analytic, numeric, rtol=1e-5, atol=1e-6 * scale)
        np.testing.assert_allclose(analytic, analytic.T, rtol=0, atol=1e-12 * scale)


@pytest.mark.parametrize("dimension", [2, 8, 32])
def test_hessian_vector_product_matches_differences(dimension):
    points, values = make_data(200, dimension, seed=40 + dimension)
    potential = RBFInterpolant(points, values, smoothing=1e-4)
    rng = np.random.default_rng(41)
    for x in rng.uniform(-0.1, 1.1, size=(4, dimension)):
        vector = rng.normal(size=dimension)
        product = potential.hessian_vector_product(x, vector)
        numeric = (
            potential.gradient(x + 1e-5 * vector)
            - potential.gradient(x - 1e-5 * vector)
        ) / 2e-5
        scale = np.abs(product).max()
        np.testing.assert_allclose(product, numeric, rtol=1e-5, atol=1e-6 * scale)
        np.testing.assert_allclose(
            product, potential.hessian(x) @ vector, rtol=0, atol=1e-11 * scale
        )


def test_batched_hessian_vector_products_match_single():
    points, values = make_data(100, 5, seed=50)
    potential = RBFInterpolant(points, values, smoothing=1e-4, chunk_size=3)
    rng = np.random.default_rng(51)
    queries = rng.random((10, 5))
    vectors = rng.normal(size=(10, 5))
    products = potential.hessian_vector_products(queries, vectors)
    hessians = potential.hessians(queries)
    for i in range(10):
        np.testing.assert_allclose(
            products[i],
            potential.hessian_vector_product(queries[i], vectors[i]),
            rtol=1e-13,
        )
        np.testing.assert_allclose(
            hessians[i], potential.hessian(queries[i]), rtol=1e-13
        )


def test_gradient_at_centre_is_finite_and_correct():
    # φ(r) = r² log r has gradient r (2 log r + 1) u → 0 at r = 0, so the
    # gradient at a data point is the sum over the other centres only.
    points, values = make_data(80, 4, seed=60)
    potential = RBFInterpolant(points, values, smoothing=1e-3)
    x = points[7]
    gradient = potential.gradient(x)
    assert np.isfinite(gradient).all()
    others = np.delete(points, 7, axis=0) - x
    distances = np.linalg.norm(others, axis=1)
    weights = np.delete(potential.weights, 7)
    expected = (
        np.sum((weights * (2 * np.log(distances) + 1))[:, None] * (-others), axis=0)
        + potential.polynomial_coefficients[1:] / potential.scale
    )
    np.testing.assert_allclose(gradient, expected, rtol=1e-10, atol=1e-10)
    # Central differences straddle the centre, where E is C¹ but not C².
    numeric = central_gradient(potential, x, 1e-6)
    np.testing.assert_allclose(
        gradient, numeric, rtol=1e-4, atol=1e-4 * np.abs(gradient).max()
    )
    assert np.isfinite(potential.hessian(x)).all()
    assert np.isfinite(potential.hessian_vector_product(x, np.ones(4))).all()


@pytest.mark.parametrize("dimension", [2, 8, 32])
def test_numpy_and_torch_agree(dimension):
    points, values = make_data(300, dimension, seed=70 + dimension)
    numpy_potential = RBFInterpolant(points, values, smoothing=1e-4)
    torch_potential = RBFInterpolant(points, values, smoothing=1e-4, backend="torch")
    rng = np.random.default_rng(71)
    queries = rng.uniform(-0.1, 1.1, size=(50, dimension))
    vectors = rng.normal(size=(50, dimension))

    def check(expected, actual):
        scale = max(np.abs(expected).max(), 1.0)
        np.testing.assert_allclose(actual, expected, rtol=1e-10, atol=1e-10 * scale)

    expected_energies, expected_gradients = numpy_potential.energies_gradients(queries)
    energies, gradients = torch_potential.energies_gradients(queries)
    check(expected_energies, energies)
    check(expected_gradients, gradients)
    check(numpy_potential.energies(queries), torch_potential.energies(queries))
    check(numpy_potential.hessians(queries[:5]), torch_potential.hessians(queries[:5]))
    check(
        numpy_potential.hessian_vector_products(queries, vectors),
        torch_potential.hessian_vector_products(queries, vectors),
    )
    tensor_energies, tensor_gradients = torch_potential.energies_gradients_tensor(
        torch.as_tensor(queries)
    )
    assert isinstance(tensor_gradients, torch.Tensor)
    check(expected_energies, tensor_energies.numpy())
    check(expected_gradients, tensor_gradients.numpy())


def test_chunked_evaluation_matches_one_chunk():
    points, values = make_data(200, 6, seed=80)
    queries = np.random.default_rng(81).random((53, 6))
    whole = RBFInterpolant(points, values, smoothing=1e-4)
    chunked = RBFInterpolant(points, values, smoothing=1e-4, chunk_size=7)
    energies, gradients = whole.energies_gradients(queries)
    chunk_energies, chunk_gradients = chunked.energies_gradients(queries)
    np.testing.assert_allclose(chunk_energies, energies, rtol=1e-13)
    np.testing.assert_allclose(chunk_gradients, gradients, rtol=1e-12, atol=1e-12)


def peak_memory(function, *arguments):
    """Return the peak bytes traced by tracemalloc while ``function`` runs."""
    tracemalloc.start()
    try:
        function(*arguments)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_batched_evaluation_memory_is_bounded():
    points, values = make_data(2000, 4, seed=90)
    potential = RBFInterpolant(points, values, smoothing=1e-4, chunk_size=100)
    queries = np.random.default_rng(91).random((4000, 4))
    peak = peak_memory(potential.energies_gradients, queries)
    # One (4000, 2000) float64 array would take 64 MB; chunks of 100 rows
    # need a few 1.6 MB arrays plus the (4000, 4) outputs.
    assert peak < 16e6


def test_default_chunks_bound_memory(monkeypatch):
    # Lower the element budget per work array to 2**16 (0.5 MB), so that the
    # default chunks of a small problem stay far below one unchunked array.
    monkeypatch.setattr(
        "topograph.potentials.rbf_interpolant.DEFAULT_CHUNK_ELEMENTS", 2**16
    )
    points, values = make_data(1000, 16, seed=93)
    potential = RBFInterpolant(points, values, smoothing=1e-4, chunk_size=10**6)
    default = RBFInterpolant(points, values, smoothing=1e-4)
    rng = np.random.default_rng(94)
    queries = rng.random((2000, 16))
    vectors = rng.normal(size=(2000, 16))
    # Unchunked, the (2000, 1000) distance matrix takes 16 MB and the
    # (2000, 1000, 16) differences of the products 256 MB.
    assert peak_memory(default.energies_gradients, queries) < 6e6
    assert peak_memory(potential.hessian_vector_products, queries, vectors) < 6e6


def test_bounds_options():
    points, values = make_data(50, 3, seed=100)
    assert not RBFInterpolant(points, values).bounded
    data_bounded = RBFInterpolant(points, values, bounds="data")
    np.testing.assert_array_equal(data_bounded.lower_bounds, points.min(axis=0))
    np.testing.assert_array_equal(data_bounded.upper_bounds, points.max(axis=0))
    box = RBFInterpolant(points, values, bounds=(0.0, [1.0, 2.0, 3.0]))
    np.testing.assert_array_equal(box.lower_bounds, [0.0, 0.0, 0.0])
    np.testing.assert_array_equal(box.upper_bounds, [1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match="lower bound must be below"):
        RBFInterpolant(points, values, bounds=(1.0, 0.0))
    with pytest.raises(ValueError, match="'data'"):
        RBFInterpolant(points, values, bounds="box")
    with pytest.raises(ValueError, match=r"arrays of shape \(3,\)"):
        RBFInterpolant(points, values, bounds=([0.0, 0.0], 1.0))


def test_non_finite_data_rejected_with_row():
    points, values = make_data(30, 2, seed=110)
    points[4, 1] = np.nan
    with pytest.raises(ValueError, match=r"row 4 \(counting from 0\)"):
        RBFInterpolant(points, values)
    points[4, 1] = 0.5
    values[[2, 9]] = np.inf
    with pytest.raises(ValueError, match="rows 2, 9"):
        RBFInterpolant(points, values)


def test_repeated_points_need_smoothing():
    points, values = make_data(30, 2, seed=120)
    points[12] = points[3]
    with pytest.raises(ValueError, match="rows 3, 12"):
        RBFInterpolant(points, values)
    potential = RBFInterpolant(points, values, smoothing=1e-3)
    reference = RBFInterpolator(points, values, smoothing=1e-3)
    queries = np.random.default_rng(121).random((20, 2))
    np.testing.assert_allclose(
        potential.energies(queries), reference(queries), atol=1e-8
    )


def test_degenerate_inputs_rejected():
    points, values = make_data(30, 3, seed=130)
    with pytest.raises(ValueError, match="at least 4 points"):
        RBFInterpolant(points[:3], values[:3])
    constant = points.copy()
    constant[:, 1] = 0.25
    with pytest.raises(ValueError, match="input column 1 .* is constant"):
        RBFInterpolant(constant, values)
    planar = points.copy()
    planar[:, 2] = planar[:, 0] + planar[:, 1]
    with pytest.raises(ValueError, match="affine subspace of dimension 2"):
        RBFInterpolant(planar, values)
    with pytest.raises(ValueError, match="non-negative"):
        RBFInterpolant(points, values, smoothing=-1.0)
    with pytest.raises(ValueError, match=r"shape \(30,\)"):
        RBFInterpolant(points, values[:-1])


def test_per_point_smoothing_matches_scipy():
    points, values = make_data(60, 2, seed=140)
    smoothing = np.random.default_rng(141).uniform(0, 1e-2, size=60)
    potential = RBFInterpolant(points, values, smoothing=smoothing)
    reference = RBFInterpolator(points, values, smoothing=smoothing)
    queries = np.random.default_rng(142).random((30, 2))
    np.testing.assert_allclose(
        potential.energies(queries), reference(queries), atol=1e-9
    )


def test_describe_rows_caps_list():
    assert describe_rows([4]) == "row 4"
    assert describe_rows([1, 2]) == "rows 1, 2"
    assert describe_rows(range(8), "line") == "lines 0, 1, 2, 3, 4 and 3 more"

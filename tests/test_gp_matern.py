"""The general Matérn correlation against closed forms and limits."""

from __future__ import annotations

import math

import numpy as np
import pytest

from topograph.gp.matern import (
    check_nu,
    matern_correlation,
    matern_log_nu_derivative,
    matern_radial_derivative,
)

DISTANCES = np.array([0.0, 1e-9, 1e-4, 0.01, 0.3, 1.0, 2.5, 7.0, 40.0])

CLOSED_FORMS = {
    0.5: lambda s: np.exp(-s),
    1.5: lambda s: (1 + math.sqrt(3) * s) * np.exp(-math.sqrt(3) * s),
    2.5: lambda s: (1 + math.sqrt(5) * s + 5 * s**2 / 3) * np.exp(-math.sqrt(5) * s),
}


@pytest.mark.parametrize("nu", sorted(CLOSED_FORMS))
def test_half_integer_closed_forms(nu):
    expected = CLOSED_FORMS[nu](DISTANCES)
    np.testing.assert_allclose(matern_correlation(DISTANCES, nu), expected, rtol=1e-12, atol=1e-300)


def test_large_nu_approaches_squared_exponential():
    squared_exponential = np.exp(-0.5 * DISTANCES**2)
    gaps = [
        np.max(np.abs(matern_correlation(DISTANCES, nu) - squared_exponential))
        for nu in (2.0, 10.0, 50.0)
    ]
    assert gaps[0] > gaps[1] > gaps[2]
    assert gaps[2] < 5e-3
    np.testing.assert_array_equal(matern_correlation(DISTANCES, math.inf), squared_exponential)


@pytest.mark.parametrize("nu", [0.2, 0.5, 1.0, 2.0, 7.3, 50.0, 60.0])
def test_zero_distance_is_one_without_nan(nu):
    values = matern_correlation(np.array([0.0, 1e-300, 1e-12]), nu)
    assert np.all(np.isfinite(values))
    assert values[0] == 1.0
    # For nu < 1 the correlation falls like 1 - O(z^(2 nu)), so 1e-12 is visibly below 1.
    np.testing.assert_allclose(values[1], 1.0, atol=1e-12)
    assert 0.9999 < values[2] <= 1.0
    radial = matern_radial_derivative(np.array([0.0, 1e-12]), nu)
    assert np.all(np.isfinite(radial))
    assert radial[0] == 0.0


@pytest.mark.parametrize("nu", [0.3, 1.5, 20.0, 50.0])
def test_large_distance_underflows_to_zero(nu):
    values = matern_correlation(np.array([1e3, 1e6, 1e300]), nu)
    radial = matern_radial_derivative(np.array([1e3, 1e6, 1e300]), nu)
    np.testing.assert_array_equal(values, 0.0)
    np.testing.assert_array_equal(radial, 0.0)


@pytest.mark.parametrize("nu", [0.4, 1.0, 1.5, 3.2, 45.0])
def test_radial_derivative_matches_difference(nu):
    s = np.array([0.05, 0.4, 1.3, 3.0])
    h = 1e-6
    slope = (matern_correlation(s + h, nu) - matern_correlation(s - h, nu)) / (2 * h)
    np.testing.assert_allclose(matern_radial_derivative(s, nu), -slope / s, rtol=1e-6)


def _mpmath_correlation(mpmath, nu, s):
    z = mpmath.sqrt(2 * nu) * s
    return 2 ** (1 - nu) / mpmath.gamma(nu) * z**nu * mpmath.besselk(nu, z)


@pytest.mark.parametrize("nu", [0.3, 0.9, 1.0, 2.0, 4.5, 30.0])
def test_log_nu_derivative_matches_mpmath(nu):
    mpmath = pytest.importorskip("mpmath")
    mpmath.mp.dps = 30
    s = np.array([0.1, 0.7, 2.0])
    reference = [
        float(
            mpmath.diff(
                lambda t, point=point: _mpmath_correlation(mpmath, mpmath.exp(t), mpmath.mpf(point)),
                mpmath.log(nu),
            )
        )
        for point in s
    ]
    # Absolute error: the kernel values are at most 1, and the five-point
    # difference loses about machine epsilon / step to rounding.
    np.testing.assert_allclose(matern_log_nu_derivative(s, nu), reference, rtol=0, atol=1e-10)
    assert matern_log_nu_derivative(np.array([0.0]), nu)[0] == 0.0


@pytest.mark.parametrize("value", [0.0, -1.0, 61.0, "smooth", math.nan, -math.inf])
def test_invalid_nu_raises(value):
    with pytest.raises(ValueError, match="nu"):
        check_nu(value)

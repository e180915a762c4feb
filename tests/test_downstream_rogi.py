"""ROGI-XD on constructed cases with known values."""

from __future__ import annotations

import math

import numpy as np
import pytest

from topograph.downstream.rogi import coarse_graining_curve, rogi_xd


def test_constant_labels_zero():
    embeddings = np.random.default_rng(0).normal(size=(50, 3))
    assert rogi_xd(embeddings, np.full(50, 2.5)) == 0.0


def test_two_molecules_by_hand():
    # Labels normalise to 0 and 1, σ = 0.5 before the single merge and 0
    # after it; x goes from 0 to 1, so the trapezoid gives 0.5 / 2.
    assert rogi_xd(np.array([[0.0], [1.0]]), np.array([3.0, 7.0])) == pytest.approx(
        0.25
    )


def four_points():
    # Two tight pairs far apart: complete linkage merges within the pairs first.
    return np.array([[0.0], [0.01], [10.0], [10.02]])


def test_smooth_pairs_by_hand():
    x, sigma = coarse_graining_curve(four_points(), np.array([0.0, 0.0, 1.0, 1.0]))
    np.testing.assert_allclose(x, [0.0, 1 - math.log(3) / math.log(4), 0.5, 1.0])
    np.testing.assert_allclose(sigma, [0.5, 0.5, 0.5, 0.0])
    # Only the last interval [0.5, 1] contributes, a triangle of height 0.5.
    assert rogi_xd(four_points(), np.array([0.0, 0.0, 1.0, 1.0])) == pytest.approx(
        0.125
    )


def test_rough_pairs_by_hand():
    labels = np.array([0.0, 1.0, 0.0, 1.0])
    _, sigma = coarse_graining_curve(four_points(), labels)
    # After the first merge the values are 0.5, 0.5, 0, 1: σ = √(1/8).
    np.testing.assert_allclose(sigma, [0.5, math.sqrt(0.125), 0.0, 0.0], atol=1e-15)
    x1 = 1 - math.log(3) / math.log(4)
    differences = [0.0, 0.5 - math.sqrt(0.125), 0.5, 0.5]
    points = [0.0, x1, 0.5, 1.0]
    expected = sum(
        (points[i + 1] - points[i]) * (differences[i] + differences[i + 1]) / 2
        for i in range(3)
    )
    assert rogi_xd(four_points(), labels) == pytest.approx(expected)
    assert expected > 0.125


def test_smooth_below_rough():
    rng = np.random.default_rng(1)
    embeddings = rng.uniform(size=(300, 3))
    smooth = embeddings[:, 0] + embeddings[:, 1]
    rough = np.sin(40 * embeddings[:, 0]) * np.cos(40 * embeddings[:, 1])
    noise = rng.uniform(size=300)
    assert (
        rogi_xd(embeddings, smooth)
        < rogi_xd(embeddings, rough)
        < rogi_xd(embeddings, noise) + 0.05
    )
    assert rogi_xd(embeddings, smooth) < 0.5 * rogi_xd(embeddings, rough)


def test_label_scale_invariant():
    embeddings = np.random.default_rng(2).normal(size=(40, 2))
    labels = np.random.default_rng(3).normal(size=40)
    assert rogi_xd(embeddings, 100 * labels - 7) == pytest.approx(
        rogi_xd(embeddings, labels)
    )


def test_bounded_by_half():
    embeddings = np.random.default_rng(4).normal(size=(60, 2))
    labels = np.random.default_rng(5).integers(0, 2, 60).astype(float)
    assert 0.0 <= rogi_xd(embeddings, labels) <= 0.5


def test_invalid_inputs_raise():
    with pytest.raises(ValueError, match="at least two molecules"):
        rogi_xd(np.zeros((1, 2)), np.zeros(1))
    with pytest.raises(ValueError, match="shape"):
        rogi_xd(np.zeros((3, 2)), np.zeros(2))
    with pytest.raises(ValueError, match="finite"):
        rogi_xd(np.array([[0.0], [np.nan]]), np.zeros(2))

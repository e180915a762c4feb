"""Latin-hypercube latent samples and their neighbours on a sphere."""

from __future__ import annotations

import logging

import numpy as np
import pytest

from topograph.filltune.sampling import LatentSamples, sample_latent_box


def test_one_sample_per_stratum():
    samples = sample_latent_box(n_samples=50, dimension=7, n_neighbours=2, seed=3)
    strata = np.floor((samples.samples + 1.0) / 2.0 * 50).astype(int)
    for column in range(7):
        assert sorted(strata[:, column]) == list(range(50))


def test_samples_inside_box():
    samples = sample_latent_box(n_samples=40, dimension=5, low=-2.0, high=3.0, seed=1)
    assert samples.samples.min() >= -2.0
    assert samples.samples.max() <= 3.0


def test_neighbour_radius_exact():
    samples = sample_latent_box(
        n_samples=30, dimension=128, n_neighbours=10, radius=0.05, seed=0
    )
    assert samples.neighbours.shape == (30, 10, 128)
    distances = np.linalg.norm(samples.neighbours - samples.samples[:, None, :], axis=2)
    np.testing.assert_allclose(distances, 0.05, rtol=1e-12)


def test_neighbour_directions_spread():
    # Uniform directions on the sphere have mean near zero.
    samples = sample_latent_box(
        n_samples=200, dimension=3, n_neighbours=20, radius=1.0, seed=2
    )
    directions = samples.neighbours - samples.samples[:, None, :]
    assert np.abs(directions.reshape(-1, 3).mean(axis=0)).max() < 0.05


def test_same_seed_same_samples():
    first = sample_latent_box(n_samples=20, dimension=4, seed=9)
    second = sample_latent_box(n_samples=20, dimension=4, seed=9)
    other = sample_latent_box(n_samples=20, dimension=4, seed=10)
    np.testing.assert_array_equal(first.samples, second.samples)
    np.testing.assert_array_equal(first.neighbours, second.neighbours)
    assert not np.array_equal(first.samples, other.samples)


def test_save_load_round_trip(tmp_path):
    samples = sample_latent_box(
        n_samples=10, dimension=3, n_neighbours=4, radius=0.1, seed=5
    )
    samples.save(tmp_path / "samples.npz")
    loaded = LatentSamples.load(tmp_path / "samples.npz")
    np.testing.assert_array_equal(loaded.neighbours, samples.neighbours)
    assert (loaded.radius, loaded.low, loaded.high, loaded.seed) == (0.1, -1.0, 1.0, 5)


@pytest.mark.parametrize(
    "options, message",
    [
        ({"n_samples": 0}, "n_samples"),
        ({"radius": -0.1}, "radius"),
        ({"low": 1.0, "high": -1.0}, "latent box"),
        ({"dimension": 2.5}, "dimension"),
    ],
)
def test_invalid_settings_raise(options, message):
    with pytest.raises(ValueError, match=message):
        sample_latent_box(**options)


def test_load_missing_file_raises(tmp_path):
    with pytest.raises(ValueError, match="cannot read latent samples"):
        LatentSamples.load(tmp_path / "absent.npz")


def test_radius_wider_than_box_warns(caplog):
    with caplog.at_level(logging.WARNING, logger="topograph.filltune.sampling"):
        sample_latent_box(n_samples=4, dimension=3, n_neighbours=2, radius=50.0, low=-1.0, high=1.0, seed=0)
    assert "neighbour radius 50 is not smaller than the box width 2" in caplog.text
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="topograph.filltune.sampling"):
        sample_latent_box(n_samples=4, dimension=3, n_neighbours=2, radius=0.05, low=-1.0, high=1.0, seed=0)
    assert caplog.text == ""

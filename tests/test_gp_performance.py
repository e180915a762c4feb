"""Fixed against optimised ν: splits, intervals and the comparison table."""

from __future__ import annotations

import math

import numpy as np
import pytest
import scipy.stats

from topograph.gp.data import (
    REAL_DATASETS,
    build_dataset,
    load_real_dataset,
    subsample,
    synthetic_dataset,
    train_test_splits,
)
from topograph.gp.performance import compare_kernels, mean_interval, summarise


def test_mean_interval_matches_scipy():
    values = np.array([1.0, 1.4, 0.7, 1.9, 1.2])
    mean, low, high = mean_interval(values)
    expected = scipy.stats.t.interval(0.95, len(values) - 1, loc=values.mean(), scale=scipy.stats.sem(values))
    assert mean == pytest.approx(values.mean())
    assert (low, high) == pytest.approx(expected)


def test_mean_interval_of_infinite_values_is_nan():
    mean, low, high = mean_interval([math.inf, math.inf])
    assert mean == math.inf
    assert math.isnan(low)
    assert math.isnan(high)


def test_splits_are_disjoint_and_seeded():
    splits = train_test_splits(20, 3, 0.25, seed=4)
    for train, test in splits:
        assert len(test) == 5
        assert set(train).isdisjoint(test)
        assert sorted([*train, *test]) == list(range(20))
    again = train_test_splits(20, 3, 0.25, seed=4)
    for (train, test), (train_again, test_again) in zip(splits, again):
        np.testing.assert_array_equal(test, test_again)
    assert not np.array_equal(splits[0][1], splits[1][1])


@pytest.mark.parametrize("fraction", [0.0, 1.0, 0.01])
def test_invalid_test_fraction_raises(fraction):
    with pytest.raises(ValueError, match="test_fraction"):
        train_test_splits(20, 2, fraction, seed=0)


@pytest.mark.parametrize("name", REAL_DATASETS)
def test_real_datasets_load_offline(name):
    dataset = load_real_dataset(name)
    assert dataset.inputs.shape[0] == dataset.targets.shape[0] >= 60
    assert np.all(np.isfinite(dataset.inputs))
    assert np.all(np.isfinite(dataset.targets))


def test_known_real_sizes():
    assert load_real_dataset("nile").inputs.shape == (100, 1)
    assert load_real_dataset("elnino").inputs.shape == (732, 1)
    assert load_real_dataset("diabetes").inputs.shape == (442, 10)
    assert subsample(load_real_dataset("sunspots"), 50, seed=0).inputs.shape == (50, 1)


def test_unknown_source_raises():
    with pytest.raises(ValueError, match="source"):
        build_dataset("x", {"source": "openml"}, seed=0)


def test_compare_kernels_table():
    dataset = synthetic_dataset("m", nu=0.5, n_points=40, lengthscale=0.3, noise_variance=0.01, seed=2)
    rows = compare_kernels(
        "m", dataset.inputs, dataset.targets, [0.5, 2.5, math.inf], n_splits=2,
        test_fraction=0.25, restarts=2, seed=0,
    )  # fmt: skip
    assert len(rows) == 2 * 4
    by_kernel = {}
    for row in rows:
        by_kernel.setdefault(row["kernel"], []).append(row)
        assert row["rmse"] > 0
        assert math.isfinite(row["nlpd"])
    assert sorted(by_kernel) == ["0.5", "2.5", "inf", "optimised"]
    assert all(row["nu"] == 0.5 for row in by_kernel["0.5"])
    for split in range(2):
        fixed = [row["nlml"] for row in rows if row["split"] == split and row["kernel"] in ("0.5", "2.5")]
        optimised = next(row for row in rows if row["split"] == split and row["kernel"] == "optimised")
        # ν free includes 0.5 and 2.5, so its best NLML is no higher.
        assert optimised["nlml"] <= min(fixed) + 1e-6
        assert 0.2 <= optimised["nu"] <= 50.0

    summary = summarise(rows)
    assert [entry["kernel"] for entry in summary] == ["0.5", "2.5", "inf", "optimised"]
    first = summary[0]
    values = [row["rmse"] for row in by_kernel["0.5"]]
    assert first["rmse_mean"] == pytest.approx(np.mean(values))
    assert first["rmse_low"] < first["rmse_mean"] < first["rmse_high"]
    assert first["splits"] == 2

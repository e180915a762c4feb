"""Fixed heads on frozen embeddings and the paired comparison against a base model."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats
from sklearn.ensemble import GradientBoostingClassifier
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVR

from topograph.downstream.comparison import compare_to_base, paired_interval
from topograph.downstream.heads import SplitError, evaluate_embeddings


def regression_data(n=120, d=6, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, d))
    y = 3.0 * x[:, 0] - 2.0 * x[:, 1] ** 2 + 50.0 + rng.normal(scale=0.3, size=n)
    return x, y


def test_svr_rmse_matches_direct_sklearn():
    x, y = regression_data()
    scores = evaluate_embeddings(x, y, "regression", seeds=[0, 3], test_fraction=0.25)
    for score in scores:
        train_x, test_x, train_y, test_y = train_test_split(
            x, y, test_size=0.25, random_state=score.seed
        )
        scaler = StandardScaler().fit(train_y[:, None])
        head = SVR(kernel="rbf", C=5, epsilon=0.01).fit(
            train_x, scaler.transform(train_y[:, None]).ravel()
        )
        predictions = scaler.inverse_transform(head.predict(test_x)[:, None]).ravel()
        expected = math.sqrt(np.mean((predictions - test_y) ** 2))
        assert score.metric == "rmse"
        assert score.value == pytest.approx(expected, rel=1e-10)
        assert (score.n_train, score.n_test) == (90, 30)


def test_svr_rmse_in_original_units():
    x, y = regression_data()
    small = evaluate_embeddings(x, y, "regression", seeds=[1])[0].value
    large = evaluate_embeddings(x, 10.0 * y, "regression", seeds=[1])[0].value
    # Standardised targets agree only to rounding, and libsvm stops at a
    # tolerance of 1e-3, so the two fits differ slightly.
    assert large == pytest.approx(10.0 * small, rel=1e-3)


def test_gradient_boosting_auc_matches_direct_sklearn():
    rng = np.random.default_rng(1)
    x = rng.normal(size=(150, 4))
    labels = (x[:, 0] + 0.5 * rng.normal(size=150) > 0).astype(float)
    score = evaluate_embeddings(x, labels, "classification", seeds=[7])[0]
    train_x, test_x, train_y, test_y = train_test_split(
        x, labels, test_size=0.2, random_state=7, stratify=labels
    )
    head = GradientBoostingClassifier(random_state=7).fit(train_x, train_y)
    expected = roc_auc_score(test_y, head.predict_proba(test_x)[:, 1])
    assert score.metric == "roc_auc"
    assert score.value == pytest.approx(expected, rel=1e-12)
    assert score.value > 0.8


def test_invalid_inputs_raise():
    x, y = regression_data(n=20)
    with pytest.raises(ValueError, match="unknown task type"):
        evaluate_embeddings(x, y, "ranking")
    with pytest.raises(ValueError, match="labels must be 0 and 1"):
        evaluate_embeddings(x, y, "classification")
    with pytest.raises(ValueError, match="shape"):
        evaluate_embeddings(x, y[:5], "regression")


def test_paired_interval_matches_scipy_t():
    differences = np.array([0.1, -0.05, 0.2, 0.15, 0.03])
    mean, low, high = paired_interval(differences)
    expected_low, expected_high = stats.t.interval(
        0.95, df=4, loc=differences.mean(), scale=stats.sem(differences)
    )
    assert mean == pytest.approx(differences.mean())
    assert low == pytest.approx(expected_low, rel=1e-12)
    assert high == pytest.approx(expected_high, rel=1e-12)


def test_paired_interval_single_seed_is_nan():
    mean, low, high = paired_interval(np.array([0.2]))
    assert mean == 0.2
    assert math.isnan(low)
    assert math.isnan(high)


def records(model, task, metric, values):
    return [
        {"model": model, "task": task, "metric": metric, "seed": seed, "value": value}
        for seed, value in enumerate(values)
    ]


def test_compare_to_base_table():
    base_rmse = [1.0, 1.2, 0.9, 1.1]
    tuned_rmse = [0.9, 1.15, 0.85, 1.0]
    base_auc = [0.80, 0.82, 0.78]
    tuned_auc = [0.81, 0.84, 0.78]
    rows = compare_to_base(
        records("base", "freesolv", "rmse", base_rmse)
        + records("tuned", "freesolv", "rmse", tuned_rmse)
        + records("base", "bbb_class", "roc_auc", base_auc)
        + records("tuned", "bbb_class", "roc_auc", tuned_auc),
        base="base",
    )
    assert [(row["task"], row["model"]) for row in rows] == [
        ("bbb_class", "base"), ("bbb_class", "tuned"), ("freesolv", "base"), ("freesolv", "tuned"),
    ]  # fmt: skip
    rmse = rows[3]
    differences = np.subtract(tuned_rmse, base_rmse)
    low, high = stats.t.interval(
        0.95, 3, loc=differences.mean(), scale=stats.sem(differences)
    )
    assert rmse["change"] == pytest.approx(differences.mean())
    assert rmse["ci_low"] == pytest.approx(low)
    assert rmse["ci_high"] == pytest.approx(high)
    assert rmse["improvement"] == pytest.approx(
        -differences.mean()
    )  # lower RMSE is better
    assert rmse["relative_change_percent"] == pytest.approx(
        100 * differences.mean() / np.mean(base_rmse)
    )
    auc = rows[1]
    assert auc["improvement"] == pytest.approx(
        np.mean(np.subtract(tuned_auc, base_auc))
    )
    assert rows[0]["change"] == 0.0


def test_compare_requires_same_seeds():
    with pytest.raises(ValueError, match="for seeds \\[2\\]"):
        compare_to_base(
            records("base", "t", "rmse", [1.0, 1.0, 1.0])
            + records("other", "t", "rmse", [1.0, 1.0]),
            base="base",
        )


def test_compare_requires_base():
    with pytest.raises(ValueError, match="base model 'base' has no metrics"):
        compare_to_base(records("other", "t", "rmse", [1.0]), base="base")


def test_compare_rejects_repeated_seed():
    with pytest.raises(ValueError, match="model 'base', task 't', seed 0 has more than one metric"):
        compare_to_base(
            records("base", "t", "rmse", [1.0]) + records("base", "t", "rmse", [1.1]),
            base="base",
        )


def test_compare_rejects_nan_metric():
    with pytest.raises(ValueError, match="seed 1 has the metric nan"):
        compare_to_base(records("base", "t", "rmse", [1.0, math.nan]), base="base")


def test_compare_base_row_positive_zero():
    rows = compare_to_base(
        records("base", "t", "rmse", [1.0, 1.2]) + records("tuned", "t", "rmse", [0.9, 1.0]),
        base="base",
    )
    # Negating the base row's zero RMSE change would give -0.0.
    assert math.copysign(1.0, rows[0]["improvement"]) == 1.0
    assert math.copysign(1.0, rows[0]["relative_change_percent"]) == 1.0


def test_one_member_class_split_error():
    x = np.random.default_rng(2).normal(size=(20, 3))
    labels = np.zeros(20)
    labels[4] = 1.0
    with pytest.raises(SplitError, match="class 1 has 1 of 20 molecules"):
        evaluate_embeddings(x, labels, "classification", seeds=[0])

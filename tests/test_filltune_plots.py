"""Sizes of the fill-tuning figures."""

import matplotlib.image
import pytest

from topograph.filltune.plots import plot_task_changes

DPI = 150


def comparison_rows(tasks, models):
    rows = []
    for task in tasks:
        rows.append({"model": "base", "task": task, "metric": "rmse", "base_mean": 1.0,
                     "change": 0.0, "ci_low": 0.0, "ci_high": 0.0})  # fmt: skip
        for index, model in enumerate(models):
            change = -0.01 * (index + 1)
            rows.append({"model": model, "task": task, "metric": "rmse", "base_mean": 1.0,
                         "change": change, "ci_low": change - 0.01, "ci_high": change + 0.01})  # fmt: skip
    return rows


@pytest.mark.parametrize(
    ("models", "width_inches"),
    [
        (["filltuned_s0", "random_s0", "finetuned_s0"], 5.5),
        ([f"{variant}_s{seed}" for seed in range(5) for variant in ("filltuned", "random", "finetuned")], 14.0),
    ],
)
def test_task_changes_width_grows_then_caps(tmp_path, models, width_inches):
    tasks = ["freesolv", "solubility", "bbb_logbb", "bbb_class", "qm9_gap"]
    path = tmp_path / "changes.png"
    plot_task_changes(comparison_rows(tasks, models), path, base="base")
    height, width = matplotlib.image.imread(path).shape[:2]
    assert width == pytest.approx(width_inches * DPI, abs=2)
    assert height == pytest.approx(4.0 * DPI, abs=2)

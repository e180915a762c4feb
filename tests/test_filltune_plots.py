"""Sizes and labels of the fill-tuning figures."""

import matplotlib.image
import numpy as np
import pytest

from topograph.filltune.plots import (
    plot_contributions,
    plot_surface_minima,
    plot_task_changes,
)

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


def legend_labels(axes):
    return [text.get_text() for text in axes.get_legend().get_texts()]


def test_surface_minima_show_cut(tmp_path):
    figure = plot_surface_minima(np.array([-0.5, -0.3, -0.05]), -0.1, tmp_path / "m.png")
    axes = figure.axes[0]
    assert axes.get_ylabel() == "roughness-surface energy"
    assert legend_labels(axes) == ["proposed region", "above the cut", "cut -0.1"]


def test_fallback_minima_all_candidates(tmp_path):
    # The fallback writes responses in [0, 1] as the energies.
    figure = plot_surface_minima(np.array([0.05, 0.1, 0.2]), -0.1, tmp_path / "m.png")
    axes = figure.axes[0]
    assert axes.get_ylabel() == "response"
    assert axes.get_title() == "lowest-response data points (no transition states)"
    assert legend_labels(axes) == ["candidates"]
    assert not any(label.startswith("cut") for label in legend_labels(axes))
    assert (tmp_path / "m.png").stat().st_size > 0


def test_empty_contributions_text_panel(tmp_path):
    figure = plot_contributions(np.zeros(0), tmp_path / "c.png")
    axes = figure.axes[0]
    assert not axes.axison
    assert [text.get_text() for text in axes.texts] == [
        "no transition states, so no frustration contributions"
    ]
    assert (tmp_path / "c.png").stat().st_size > 0


def test_contributions_are_ranked_on_a_log_axis(tmp_path):
    figure = plot_contributions(np.array([0.1, 0.0, 2.0]), tmp_path / "c.png")
    axes = figure.axes[0]
    assert axes.get_yscale() == "log"
    assert axes.get_title() == "2 non-zero contributions"

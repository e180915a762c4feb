"""Figures of the GP study."""

from __future__ import annotations

import math

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from topograph.gp.continuation import Branch, Catastrophe  # noqa: E402


def plot_branches(
    branches: list[Branch], catastrophes: list[Catastrophe], path, title: str = ""
) -> None:
    """Draw stationary-point energy against ν, minima in blue and saddles in red.

    Branches followed up the grid are solid, those followed down it dashed.
    Folds are marked with a black cross at the estimated ν.
    """
    figure, axes = plt.subplots(figsize=(6.0, 4.0))
    for branch in branches:
        colour = "tab:blue" if branch.kind == "minimum" else "tab:red"
        style = "-" if branch.direction == 1 else "--"
        axes.plot(branch.parameters, branch.energies, style, color=colour, marker=".", lw=1)
    folds = [item for item in catastrophes if item.kind == "fold"]
    if folds:
        axes.plot(
            [item.estimated_parameter for item in folds],
            [item.energy for item in folds],
            "kx", markersize=10, mew=2, label="fold",
        )  # fmt: skip
    axes.plot([], [], "-", color="tab:blue", label="minimum")
    axes.plot([], [], "-", color="tab:red", label="saddle (index 1)")
    axes.set_xscale("log")
    axes.set_xlabel("Matérn smoothness ν")
    axes.set_ylabel("negative log marginal likelihood")
    axes.set_title(title)
    axes.legend(fontsize=8)
    figure.tight_layout()
    figure.savefig(path, dpi=150)
    plt.close(figure)


def plot_performance(summary: list[dict], path) -> None:
    """Draw test RMSE and NLPD with 95 % intervals per data set and kernel."""
    datasets = list(dict.fromkeys(row["dataset"] for row in summary))
    figure, axes = plt.subplots(
        2, len(datasets), figsize=(3.0 * len(datasets), 5.0), squeeze=False
    )
    for column, dataset in enumerate(datasets):
        rows = [row for row in summary if row["dataset"] == dataset]
        labels = [str(row["kernel"]) for row in rows]
        for line, metric in enumerate(("rmse", "nlpd")):
            means = np.array([row[f"{metric}_mean"] for row in rows])
            low = np.array([row[f"{metric}_low"] for row in rows])
            high = np.array([row[f"{metric}_high"] for row in rows])
            errors = np.nan_to_num(np.vstack([means - low, high - means]))
            colours = ["tab:orange" if label == "optimised" else "tab:grey" for label in labels]
            axes[line, column].bar(range(len(rows)), means, yerr=errors, color=colours, capsize=3)
            axes[line, column].set_xticks(range(len(rows)), labels, rotation=45, fontsize=7)
            axes[line, column].set_ylabel(f"test {metric.upper()}")
            if line == 0:
                axes[line, column].set_title(dataset, fontsize=9)
            finite = np.concatenate([low[np.isfinite(low)], means])
            if metric == "nlpd" and finite.size:
                span = high[np.isfinite(high)].max(initial=means.max()) - finite.min()
                axes[line, column].set_ylim(finite.min() - 0.2 * span - 1e-9, None)
    figure.tight_layout()
    figure.savefig(path, dpi=150)
    plt.close(figure)


def plot_ensemble_gain(rows: list[dict], path) -> None:
    """Scatter the a-priori (leave-one-out) gain against the measured test gain per scheme."""
    figure, axes = plt.subplots(figsize=(4.5, 4.5))
    markers = {"uniform": "o", "boltzmann": "s", "harmonic": "^"}
    values = []
    for scheme, marker in markers.items():
        members = [row for row in rows if row["scheme"] == scheme]
        x = [row["predicted_gain"] for row in members]
        y = [row["measured_gain"] for row in members]
        values += x + y
        axes.scatter(x, y, marker=marker, label=scheme, alpha=0.7)
    finite = [value for value in values if math.isfinite(value)]
    limit = max([abs(value) for value in finite] + [1e-3]) * 1.1
    axes.plot([-limit, limit], [-limit, limit], "k:", lw=1)
    axes.axhline(0, color="grey", lw=0.5)
    axes.axvline(0, color="grey", lw=0.5)
    axes.set_xlabel("predicted gain (leave-one-out NLPD, training data)")
    axes.set_ylabel("measured gain (test NLPD)")
    axes.legend(fontsize=8)
    figure.tight_layout()
    figure.savefig(path, dpi=150)
    plt.close(figure)

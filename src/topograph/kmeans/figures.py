"""Figures of the K-means study: how landscapes change as outliers are added."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from topograph.database.atomic import atomic_write

# Panels of the outlier figure: measure and axis label.
PANELS = (
    ("minima", "minima"),
    ("funnel_bottoms", "funnel bottoms"),
    ("fraction_draining_to_global", "fraction draining to global min."),
    ("global_minimum_accuracy", "accuracy of global minimum"),
    ("cost_accuracy_spearman", "Spearman(cost, accuracy)"),
    ("similarity_ari_spearman", "Spearman(kinetic sim., ARI)"),
)


def _save(figure, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_write(path, "wb") as handle:
        figure.savefig(handle, format=path.suffix.lstrip(".") or "png", dpi=150, bbox_inches="tight")


def plot_outlier_effects(landscapes: list[dict], path: str | Path) -> None:
    """Plot each landscape measure against the number of outliers, one line per data set and K (mean over seeds)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(12, 6.5))
    FigureCanvasAgg(figure)
    groups = sorted({(row["dataset"], row["n_clusters"]) for row in landscapes})
    counts = sorted({row["outliers"] for row in landscapes})
    for position, (measure, label) in enumerate(PANELS, start=1):
        axes = figure.add_subplot(2, 3, position)
        for dataset, n_clusters in groups:
            means = []
            for count in counts:
                values = [
                    row[measure] for row in landscapes
                    if (row["dataset"], row["n_clusters"], row["outliers"]) == (dataset, n_clusters, count)
                    and np.isfinite(row[measure])
                ]  # fmt: skip
                means.append(np.mean(values) if values else np.nan)
            axes.plot(counts, means, marker="o", label=f"{dataset}, K={n_clusters}")
        axes.set_xlabel("outliers")
        axes.set_ylabel(label)
        axes.set_xticks(counts)
    figure.axes[0].legend(fontsize="small")
    figure.tight_layout()
    _save(figure, Path(path))


def plot_similarity_vs_ari(pairs: list[dict], outlier_counts: list[int], path: str | Path) -> None:
    """Scatter the kinetic similarity of pairs of minima against their adjusted Rand index, one panel per outlier count."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    counts = list(outlier_counts) or [0]
    figure = Figure(figsize=(4 * len(counts), 3.6))
    FigureCanvasAgg(figure)
    datasets = sorted({pair["dataset"] for pair in pairs})
    # Similarities span hundreds of orders of magnitude; the floor keeps zeros on the plot.
    floor = 1e-300
    for position, count in enumerate(counts, start=1):
        axes = figure.add_subplot(1, len(counts), position)
        for dataset in datasets:
            chosen = [pair for pair in pairs if pair["outliers"] == count and pair["dataset"] == dataset]
            if not chosen:
                continue
            similarity = np.log10(np.maximum([pair["kinetic_similarity"] for pair in chosen], floor))
            axes.scatter([pair["ari"] for pair in chosen], similarity, s=10, label=dataset)
        axes.set_title(f"{count} outliers")
        axes.set_xlabel("ARI between the two minima")
        axes.set_ylabel("log10 kinetic similarity")
        if datasets:
            axes.legend(fontsize="small")
    figure.tight_layout()
    _save(figure, Path(path))

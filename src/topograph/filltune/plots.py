"""Figures of the fill-tuning pipeline (matplotlib with the Agg backend).

- :func:`plot_response_histogram`: the distribution of the response;
- :func:`plot_contributions`: frustration contributions ranked, largest first;
- :func:`plot_surface_minima`: energies of the roughness-surface minima
  with the cut below which they are proposed, or the responses of the
  lowest-response data points when the landscape has no transition states;
- :func:`draw_molecule_grid`: proposed molecules drawn by RDKit;
- :func:`plot_task_changes`: per-task change against the base model with
  95 % confidence intervals.

Each function writes one image file whose format follows its suffix. The
matplotlib functions also return the closed figure, so that its labels can
be inspected.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.ticker import MaxNLocator  # noqa: E402

from topograph.downstream.heads import HIGHER_IS_BETTER  # noqa: E402
from topograph.filltune.surface_minima import is_lowest_response_fallback  # noqa: E402


def _save(figure, path) -> None:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.tight_layout()
    figure.savefig(path, dpi=150)
    plt.close(figure)


def plot_response_histogram(response: np.ndarray, path, bins: int = 40) -> None:
    """Draw a histogram of the response (mean neighbour similarity)."""
    figure, axes = plt.subplots(figsize=(5, 3.5))
    axes.hist(np.asarray(response), bins=bins, range=(0.0, 1.0), color="tab:blue")
    axes.set_xlabel("mean Tanimoto similarity to neighbours")
    axes.set_ylabel("samples")
    axes.set_title(f"response of {len(response)} samples")
    _save(figure, path)


def plot_contributions(contributions: np.ndarray, path) -> Figure:
    """Draw frustration contributions ranked from the largest, on a log axis.

    With no contributions, which ``topograph filltune roughness`` writes for
    a landscape without transition states, the figure is a text panel that
    states this instead of an empty axis.
    """
    values = np.sort(np.asarray(contributions, dtype=np.float64))[::-1]
    figure, axes = plt.subplots(figsize=(5, 3.5))
    if values.size == 0:
        axes.axis("off")
        axes.text(
            0.5, 0.5, "no transition states, so no frustration contributions",
            ha="center", va="center",
        )  # fmt: skip
        _save(figure, path)
        return figure
    positive = values > 0
    axes.plot(
        np.arange(1, len(values) + 1)[positive], values[positive], ".", color="tab:red"
    )
    axes.set_yscale("log")
    axes.set_xlabel("rank")
    axes.set_ylabel("frustration contribution")
    axes.set_title(f"{int(positive.sum())} non-zero contributions")
    _save(figure, path)
    return figure


def plot_surface_minima(energies: np.ndarray, cut: float, path) -> Figure:
    """Draw the roughness-surface minima by rank with the energy cut.

    When the energies come from the lowest-response fallback (see
    :func:`~topograph.filltune.surface_minima.is_lowest_response_fallback`)
    they are responses, and every point is a candidate, so the figure shows
    them as such without the cut.
    """
    energies = np.sort(np.asarray(energies, dtype=np.float64))
    figure, axes = plt.subplots(figsize=(5, 3.5))
    ranks = np.arange(1, len(energies) + 1)
    if is_lowest_response_fallback(energies):
        axes.plot(ranks, energies, ".", color="tab:green", label="candidates")
        axes.xaxis.set_major_locator(MaxNLocator(integer=True))
        axes.set_xlabel("rank")
        axes.set_ylabel("response")
        axes.set_title("lowest-response data points (no transition states)")
        axes.legend(frameon=False, loc="best")
        _save(figure, path)
        return figure
    below = energies < cut
    if below.any():
        axes.plot(ranks[below], energies[below], ".", color="tab:green", label="proposed region")
    if not below.all():
        axes.plot(ranks[~below], energies[~below], ".", color="tab:gray", label="above the cut")
    axes.axhline(cut, color="black", linestyle="--", linewidth=1, label=f"cut {cut:g}")
    axes.xaxis.set_major_locator(MaxNLocator(integer=True))
    axes.set_xlabel("rank")
    axes.set_ylabel("roughness-surface energy")
    axes.legend(frameon=False, loc="best")
    _save(figure, path)
    return figure


def draw_molecule_grid(
    smiles: Sequence[str],
    path,
    per_row: int = 5,
    max_molecules: int = 30,
    size: int = 250,
) -> int:
    """Draw the first ``max_molecules`` molecules as a PNG grid; return how many were drawn."""
    from rdkit import Chem
    from rdkit.Chem import Draw

    molecules = []
    legends = []
    for rank, text in enumerate(smiles[:max_molecules]):
        molecule = Chem.MolFromSmiles(text) if text else None
        if molecule is not None:
            molecules.append(molecule)
            legends.append(str(rank))
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if not molecules:
        # An empty grid still gives the workflow its output file.
        figure, axes = plt.subplots(figsize=(4, 1))
        axes.axis("off")
        axes.text(0.5, 0.5, "no molecules proposed", ha="center", va="center")
        _save(figure, path)
        return 0
    image = Draw.MolsToGridImage(
        molecules, molsPerRow=per_row, subImgSize=(size, size), legends=legends
    )
    image.save(str(path))
    return len(molecules)


def plot_task_changes(rows: Sequence[Mapping], path, base: str | None = None) -> None:
    """Draw each task's improvement over the base model with its 95 % interval.

    ``rows`` are those of :func:`topograph.downstream.comparison.compare_to_base`;
    the improvement is signed so that positive is better, as a percentage
    of the base mean.
    """
    models = [
        model for model in dict.fromkeys(row["model"] for row in rows) if model != base
    ]
    tasks = list(dict.fromkeys(row["task"] for row in rows))
    # About 0.3 inch per bar, capped so that the paper grid (5 tasks, 15
    # trained models) stays readable on a screen.
    bars = len(tasks) * max(1, len(models))
    figure, axes = plt.subplots(figsize=(min(14.0, max(5.0, 1.0 + 0.3 * bars)), 4.0))
    width = 0.8 / max(1, len(models))
    for offset, model in enumerate(models):
        heights, lower, upper = [], [], []
        for task in tasks:
            row = next(
                (r for r in rows if r["model"] == model and r["task"] == task), None
            )
            if row is None or not row["base_mean"]:
                heights.append(math.nan)
                lower.append(0.0)
                upper.append(0.0)
                continue
            sign = 1.0 if HIGHER_IS_BETTER.get(row["metric"], True) else -1.0
            scale = 100.0 / abs(row["base_mean"])
            centre = sign * row["change"] * scale
            ends = sorted([sign * row["ci_low"] * scale, sign * row["ci_high"] * scale])
            heights.append(centre)
            lower.append(0.0 if math.isnan(ends[0]) else centre - ends[0])
            upper.append(0.0 if math.isnan(ends[1]) else ends[1] - centre)
        positions = np.arange(len(tasks)) + (offset - (len(models) - 1) / 2) * width
        axes.bar(positions, heights, width, yerr=[lower, upper], capsize=3, label=model)
    axes.axhline(0.0, color="black", linewidth=0.8)
    axes.set_xticks(np.arange(len(tasks)))
    axes.set_xticklabels(tasks, rotation=30, ha="right")
    axes.set_ylabel("improvement over base (%)")
    if models:
        axes.legend(frameon=False)
    _save(figure, path)

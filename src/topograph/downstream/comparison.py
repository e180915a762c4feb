"""Per-task change of a model's downstream metric against the base model.

The metrics of every model on a task come from the same seeded splits, so
the comparison is paired: for each seed s the difference
d_s = metric(model, s) − metric(base, s) removes the variation between
splits. With n seeds, mean d̄ and sample standard deviation s_d (n − 1 in
the denominator), the 95 % confidence interval of the mean change is the
Student t interval

    d̄ ± t_{0.975, n−1} · s_d / √n.

It assumes the differences are roughly normal and independent across
seeds. Splits of one data set overlap, so the interval is optimistic when
test sets share many molecules. With one seed there is no interval (NaN).

``improvement`` is the change signed so that positive is better: the
change itself for ROC-AUC, its negative for RMSE. ``relative_change`` is
the mean change in percent of the base mean.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Iterable, Mapping
from pathlib import Path

import numpy as np
from scipy import stats

from topograph.database.atomic import atomic_write
from topograph.downstream.heads import HIGHER_IS_BETTER

METRIC_COLUMNS = ("model", "task", "metric", "seed", "value")
TABLE_COLUMNS = (
    "model", "task", "metric", "seeds", "base_mean", "mean", "change", "ci_low",
    "ci_high", "relative_change", "improvement",
)  # fmt: skip
CONFIDENCE = 0.95


def paired_interval(
    differences: np.ndarray, confidence: float = CONFIDENCE
) -> tuple[float, float, float]:
    """Return the mean of ``differences`` and its two-sided Student t interval."""
    differences = np.asarray(differences, dtype=np.float64)
    n = differences.size
    mean = float(differences.mean())
    if n < 2:
        return mean, math.nan, math.nan
    half_width = float(
        stats.t.ppf(0.5 + confidence / 2, n - 1)
        * differences.std(ddof=1)
        / math.sqrt(n)
    )
    return mean, mean - half_width, mean + half_width


def compare_to_base(records: Iterable[Mapping], base: str) -> list[dict]:
    """Tabulate each task's metric and its change against ``base``, paired over seeds.

    Parameters
    ----------
    records : iterable of mappings
        Rows with ``model``, ``task``, ``metric``, ``seed`` and ``value``.
    base : str
        The model the others are compared with.

    Returns
    -------
    list of dict
        One row per (model, task) with the columns of :data:`TABLE_COLUMNS`,
        base rows included (zero change), ordered by task, then model with
        the base first.

    Raises
    ------
    ValueError
        If ``base`` has no metrics, or a model lacks a seed that the base has
        on a task (so the pairing would be incomplete).
    """
    values: dict[tuple[str, str], dict[int, float]] = {}
    metrics: dict[str, str] = {}
    for record in records:
        key = (str(record["model"]), str(record["task"]))
        values.setdefault(key, {})[int(record["seed"])] = float(record["value"])
        metrics[key[1]] = str(record["metric"])
    models = sorted({model for model, _ in values})
    if base not in models:
        raise ValueError(
            f"the base model {base!r} has no metrics; models present: {', '.join(models)}"
        )

    rows = []
    for task in sorted(metrics):
        if (base, task) not in values:
            raise ValueError(f"the base model {base!r} has no metrics on task {task!r}")
        base_values = values[(base, task)]
        seeds = sorted(base_values)
        reference = np.array([base_values[seed] for seed in seeds])
        ordered = [base] + [model for model in models if model != base]
        for model in ordered:
            if (model, task) not in values:
                continue
            own = values[(model, task)]
            missing = [seed for seed in seeds if seed not in own]
            if missing:
                raise ValueError(
                    f"model {model!r} has no metric on task {task!r} for seeds {missing}; "
                    "evaluate every model on the same seeds"
                )
            current = np.array([own[seed] for seed in seeds])
            change, low, high = paired_interval(current - reference)
            sign = 1.0 if HIGHER_IS_BETTER.get(metrics[task], True) else -1.0
            base_mean = float(reference.mean())
            rows.append(
                {
                    "model": model,
                    "task": task,
                    "metric": metrics[task],
                    "seeds": len(seeds),
                    "base_mean": base_mean,
                    "mean": float(current.mean()),
                    "change": change,
                    "ci_low": low,
                    "ci_high": high,
                    "relative_change": (
                        100.0 * change / base_mean if base_mean else math.nan
                    ),
                    "improvement": sign * change,
                }
            )
    return rows


def write_table(path, rows: list[Mapping], columns: Iterable[str]) -> None:
    """Write ``rows`` as CSV with ``columns``; floats at full precision."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    columns = list(columns)
    with atomic_write(path, "w") as handle:
        writer = csv.writer(handle)
        writer.writerow(columns)
        for row in rows:
            writer.writerow(
                [
                    repr(row[name]) if isinstance(row[name], float) else row[name]
                    for name in columns
                ]
            )


def read_metrics(paths: Iterable) -> list[dict]:
    """Read metric tables (columns ``model, task, metric, seed, value``) into records."""
    records = []
    for path in paths:
        path = Path(path)
        try:
            with open(path, newline="", encoding="utf-8") as handle:
                reader = csv.DictReader(handle)
                missing = [
                    name
                    for name in METRIC_COLUMNS
                    if name not in (reader.fieldnames or [])
                ]
                if missing:
                    raise ValueError(
                        f"metrics file {path} lacks the columns {missing}; write it with "
                        "`topograph filltune evaluate`"
                    )
                records.extend(dict(row) for row in reader)
        except OSError as error:
            raise ValueError(f"cannot read metrics file {path} ({error})") from None
    return records

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
change itself for ROC-AUC, its negative for RMSE. ``relative_change_percent``
is the mean change in percent of the base mean.
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
    "ci_high", "relative_change_percent", "improvement",
)  # fmt: skip
# Columns of the comparison table that hold numbers; NaN is allowed there
# (an interval from one seed, or a change relative to a zero base mean).
TABLE_NUMBER_COLUMNS = (
    "base_mean", "mean", "change", "ci_low", "ci_high", "relative_change_percent",
    "improvement",
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
        If ``base`` has no metrics, a model lacks a seed that the base has
        on a task (so the pairing would be incomplete), a (model, task, seed)
        appears twice, or a value is not finite.
    """
    values: dict[tuple[str, str], dict[int, float]] = {}
    metrics: dict[str, str] = {}
    for record in records:
        key = (str(record["model"]), str(record["task"]))
        seed, value = int(record["seed"]), float(record["value"])
        if seed in values.get(key, {}):
            raise ValueError(
                f"model {key[0]!r}, task {key[1]!r}, seed {seed} has more than one "
                "metric; give each model, task and seed once"
            )
        if not math.isfinite(value):
            raise ValueError(
                f"model {key[0]!r}, task {key[1]!r}, seed {seed} has the metric {value}; "
                "every metric must be a finite number"
            )
        values.setdefault(key, {})[seed] = value
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
                    "relative_change_percent": _positive_zero(
                        100.0 * change / base_mean if base_mean else math.nan
                    ),
                    "improvement": _positive_zero(sign * change),
                }
            )
    return rows


def _positive_zero(value: float) -> float:
    """Return ``value`` with -0.0 replaced by 0.0, which the CSV would print as -0.0."""
    return 0.0 if value == 0 else value


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
    """Read metric tables (columns ``model, task, metric, seed, value``) into records.

    Returns
    -------
    list of dict
        One record per row, with ``seed`` an int and ``value`` a float.

    Raises
    ------
    ValueError
        If a file cannot be read, lacks a column or has no rows, a seed is not
        an integer, or a value is not a finite number. Also if a (model, task,
        seed) appears twice, in one file or across files, so one file given
        twice is rejected. The message names the file and line.
    """
    records = []
    seen: dict[tuple[str, str, int], str] = {}
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
                rows_before = len(records)
                for row in reader:
                    place = f"{path} line {reader.line_num}"
                    record = dict(row)
                    record["seed"] = _read_seed(row["seed"], place)
                    record["value"] = _read_number(
                        row["value"], place, "value", "evaluate"
                    )
                    if not math.isfinite(record["value"]):
                        raise ValueError(
                            f"{place}, column 'value': the metric is {row['value']!r}; "
                            "every metric must be a finite number, so evaluate that "
                            "model and task again"
                        )
                    key = (row["model"], row["task"], record["seed"])
                    if key in seen:
                        raise ValueError(
                            f"{place} repeats model {key[0]!r}, task {key[1]!r}, seed "
                            f"{key[2]}, already in {seen[key]}; give each metrics file once and "
                            "each model, task and seed once"
                        )
                    seen[key] = place
                    records.append(record)
                if len(records) == rows_before:
                    raise ValueError(
                        f"metrics file {path} has no rows; write it with "
                        "`topograph filltune evaluate`"
                    )
        except (OSError, UnicodeDecodeError, csv.Error) as error:
            raise ValueError(f"cannot read metrics file {path} ({error})") from None
    return records


def read_comparison(path) -> list[dict]:
    """Read a comparison table written by ``topograph filltune compare``.

    Returns
    -------
    list of dict
        One dict per row, with the columns of :data:`TABLE_NUMBER_COLUMNS` as
        floats (NaN allowed) and the others as strings.

    Raises
    ------
    ValueError
        If the file cannot be read, lacks a column of :data:`TABLE_COLUMNS`,
        or a number column contains text that is not a number (naming the line
        and column).
    """
    path = Path(path)
    rows = []
    try:
        with open(path, newline="", encoding="utf-8") as handle:
            reader = csv.DictReader(handle)
            missing = [
                name for name in TABLE_COLUMNS if name not in (reader.fieldnames or [])
            ]
            if missing:
                raise ValueError(
                    f"comparison table {path} lacks the columns {missing}; write it "
                    "again with `topograph filltune compare`"
                )
            for row in reader:
                place = f"{path} line {reader.line_num}"
                for name in TABLE_NUMBER_COLUMNS:
                    row[name] = _read_number(row[name], place, name, "compare")
                rows.append(row)
    except (OSError, UnicodeDecodeError, csv.Error) as error:
        raise ValueError(f"cannot read comparison table {path} ({error})") from None
    return rows


def _read_number(text, place: str, column: str, command: str) -> float:
    try:
        return float(text)
    except (TypeError, ValueError):
        raise ValueError(
            f"{place}, column {column!r}: {text!r} is not a number; write the file "
            f"again with `topograph filltune {command}`"
        ) from None


def _read_seed(text, place: str) -> int:
    try:
        return int(text)
    except (TypeError, ValueError):
        raise ValueError(
            f"{place}, column 'seed': {text!r} is not an integer seed; write the file "
            "again with `topograph filltune evaluate`"
        ) from None

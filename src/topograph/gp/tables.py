"""CSV tables of the GP study, written atomically."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np

from topograph.database.atomic import atomic_write


def write_rows(path, rows: list[dict], columns: list[str] | None = None) -> None:
    """Write ``rows`` (dicts with the same keys) as a CSV file with a header."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if columns is None:
        columns = list(rows[0]) if rows else []
    with atomic_write(path, "w") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns, lineterminator="\n")
        writer.writeheader()
        for row in rows:
            writer.writerow({key: _format(row[key]) for key in columns})


def _format(value):
    if isinstance(value, (float, np.floating)):
        return repr(float(value))
    return value


def read_rows(path) -> list[dict]:
    """Read a CSV table; values that parse as numbers become floats."""
    path = Path(path)
    if not path.is_file():
        raise ValueError(f"table {path} not found; run the step that writes it first")
    with open(path, newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    return [{key: _parse(value) for key, value in row.items()} for row in rows]


def _parse(value: str):
    try:
        return float(value)
    except ValueError:
        return value


def write_dataset_csv(path, inputs: np.ndarray, targets: np.ndarray) -> None:
    """Write inputs and the target (last column) as a CSV file with a header."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    header = [f"x{d}" for d in range(inputs.shape[1])] + ["y"]
    with atomic_write(path, "w") as handle:
        np.savetxt(
            handle, np.column_stack([inputs, targets]), delimiter=",",
            header=",".join(header), comments="", fmt="%.17g",
        )  # fmt: skip

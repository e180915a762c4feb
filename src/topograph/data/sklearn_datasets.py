"""Real data sets that ship inside scikit-learn, written as CSV files.

These give the workflow real response surfaces to interpolate without any
download: the loaders below read files bundled in the scikit-learn wheel.
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np

from topograph.database.atomic import atomic_write

logger = logging.getLogger(__name__)

LOADERS = {
    "diabetes": "load_diabetes",
    "iris": "load_iris",
    "wine": "load_wine",
    "breast_cancer": "load_breast_cancer",
}


def load_sklearn_dataset(
    name: str,
    features: list[int] | None = None,
    max_rows: int | None = None,
    seed: int = 0,
) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Load a bundled scikit-learn data set.

    Parameters
    ----------
    name
        One of ``diabetes``, ``iris``, ``wine``, ``breast_cancer``.
    features
        Column indices of the inputs to keep; all columns when empty or None.
    max_rows
        Keep at most this many rows, drawn without replacement with ``seed``
        and kept in their original order.

    Returns
    -------
    inputs (n, d), target (n,), and the names of the kept columns followed
    by the target's name.
    """
    import sklearn.datasets

    if name not in LOADERS:
        raise ValueError(f"unknown scikit-learn data set {name!r}; choose one of {', '.join(LOADERS)}")
    bunch = getattr(sklearn.datasets, LOADERS[name])()
    inputs = np.asarray(bunch.data, dtype=np.float64)
    target = np.asarray(bunch.target, dtype=np.float64)
    names = list(bunch.feature_names)

    if features:
        invalid = [index for index in features if not 0 <= index < inputs.shape[1]]
        if invalid:
            raise ValueError(
                f"feature indices {invalid} are out of range for {name}, which has "
                f"{inputs.shape[1]} columns (0 to {inputs.shape[1] - 1})"
            )
        inputs = inputs[:, features]
        names = [names[index] for index in features]

    if max_rows is not None and max_rows < 2:
        raise ValueError(f"max_rows must be at least 2 (or all rows), got {max_rows}")
    if seed < 0:
        raise ValueError(f"seed must be zero or positive, got {seed}")
    if features and len(set(features)) != len(features):
        raise ValueError(f"feature indices {features} repeat a column; list each column once")
    if max_rows is not None and max_rows < len(target):
        rows = np.sort(np.random.default_rng(seed).choice(len(target), size=max_rows, replace=False))
        inputs, target = inputs[rows], target[rows]

    logger.info("loaded %s: %d rows, columns %s", name, len(target), names)
    return inputs, target, names + ["target"]


def write_csv(path: str | Path, inputs: np.ndarray, target: np.ndarray, header: list[str]) -> None:
    """Write inputs and target as a CSV file with a header row, the target last."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    table = np.column_stack([inputs, target])
    with atomic_write(path, "w") as handle:
        np.savetxt(handle, table, delimiter=",", header=",".join(header), comments="", fmt="%.17g")

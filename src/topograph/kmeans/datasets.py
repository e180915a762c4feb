"""Data sets of the K-means study, and the CSV layout the workflow passes between steps.

Built-in sources, all offline:

- ``iris``: scikit-learn's Iris (150 × 4, three species);
- ``wine``: scikit-learn's Wine (178 × 13, three cultivars);
- ``blobs``: isotropic Gaussian blobs from ``sklearn.datasets.make_blobs``,
  seeded, with the generating blob as the label;
- ``csv``: a user file with a header row; one column may hold labels.

``standardise`` rescales each feature to zero mean and unit variance
(population variance, as scikit-learn's ``StandardScaler``) before any
outliers are added.

The layout written for the workflow is a CSV file with a header: the
feature columns, then ``label`` (an integer class, or -1 where unknown) and
``outlier`` (1 for points added by the outlier protocol, else 0).
"""

from __future__ import annotations

import csv
import logging
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from topograph.database.atomic import atomic_write

logger = logging.getLogger(__name__)

SOURCES = ("iris", "wine", "blobs", "csv")
LABEL_COLUMN = "label"
OUTLIER_COLUMN = "outlier"
# Label of points whose class is unknown, outliers included.
NO_LABEL = -1


@dataclass
class ClusteringData:
    """Points to cluster, with their known classes and outlier flags.

    Attributes
    ----------
    points : ndarray (N, d)
    labels : ndarray (N,) of int
        Known class of each point, ``NO_LABEL`` where unknown.
    outliers : ndarray (N,) of bool
        Points added by the outlier protocol.
    feature_names : list of str
    """

    points: np.ndarray
    labels: np.ndarray
    outliers: np.ndarray
    feature_names: list[str] = field(default_factory=list)

    @property
    def original(self) -> np.ndarray:
        """Mask of the points that are not outliers."""
        return ~self.outliers

    @property
    def has_labels(self) -> bool:
        """Whether every original point has a known class."""
        return bool(np.all(self.labels[self.original] != NO_LABEL)) and bool(self.original.any())

    def spread(self) -> float:
        """Mean squared distance of the original points to their mean."""
        original = self.points[self.original]
        return float(np.mean(np.sum((original - original.mean(axis=0)) ** 2, axis=1)))


def standardise(points: np.ndarray) -> np.ndarray:
    """Scale each column to zero mean and unit population variance; constant columns are centred only."""
    deviations = points.std(axis=0)
    deviations[deviations == 0] = 1.0
    return (points - points.mean(axis=0)) / deviations


def load_dataset(settings: dict, base_directory: str | Path | None = None) -> ClusteringData:
    """Load one data set of the study from its configuration entry.

    Parameters
    ----------
    settings : dict
        ``source`` (one of ``SOURCES``) and ``standardise`` (bool); for
        ``blobs``: ``n_samples``, ``centers``, ``n_features``, ``cluster_std``,
        ``seed``; for ``csv``: ``path`` and ``label_column`` (a column name,
        or null for unlabelled data).
    base_directory : path, optional
        Folder against which a relative CSV path is resolved.

    Returns
    -------
    ClusteringData
        Without outliers.
    """
    source = settings.get("source")
    if source not in SOURCES:
        raise ValueError(f"unknown K-means data source {source!r}; use one of {', '.join(SOURCES)}")
    if source in ("iris", "wine"):
        import sklearn.datasets

        bunch = getattr(sklearn.datasets, f"load_{source}")()
        points = np.asarray(bunch.data, dtype=np.float64)
        labels = np.asarray(bunch.target, dtype=np.int64)
        names = list(bunch.feature_names)
    elif source == "blobs":
        points, labels, names = _make_blobs(settings)
    else:
        path = Path(settings["path"])
        if base_directory is not None and not path.is_absolute():
            path = Path(base_directory) / path
        points, labels, names = read_user_csv(path, settings.get("label_column"))
    if settings.get("standardise", False):
        points = standardise(points)
    return ClusteringData(points, labels, np.zeros(points.shape[0], dtype=bool), names)


def _make_blobs(settings: dict):
    from sklearn.datasets import make_blobs

    n_features = int(settings.get("n_features", 2))
    points, labels = make_blobs(
        n_samples=int(settings.get("n_samples", 150)),
        centers=int(settings.get("centers", 3)),
        n_features=n_features,
        cluster_std=float(settings.get("cluster_std", 1.0)),
        random_state=int(settings.get("seed", 0)),
    )
    names = [f"x{index}" for index in range(n_features)]
    return points.astype(np.float64), labels.astype(np.int64), names


def read_user_csv(path: str | Path, label_column: str | None = None):
    """Read a user CSV file with a header row: feature columns and an optional label column.

    Labels may be any text; they are numbered in order of first appearance.
    An empty cell or ``nan`` in a feature column is reported by line.

    Returns
    -------
    points (N, d), labels (N,) with ``NO_LABEL`` without a label column, and the feature names.
    """
    header, rows = _read_rows(path)
    if label_column is not None and label_column not in header:
        raise ValueError(
            f"label column {label_column!r} not found in '{path}', whose columns are "
            f"{', '.join(header)}; set label_column to one of them or to null"
        )
    features = [index for index, name in enumerate(header) if name != label_column]
    if not features:
        raise ValueError(f"'{path}' has no feature columns besides the label column {label_column!r}")
    points = np.empty((len(rows), len(features)))
    for row_index, (line, cells) in enumerate(rows):
        for column, feature in enumerate(features):
            points[row_index, column] = _number(cells[feature], path, line, header[feature])
    if label_column is None:
        labels = np.full(len(rows), NO_LABEL, dtype=np.int64)
    else:
        position = header.index(label_column)
        codes: dict[str, int] = {}
        labels = np.array([codes.setdefault(cells[position], len(codes)) for _, cells in rows], dtype=np.int64)
    return points, labels, [header[index] for index in features]


def _read_rows(path):
    try:
        with open(path, newline="", encoding="utf-8") as handle:
            lines = list(csv.reader(handle))
    except (OSError, UnicodeDecodeError, csv.Error) as error:
        raise ValueError(f"cannot read data file '{path}' ({error}); check the path and that it is a CSV file") from None
    numbered = [(number, [cell.strip() for cell in cells]) for number, cells in enumerate(lines, start=1)]
    numbered = [(number, cells) for number, cells in numbered if any(cells) and not cells[0].startswith("#")]
    if len(numbered) < 2:
        raise ValueError(f"data file '{path}' needs a header row and at least one data row")
    header = numbered[0][1]
    rows = numbered[1:]
    for line, cells in rows:
        if len(cells) != len(header):
            raise ValueError(
                f"data file '{path}', line {line} has {len(cells)} columns but the header has "
                f"{len(header)}; every row needs the same columns"
            )
    return header, rows


def _number(cell: str, path, line: int, column: str) -> float:
    try:
        value = float(cell)
    except ValueError:
        value = None
    if value is None or not np.isfinite(value):
        problem = "an empty cell" if cell == "" else f"{cell!r}, not a finite number"
        raise ValueError(
            f"data file '{path}', line {line}, column {column!r} has {problem}; remove or "
            "impute the row before clustering"
        )
    return value


def write_clustering_csv(path: str | Path, data: ClusteringData) -> None:
    """Write points, labels and outlier flags in the workflow's CSV layout, atomically."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_write(path, "w") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow([*data.feature_names, LABEL_COLUMN, OUTLIER_COLUMN])
        for point, label, outlier in zip(data.points, data.labels, data.outliers):
            writer.writerow([*(repr(float(value)) for value in point), int(label), int(outlier)])


def read_clustering_csv(path: str | Path) -> ClusteringData:
    """Read a CSV file written by :func:`write_clustering_csv`.

    A file without ``label`` and ``outlier`` columns is read as unlabelled
    points without outliers, so any numeric CSV with a header works.
    """
    header, rows = _read_rows(path)
    features = [index for index, name in enumerate(header) if name not in (LABEL_COLUMN, OUTLIER_COLUMN)]
    points = np.array(
        [[_number(cells[index], path, line, header[index]) for index in features] for line, cells in rows]
    ).reshape(len(rows), len(features))
    labels = np.full(len(rows), NO_LABEL, dtype=np.int64)
    outliers = np.zeros(len(rows), dtype=bool)
    if LABEL_COLUMN in header:
        position = header.index(LABEL_COLUMN)
        labels = np.array([int(float(cells[position])) for _, cells in rows], dtype=np.int64)
    if OUTLIER_COLUMN in header:
        position = header.index(OUTLIER_COLUMN)
        outliers = np.array([float(cells[position]) != 0 for _, cells in rows], dtype=bool)
    return ClusteringData(points, labels, outliers, [header[index] for index in features])

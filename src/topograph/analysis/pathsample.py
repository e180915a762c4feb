"""Export to, and import from, the PATHSAMPLE database layout.

PATHSAMPLE (Wales group) keeps a landscape in four files:

- ``min.data``: one line per minimum, ``energy fvib order Ix Iy Iz``.
- ``ts.data``: one line per transition state,
  ``energy fvib order minimum1 minimum2 Ix Iy Iz``, with 1-based minimum
  numbers (the lines of ``min.data``), and optionally a ninth column with
  the negative Hessian eigenvalue (read by PATHSAMPLE's ``IMFRQ`` keyword).
- ``points.min`` and ``points.ts``: the coordinates, written as Fortran
  direct-access unformatted records, one record of ``dimension`` float64
  values per point and no record markers. This writer uses little-endian
  doubles, the layout gfortran produces on x86-64 and ARM64.

PATHSAMPLE reads both text files list-directed, so the columns need only be
separated by blanks. ``fvib`` is Σ ln λ over the positive Hessian
eigenvalues, the ``log_products`` column of the database. The point-group
order is 1 (no symmetry) and the principal moments of inertia are written as
1.0, because these landscapes are not rigid bodies; PATHSAMPLE divides by
√(Ix·Iy·Iz) in some partition functions, so zeros would be invalid there.

Points are written in database order, so minimum ``i`` is line ``i + 1``.
A log product that was never computed (NaN) is written as
``missing_log_product`` (0.0 by default) with a warning that counts them,
because PATHSAMPLE has no marker for a missing value. Rates from a file
that mixes computed and missing log products are therefore inconsistent.
"""

from __future__ import annotations

import io
import logging
import os
from pathlib import Path
from typing import Any

import numpy as np

from topograph.database.atomic import atomic_write
from topograph.database.store import StationaryPointDatabase

logger = logging.getLogger(__name__)

POINT_DTYPE = np.dtype("<f8")
_MOMENTS_OF_INERTIA = (1.0, 1.0, 1.0)
_POINT_GROUP_ORDER = 1


def _log_products_for_file(
    values: np.ndarray, missing: float, kind: str
) -> np.ndarray:
    missing_mask = np.isnan(values)
    count = int(missing_mask.sum())
    if count:
        logger.warning(
            "%d of %d %s have no log product (NaN); wrote %g in their fvib column",
            count,
            len(values),
            kind,
            missing,
        )
    return np.where(missing_mask, missing, values)


def format_minimum_line(energy: float, log_product: float, decimals: int = 10) -> str:
    """Format one ``min.data`` line (without the newline)."""
    fields = [f" {energy:19.{decimals}f}", f" {log_product:19.{decimals}f}"]
    fields.append(f" {_POINT_GROUP_ORDER:5d}")
    fields.extend(f" {moment:19.{decimals}f}" for moment in _MOMENTS_OF_INERTIA)
    return "".join(fields)


def format_transition_state_line(
    energy: float,
    log_product: float,
    minimum1: int,
    minimum2: int,
    negative_eigenvalue: float | None = None,
    decimals: int = 10,
) -> str:
    """Format one ``ts.data`` line; ``minimum1`` and ``minimum2`` are 1-based."""
    fields = [f" {energy:19.{decimals}f}", f" {log_product:19.{decimals}f}"]
    numbers = (_POINT_GROUP_ORDER, minimum1, minimum2)
    fields.extend(f" {number:9d}" for number in numbers)
    fields.extend(f" {moment:19.{decimals}f}" for moment in _MOMENTS_OF_INERTIA)
    if negative_eigenvalue is not None:
        fields.append(f" {negative_eigenvalue:19.{decimals}f}")
    return "".join(fields)


def write_pathsample(
    database: StationaryPointDatabase,
    directory: str | os.PathLike,
    decimals: int = 10,
    missing_log_product: float = 0.0,
    include_negative_eigenvalues: bool = False,
) -> dict[str, Path]:
    """Write ``min.data``, ``ts.data``, ``points.min`` and ``points.ts``.

    Parameters
    ----------
    database : StationaryPointDatabase
    directory : path-like
        Created if missing; existing files of these names are replaced,
        each one atomically.
    decimals : int
        Digits after the decimal point in the text files. The coordinates
        in the binary files are exact.
    missing_log_product : float
        Written in place of NaN log products.
    include_negative_eigenvalues : bool
        Append the negative eigenvalue to each ``ts.data`` line. Every
        transition state must then have one.

    Returns
    -------
    dict of str to Path
        The four files, keyed by file name.
    """
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    minima = database.minima
    states = database.transition_states

    eigenvalues = states.negative_eigenvalues
    if include_negative_eigenvalues and np.isnan(eigenvalues).any():
        raise ValueError(
            f"{int(np.isnan(eigenvalues).sum())} transition states have no negative "
            f"eigenvalue, so ts.data cannot carry that column. Compute them, or pass "
            f"include_negative_eigenvalues=False."
        )

    paths = {name: directory / name for name in ("min.data", "ts.data")}
    paths["points.min"] = directory / "points.min"
    paths["points.ts"] = directory / "points.ts"

    log_products = _log_products_for_file(
        minima.log_products, missing_log_product, "minima"
    )
    with atomic_write(paths["min.data"], "w") as handle:
        for energy, log_product in zip(minima.energies.tolist(), log_products.tolist()):
            handle.write(format_minimum_line(energy, log_product, decimals) + "\n")

    log_products = _log_products_for_file(
        states.log_products, missing_log_product, "transition states"
    )
    with atomic_write(paths["ts.data"], "w") as handle:
        for s in range(len(states)):
            line = format_transition_state_line(
                float(states.energies[s]),
                float(log_products[s]),
                int(states.minimum1[s]) + 1,
                int(states.minimum2[s]) + 1,
                float(eigenvalues[s]) if include_negative_eigenvalues else None,
                decimals,
            )
            handle.write(line + "\n")

    for name, coordinates in (
        ("points.min", minima.coordinates),
        ("points.ts", states.coordinates),
    ):
        with atomic_write(paths[name], "wb") as handle:
            records = np.ascontiguousarray(coordinates, dtype=POINT_DTYPE)
            handle.write(records.tobytes())

    logger.info(
        "Wrote %d minima and %d transition states in PATHSAMPLE layout to %s",
        database.n_minima,
        database.n_transition_states,
        directory,
    )
    return paths


def _read_table(path: Path, min_columns: int) -> np.ndarray:
    if not path.is_file():
        raise ValueError(
            f"PATHSAMPLE file {path} not found. Pass the directory that contains "
            f"min.data, ts.data, points.min and points.ts."
        )
    # Fortran may write exponents with D (1.0D+00), which NumPy does not parse.
    text = path.read_text().replace("D", "E").replace("d", "e")
    if not text.strip():
        return np.zeros((0, min_columns))
    try:
        table = np.loadtxt(io.StringIO(text), ndmin=2)
    except ValueError as error:
        raise ValueError(
            f"PATHSAMPLE file {path} is not a table of numbers ({error}). Check that "
            f"it was written by PATHSAMPLE or write_pathsample."
        ) from error
    if table.shape[1] < min_columns:
        raise ValueError(
            f"PATHSAMPLE file {path} has {table.shape[1]} columns, expected at least "
            f"{min_columns}."
        )
    return table


def _read_points(path: Path, count: int, dimension: int) -> np.ndarray:
    if not path.is_file():
        raise ValueError(
            f"PATHSAMPLE file {path} not found. Pass the directory that contains "
            f"min.data, ts.data, points.min and points.ts."
        )
    values = np.fromfile(path, dtype=POINT_DTYPE)
    if values.size != count * dimension:
        raise ValueError(
            f"PATHSAMPLE file {path} contains {values.size} float64 values, but "
            f"{count} points of dimension {dimension} need {count * dimension}. "
            f"Check the dimension, and that the file is little-endian float64."
        )
    return values.astype(np.float64).reshape(count, dimension)


def read_pathsample(
    directory: str | os.PathLike, dimension: int, **settings: Any
) -> StationaryPointDatabase:
    """Read a PATHSAMPLE database into a :class:`StationaryPointDatabase`.

    Every point is kept as it is in the files, without a duplicate search.
    Point-group orders and moments of inertia are ignored. Log products
    come back as written, so a NaN that was written as 0.0 reads as 0.0.

    Parameters
    ----------
    directory : path-like
        Contains ``min.data``, ``ts.data``, ``points.min``, ``points.ts``.
    dimension : int
        Coordinates per point, which the binary files do not record.
    **settings
        Keyword arguments of ``StationaryPointDatabase`` (tolerances,
        aligner, metadata).
    """
    directory = Path(directory)
    minima = _read_table(directory / "min.data", 6)
    states = _read_table(directory / "ts.data", 8)
    minimum_coordinates = _read_points(
        directory / "points.min", len(minima), dimension
    )
    state_coordinates = _read_points(directory / "points.ts", len(states), dimension)

    numbers = states[:, 3:5]
    if np.any(numbers != np.round(numbers)) or np.any(numbers < 1):
        raise ValueError(
            f"{directory / 'ts.data'} has minimum numbers that are not positive "
            f"integers in columns 4 and 5."
        )
    eigenvalues = states[:, 8] if states.shape[1] >= 9 else None

    return StationaryPointDatabase.from_arrays(
        dimension,
        minima[:, 0],
        minimum_coordinates,
        minimum_log_products=minima[:, 1],
        transition_state_energies=states[:, 0],
        transition_state_coordinates=state_coordinates,
        minimum1=numbers[:, 0].astype(np.int64) - 1,
        minimum2=numbers[:, 1].astype(np.int64) - 1,
        transition_state_log_products=states[:, 1],
        negative_eigenvalues=eigenvalues,
        **settings,
    )


__all__ = [
    "format_minimum_line",
    "format_transition_state_line",
    "read_pathsample",
    "write_pathsample",
]


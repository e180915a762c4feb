"""The on-disk format of a stationary-point database.

A database file is one uncompressed NumPy ``.npz`` archive. The member
``header`` contains UTF-8 JSON bytes with ``format``, ``format_version``,
the dimension, the tolerances, the aligner description, the property names
and the user metadata. Every other member is one column. Files are written with
:func:`topograph.database.atomic.atomic_write`, and every way a read can fail
becomes a ``ValueError`` that names the file and what to do.
"""

from __future__ import annotations

import json
import os
import zipfile
import zlib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

import topograph
from topograph.database.atomic import atomic_write

FILE_FORMAT = "topograph-stationary-points"
FORMAT_VERSION = 1

_FIX = "delete it and rerun the step that writes it"


def write_archive(
    path: str | os.PathLike, header: Mapping[str, Any], arrays: Mapping[str, Any]
) -> None:
    """Write ``header`` (as JSON) and ``arrays`` to one ``.npz`` file atomically."""
    try:
        text = json.dumps(header)
    except TypeError as error:
        raise ValueError(
            f"Cannot write {path}: the header is not JSON-serialisable ({error}). "
            f"Convert arrays in the database metadata to lists and paths to strings."
        ) from error
    members = {"header": np.frombuffer(text.encode("utf-8"), np.uint8)}
    members.update(arrays)
    with atomic_write(path, "wb") as handle:
        _write_npz(handle, members)


def read_archive(
    path: str | os.PathLike,
) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """Read a file written by :func:`write_archive` and check its format.

    Returns
    -------
    header : dict
    arrays : dict of str to ndarray
        Every member except the header.

    Raises
    ------
    ValueError
        If the file is missing, truncated, corrupt, of another format or of
        another format version.
    """
    path = Path(path)
    if not path.is_file():
        raise ValueError(
            f"Database file {path} not found. Check the path, or run the step that "
            f"writes it first."
        )
    arrays = _read_npz(path)
    header = _parse_header(path, arrays.pop("header", None))
    return header, arrays


def _write_npz(handle: Any, arrays: Mapping[str, np.ndarray]) -> None:
    np.savez(handle, **arrays)


def _read_npz(path: Path) -> dict[str, np.ndarray]:
    readable_errors = (OSError, EOFError, ValueError, KeyError, zipfile.BadZipFile)
    try:
        archive = np.load(path, allow_pickle=False)
    except readable_errors as error:
        raise ValueError(
            f"Database file {path} cannot be read ({type(error).__name__}: {error}). "
            f"It is truncated, corrupt or not a topograph database: {_FIX}."
        ) from error
    if not isinstance(archive, np.lib.npyio.NpzFile):
        raise ValueError(
            f"Database file {path} is a single .npy array, not a database archive; "
            f"{_FIX}."
        )

    # Members are read lazily, so a truncated archive can open and still fail
    # here.
    try:
        with archive:
            return {name: archive[name] for name in archive.files}
    except (*readable_errors, zlib.error) as error:
        raise ValueError(
            f"Database file {path} is truncated or corrupt ({type(error).__name__}: "
            f"{error}): {_FIX}."
        ) from error


def _parse_header(path: Path, raw: np.ndarray | None) -> dict[str, Any]:
    if raw is None:
        raise ValueError(
            f"Database file {path} has no header, so it is not a topograph "
            f"stationary-point database. Pass a file written by "
            f"StationaryPointDatabase.save."
        )
    try:
        header = json.loads(raw.tobytes().decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ValueError(
            f"Database file {path} has a corrupt header ({error}); {_FIX}."
        ) from error

    found = header.get("format") if isinstance(header, dict) else None
    if found != FILE_FORMAT:
        raise ValueError(
            f"Database file {path} has format {found!r}, expected {FILE_FORMAT!r}. "
            f"Pass a file written by StationaryPointDatabase.save."
        )
    version = header.get("format_version")
    if version != FORMAT_VERSION:
        raise ValueError(
            f"Database file {path} has format version {version!r}, but topograph "
            f"{topograph.__version__} reads version {FORMAT_VERSION}. Rewrite the "
            f"file with a matching topograph version."
        )
    return header

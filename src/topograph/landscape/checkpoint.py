"""Checkpoints of long landscape steps, written atomically.

A checkpoint is one ``.npz`` file: a JSON header with the step's state and
named arrays. It sits beside the step's output as ``OUTPUT.checkpoint.npz``
and is removed once the output is written, so a rerun after a kill resumes
from the last checkpoint and a rerun after success starts afresh.
"""

from __future__ import annotations

import hashlib
import json
import logging
import zipfile
from pathlib import Path

import numpy as np

from topograph.database.atomic import atomic_write

logger = logging.getLogger(__name__)


def checkpoint_path(output: str | Path) -> Path:
    output = Path(output)
    return output.with_name(output.name + ".checkpoint.npz")


def fingerprint(settings: dict) -> str:
    """Return a short hash of the settings a checkpoint must match to be resumed."""
    text = json.dumps(settings, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def file_digest(path: str | Path) -> str:
    """Return a short SHA-256 of a file's contents."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()[:16]


def potential_identity(potential_spec: dict) -> dict:
    """Return the potential's description with the digest of its data file, if it has one.

    A checkpoint must not be resumed after the data behind an interpolated
    landscape changed, even when the settings did not.
    """
    identity = {"spec": potential_spec}
    data = potential_spec.get("parameters", {}).get("data")
    if isinstance(data, str) and Path(data).is_file():
        identity["data_digest"] = file_digest(data)
    return identity


def save_checkpoint(path: Path, header: dict, arrays: dict[str, np.ndarray]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_write(path, "wb") as handle:
        np.savez(handle, header=np.array(json.dumps(header)), **arrays)


def load_checkpoint(path: Path, expected_fingerprint: str) -> tuple[dict, dict] | None:
    """Return ``(header, arrays)`` of a checkpoint that matches, else None.

    A checkpoint written for other settings, or one that cannot be read, is
    ignored with a warning: the step then starts from the beginning.
    """
    if not path.exists():
        return None
    try:
        with np.load(path, allow_pickle=False) as archive:
            header = json.loads(str(archive["header"]))
            arrays = {name: archive[name] for name in archive.files if name != "header"}
    except (OSError, ValueError, KeyError, zipfile.BadZipFile, json.JSONDecodeError) as error:
        logger.warning("ignoring unreadable checkpoint %s (%s); starting from the beginning", path, error)
        return None
    if header.get("fingerprint") != expected_fingerprint:
        logger.warning("ignoring checkpoint %s: it was written for other settings", path)
        return None
    return header, arrays

"""Atomic file writes.

A file written through :func:`atomic_write` either keeps its old content or
has the complete new content, even if the writer raises or the process is
killed midway. The data go to a temporary file in the same directory, are
flushed to disk with ``fsync``, and then replace the target with
``os.replace``, which POSIX guarantees to be atomic within one file system.
"""

from __future__ import annotations

import contextlib
import glob
import logging
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO

logger = logging.getLogger(__name__)


@contextlib.contextmanager
def atomic_write(path: str | os.PathLike, mode: str = "wb") -> Iterator[IO]:
    """Open a temporary file that replaces ``path`` when the block exits cleanly.

    Parameters
    ----------
    path : str or path-like
        Target file. Its directory must exist.
    mode : {"wb", "w"}
        Binary or text mode for the temporary file.

    Yields
    ------
    file object
        The open temporary file. If the block raises, the temporary file is
        removed, ``path`` is left as it was, and the exception propagates.
    """
    if mode not in ("wb", "w"):
        raise ValueError(f"atomic_write mode must be 'wb' or 'w', got {mode!r}.")
    path = Path(path)
    directory = path.parent
    if not directory.is_dir():
        raise ValueError(
            f"Cannot write {path}: directory {directory} does not exist. Create it "
            f"first."
        )

    # A writer killed earlier leaves its temporary file behind; only one
    # process writes a given output, so these leftovers can go.
    for leftover in directory.glob(f".{glob.escape(path.name)}.*.tmp"):
        with contextlib.suppress(OSError):
            leftover.unlink()
    descriptor, temporary_name = tempfile.mkstemp(
        prefix=f".{path.name}.", suffix=".tmp", dir=directory
    )
    try:
        # mkstemp creates the file readable by its owner alone; give it the
        # permissions an ordinary open() would, so collaborators can read it.
        os.fchmod(descriptor, 0o666 & ~_current_umask())
        with os.fdopen(descriptor, mode) as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary_name, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary_name)
        raise

    _fsync_directory(directory)
    logger.debug("Wrote %s atomically", path)


def _current_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _fsync_directory(directory: Path) -> None:
    # Persist the rename itself. Some file systems do not allow opening a
    # directory, and then the rename is still atomic but may not survive a
    # power loss.
    try:
        descriptor = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(descriptor)
    except OSError:
        pass
    finally:
        os.close(descriptor)

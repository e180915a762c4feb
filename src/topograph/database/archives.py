"""Reading the .npz archives that topograph commands write."""

from __future__ import annotations

import zipfile
import zlib
from pathlib import Path

import numpy as np

# Errors that a missing, truncated or foreign file raises inside np.load.
_READ_ERRORS = (OSError, EOFError, ValueError, KeyError, zipfile.BadZipFile, zlib.error)


def read_archive(path, contents: str, command: str) -> dict[str, np.ndarray]:
    """Return every array of an .npz archive, read eagerly and with pickles disallowed.

    Parameters
    ----------
    path
        The archive.
    contents
        What the archive contains, such as "latent samples", for messages.
    command
        The command that writes such an archive, named in the fix.

    Raises
    ------
    ValueError
        If the file cannot be read, or is a single .npy array, naming the
        file and the command that writes the right one.
    """
    path = Path(path)
    unreadable = f"write them with `{command}`"
    try:
        archive = np.load(path, allow_pickle=False)
    except _READ_ERRORS as error:
        raise ValueError(f"cannot read {contents} '{path}' ({error}); {unreadable}") from None
    # np.load returns a bare array for a .npy file, which has no arrays to
    # look up by name.
    if not isinstance(archive, np.lib.npyio.NpzFile):
        raise ValueError(
            f"'{path}' contains a single array (.npy), not the .npz archive of "
            f"{contents} that `{command}` writes; pass that archive"
        )
    # Members are read lazily, so a truncated archive can open and still fail
    # here.
    try:
        with archive:
            return {name: archive[name] for name in archive.files}
    except _READ_ERRORS as error:
        raise ValueError(f"cannot read {contents} '{path}' ({error}); {unreadable}") from None

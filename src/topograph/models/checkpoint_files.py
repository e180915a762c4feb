"""Safe reading of checkpoint directories: JSON and safetensors only, never pickle."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import torch

MODEL_INFO_FILE = "topograph_model.json"
# The latent projector of a SELFIES-TED checkpoint; without it the model cannot decode.
PROJECTOR_FILE = "projector.safetensors"


def required_file(directory: str | Path, name: str) -> Path:
    """Return ``directory/name``; raise ``ValueError`` if it is missing."""
    path = Path(directory) / name
    if not path.is_file():
        raise ValueError(f"missing checkpoint file {path}; save the model again or point to a complete checkpoint")
    return path


def read_json(directory: str | Path, name: str) -> dict:
    """Read a JSON object from a checkpoint directory with a clear error when corrupted."""
    path = required_file(directory, name)
    try:
        value = json.loads(path.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise ValueError(f"corrupted checkpoint file {path}: {error}") from None
    if not isinstance(value, dict):
        raise ValueError(f"corrupted checkpoint file {path}: expected a JSON object")
    return value


def read_safetensors(directory: str | Path, name: str) -> dict[str, torch.Tensor]:
    """Read tensors from a safetensors file with a clear error when corrupted."""
    # Imported here, so that reading the JSON files of a checkpoint, as the
    # workflow does when it reads its configuration, does not load torch.
    from safetensors import SafetensorError
    from safetensors.torch import load_file

    path = required_file(directory, name)
    try:
        return load_file(str(path))
    except (SafetensorError, OSError, RuntimeError) as error:
        raise ValueError(f"corrupted checkpoint file {path}: {error}") from None


def write_json(directory: str | Path, name: str, value: dict) -> None:
    (Path(directory) / name).write_text(json.dumps(value, indent=2, sort_keys=True) + "\n")

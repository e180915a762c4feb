"""Shared fixtures: small landscape descriptions and a runner for the command line."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

REPOSITORY = Path(__file__).resolve().parents[1]

# Müller–Brown minima and saddles (Müller and Brown, Theor. Chim. Acta 53,
# 75, 1979), energies to the digits usually quoted.
MULLER_BROWN_MINIMA = [-146.699, -108.167, -80.768]
MULLER_BROWN_SADDLES = [-72.249, -40.665]


def muller_brown_spec(**overrides) -> dict:
    spec = {
        "potential": {"potential": "muller_brown"},
        "explore": {
            "starts": "random", "n_starts": 6, "start_box": [-1.5, 1.5], "steps": 20,
            "temperature": 30.0, "step_size": 0.8, "shards": 1, "seed": 5, "checkpoint_every": 4,
        },
        "connect": {"neighbours": 2, "max_attempts": 2, "rounds": 2},
        "analysis": {"levels": 10, "length_scale": 0.3, "temperatures": [10.0, 20.0]},
    }  # fmt: skip
    for section, values in overrides.items():
        spec[section] = {**spec.get(section, {}), **values}
    return spec


@pytest.fixture
def write_spec(tmp_path):
    def write(spec: dict, name: str = "landscape.yaml") -> Path:
        path = tmp_path / name
        path.write_text(yaml.safe_dump(spec))
        return path

    return write


def run_topograph(*arguments, check=True, **kwargs) -> subprocess.CompletedProcess:
    """Run the ``topograph`` command line in a subprocess, as the workflow does."""
    environment = {**os.environ, "PYTHONUNBUFFERED": "1"}
    completed = subprocess.run(
        [sys.executable, "-m", "topograph.cli.main", *map(str, arguments)],
        capture_output=True,
        text=True,
        env=environment,
        **kwargs,
    )
    if check and completed.returncode != 0:
        raise AssertionError(f"topograph {' '.join(map(str, arguments))} failed:\n{completed.stderr}")
    return completed

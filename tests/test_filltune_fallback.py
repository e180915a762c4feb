"""Fill-tuning on a landscape without transition states: the lowest-response fallback."""

from __future__ import annotations

import csv
import json
import subprocess
import sys

import numpy as np
import pytest
from test_filltune_fake_model import FakeModel

import topograph.models
from topograph.cli.main import main

from topograph.database.store import StationaryPointDatabase
from topograph.filltune.gaussians import RoughnessGaussians
from topograph.filltune.surface_minima import SurfaceMinima


@pytest.fixture
def flat_landscape(tmp_path):
    """A response table in a 3-d latent box and a database with one minimum, no transition states."""
    rng = np.random.default_rng(4)
    latents = rng.uniform(-1.0, 1.0, size=(400, 3))
    response = rng.uniform(0.0, 1.0, size=400)
    table = np.column_stack([latents, response])
    np.save(tmp_path / "response.npy", table)
    database = StationaryPointDatabase(dimension=3)
    database.add_minimum(-0.5, np.array([1.0, 0.0, 1.0]), on_bounds=True)
    database.save(tmp_path / "database.npz")
    return tmp_path, table


def run_roughness(folder):
    return subprocess.run(
        [sys.executable, "-m", "topograph.cli.main", "filltune", "roughness",
         "--database", str(folder / "database.npz"), "--table", str(folder / "response.npy"),
         "--gaussians", str(folder / "gaussians.npz"), "--minima", str(folder / "minima.csv"),
         "--contributions", str(folder / "contributions.csv")],
        capture_output=True, text=True,
    )  # fmt: skip


def test_fallback_writes_lowest_response_points(flat_landscape):
    folder, table = flat_landscape
    completed = run_roughness(folder)
    assert completed.returncode == 0, completed.stderr
    assert "no transition states" in completed.stderr

    energies, latents = SurfaceMinima.read_latents(folder / "minima.csv")
    order = np.argsort(table[:, -1], kind="stable")[:300]
    np.testing.assert_allclose(energies, table[order, -1], rtol=0, atol=0)
    np.testing.assert_allclose(latents, table[order, :3], rtol=0, atol=1e-15)
    assert np.all(np.diff(energies) >= 0)

    gaussians = RoughnessGaussians.load(folder / "gaussians.npz")
    assert gaussians.n_gaussians == 0
    with open(folder / "contributions.csv", newline="") as handle:
        rows = list(csv.reader(handle))
    assert rows == [["minimum", "transition_state", "barrier", "weight", "contribution"]]


def test_fallback_proposals_name_their_source(flat_landscape, monkeypatch):
    folder, _ = flat_landscape
    assert run_roughness(folder).returncode == 0

    def load_model(name_or_directory, device="cpu"):
        return FakeModel(latent_dim=3, has_decoder=True, name=name_or_directory)

    monkeypatch.setattr(topograph.models, "load_model", load_model, raising=False)
    statistics = folder / "proposals.json"
    status = main(
        ["filltune", "propose", "--model", "fake", "--minima", str(folder / "minima.csv"),
         "--count", "5", "--output", str(folder / "proposals.csv"), "--statistics", str(statistics)]
    )  # fmt: skip
    assert status == 0
    recorded = json.loads(statistics.read_text())
    assert recorded["source"].startswith("lowest-response data points")
    assert recorded["kept"] == 5

"""Exploration, merging and connection of whole landscapes through the command line."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

from conftest import MULLER_BROWN_MINIMA, MULLER_BROWN_SADDLES, muller_brown_spec, run_topograph
from topograph.database.store import StationaryPointDatabase
from topograph.landscape.explore import explore_shard
from topograph.landscape.merge import merge_shard_files
from topograph.landscape.spec import validate_spec


def test_merged_shards_equal_single_run(tmp_path):
    spec = validate_spec(muller_brown_spec())
    single = explore_shard(spec, 0, 1, tmp_path / "single.npz")
    shard_paths = []
    for shard in range(3):
        shard_paths.append(tmp_path / f"explore_{shard}.npz")
        explore_shard(spec, shard, 3, shard_paths[-1])
    merged = merge_shard_files(shard_paths, tmp_path / "merged.npz", spec)

    assert merged.n_minima == single.n_minima
    np.testing.assert_array_equal(merged.minima.energies, single.minima.energies)
    np.testing.assert_array_equal(merged.minima.coordinates, single.minima.coordinates)
    np.testing.assert_array_equal(merged.minima.log_products, single.minima.log_products)


def test_muller_brown_pipeline_finds_published_points(tmp_path, write_spec):
    spec_path = write_spec(muller_brown_spec(explore={"shards": 2}))
    for shard in range(2):
        run_topograph("landscape", "explore", spec_path, "--shard", shard, "--output", tmp_path / f"s{shard}.npz")
    run_topograph("landscape", "merge", tmp_path / "s0.npz", tmp_path / "s1.npz", "--spec", spec_path,
                  "--output", tmp_path / "minima.npz")  # fmt: skip
    run_topograph("landscape", "connect", spec_path, "--database", tmp_path / "minima.npz",
                  "--output", tmp_path / "database.npz")  # fmt: skip
    database = StationaryPointDatabase.load(tmp_path / "database.npz")

    assert database.n_minima == 3
    assert database.n_transition_states == 2
    np.testing.assert_allclose(np.sort(database.minima.energies), MULLER_BROWN_MINIMA, atol=1e-3)
    np.testing.assert_allclose(np.sort(database.transition_states.energies), MULLER_BROWN_SADDLES, atol=1e-3)
    assert np.all(database.transition_states.negative_eigenvalues < 0)
    assert np.all(np.isfinite(database.minima.log_products))

    run_topograph("landscape", "summary", tmp_path / "database.npz", "--spec", spec_path,
                  "--output", tmp_path / "summary.json")  # fmt: skip
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["connected_components"] == 1
    assert summary["global_minimum"]["energy"] == pytest.approx(-146.699, abs=1e-3)
    np.testing.assert_allclose(summary["global_minimum"]["coordinates"], [-0.558, 1.442], atol=1e-3)


def test_killed_explore_resumes_to_same_result(tmp_path, write_spec):
    spec = muller_brown_spec(
        potential={"potential": "lennard_jones", "parameters": {"n_atoms": 13}},
        explore={"n_starts": 2, "steps": 150, "temperature": 0.8, "start_box": [-1.2, 1.2], "checkpoint_every": 5},
        database={"energy_tolerance": 1e-5, "distance_tolerance": 100.0},
    )
    spec_path = write_spec(spec)
    killed_output = tmp_path / "killed.npz"
    checkpoint = tmp_path / "killed.npz.checkpoint.npz"
    process = subprocess.Popen(
        [sys.executable, "-m", "topograph.cli.main", "landscape", "explore", str(spec_path),
         "--output", str(killed_output)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    deadline = time.monotonic() + 60
    while not checkpoint.exists() and time.monotonic() < deadline and process.poll() is None:
        time.sleep(0.05)
    time.sleep(0.3)
    process.send_signal(signal.SIGKILL)
    process.wait()
    assert checkpoint.exists(), "the run ended before writing a checkpoint; make it longer"
    assert not killed_output.exists()

    resumed = run_topograph("landscape", "explore", spec_path, "--output", killed_output)
    assert "resuming shard 0" in resumed.stderr
    assert not checkpoint.exists()
    run_topograph("landscape", "explore", spec_path, "--output", tmp_path / "uninterrupted.npz")

    first = StationaryPointDatabase.load(killed_output)
    second = StationaryPointDatabase.load(tmp_path / "uninterrupted.npz")
    np.testing.assert_array_equal(first.minima.energies, second.minima.energies)
    np.testing.assert_array_equal(first.minima.coordinates, second.minima.coordinates)


def test_typo_in_description_exits_with_suggestion(tmp_path, write_spec):
    spec_path = write_spec({"potential": {"potential": "muller_brown"}, "explore": {"temperatur": 1.0}})
    completed = run_topograph("landscape", "explore", spec_path, "--output", tmp_path / "out.npz", check=False)
    assert completed.returncode == 2
    assert "did you mean 'temperature'" in completed.stderr


def test_unreadable_database_named_in_error(tmp_path):
    broken = tmp_path / "broken.npz"
    broken.write_bytes(b"not a database")
    completed = run_topograph("landscape", "summary", broken, "--output", tmp_path / "s.json", check=False)
    assert completed.returncode == 2
    assert str(broken) in completed.stderr


def test_shard_index_out_of_range(tmp_path, write_spec):
    spec_path = write_spec(muller_brown_spec())
    completed = run_topograph(
        "landscape", "explore", spec_path, "--shard", 4, "--shards", 2, "--output", tmp_path / "o.npz", check=False
    )
    assert completed.returncode == 2
    assert "shard index 4 is out of range for 2 shards" in completed.stderr

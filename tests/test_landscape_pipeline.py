"""Exploration, merging and connection of whole landscapes through the command line."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time

from pathlib import Path

import numpy as np
import pytest

import topograph.landscape.checkpoint as checkpoint_module
import topograph.landscape.explore as explore_module

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


def test_summary_records_every_stage_file(tmp_path, write_spec):
    full = muller_brown_spec(explore={"steps": 7, "temperature": 12.5})
    explore_path = write_spec({key: full[key] for key in ("potential", "explore")}, "explore.yaml")
    connect_path = write_spec({key: full[key] for key in ("potential", "connect")}, "connect.yaml")
    explore_shard(validate_spec(full), 0, 1, tmp_path / "minima.npz")
    run_topograph("landscape", "summary", tmp_path / "minima.npz", "--spec", explore_path, "--spec", connect_path,
                  "--output", tmp_path / "summary.json")  # fmt: skip
    recorded = json.loads((tmp_path / "summary.json").read_text())["landscape"]
    assert recorded["explore"]["steps"] == 7
    assert recorded["explore"]["temperature"] == 12.5
    assert recorded["connect"]["neighbours"] == full["connect"]["neighbours"]


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


def test_changed_data_discards_checkpoint(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    rng = np.random.default_rng(0)
    points = rng.uniform(0, 1, size=(40, 2))
    table = np.column_stack([points, np.sin(5 * points[:, 0]) + points[:, 1] ** 2])
    np.savetxt("data.csv", table, delimiter=",", header="x,y,response", comments="")
    spec = validate_spec(
        {
            "potential": {"potential": "rbf_interpolant", "parameters": {"data": "data.csv", "bounds": "data"}},
            "explore": {"starts": "data", "steps": 4, "temperature": 0.5, "step_size": 0.1, "checkpoint_every": 2},
        }
    )
    explore_shard(spec, 0, 1, "first.npz")

    # Kill a run on the old data after its first checkpoint, then change the data.
    original_save = checkpoint_module.save_checkpoint

    def save_then_stop(*arguments):
        original_save(*arguments)
        raise KeyboardInterrupt

    monkeypatch.setattr(explore_module, "save_checkpoint", save_then_stop)
    with pytest.raises(KeyboardInterrupt):
        explore_shard(spec, 0, 1, "second.npz")
    monkeypatch.setattr(explore_module, "save_checkpoint", original_save)
    assert Path("second.npz.checkpoint.npz").exists()

    table[:, -1] *= 2.0
    np.savetxt("data.csv", table, delimiter=",", header="x,y,response", comments="")
    second = explore_shard(spec, 0, 1, "second.npz")
    fresh = explore_shard(spec, 0, 1, "fresh.npz")
    first = StationaryPointDatabase.load("first.npz")
    np.testing.assert_array_equal(second.minima.energies, fresh.minima.energies)
    np.testing.assert_allclose(np.sort(second.minima.energies), 2 * np.sort(first.minima.energies), rtol=1e-6)


def test_checkpoint_fingerprint_covers_data(tmp_path):
    from topograph.landscape.checkpoint import potential_identity

    data = tmp_path / "data.csv"
    data.write_text("x,y\n0,1\n1,2\n")
    spec = {"potential": "rbf_interpolant", "parameters": {"data": str(data)}}
    before = potential_identity(spec)
    data.write_text("x,y\n0,1\n1,3\n")
    after = potential_identity(spec)
    assert before["spec"] == after["spec"]
    assert before["data_digest"] != after["data_digest"]


def test_rates_minimum_out_of_range(tmp_path, write_spec):
    database = StationaryPointDatabase(1)
    database.add_minimum(-1.0, [0.0], log_product=1.0)
    database.save(tmp_path / "db.npz")
    completed = run_topograph("landscape", "rates", tmp_path / "db.npz", "--a", "7", "--output", tmp_path / "r.csv",
                              check=False)  # fmt: skip
    assert completed.returncode == 2
    assert "--a names minima [7]" in completed.stderr

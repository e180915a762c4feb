"""The workflow killed mid-run, or with one failing shard, loses no finished
work: reruns recompute only what is missing and every output is whole."""

from __future__ import annotations

import hashlib
import os
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import yaml

from conftest import muller_brown_spec, run_topograph
from topograph.database.store import StationaryPointDatabase
from workflow_helpers import copy_workflow, job_counts, run_snakemake, start_snakemake

SHARDS = 4
MINIMA = "results/landscapes/mb/minima.npz"


def shard_path(workdir: Path, shard: int) -> Path:
    return workdir / f"results/landscapes/mb/shards/explore_{shard}.npz"


def checkpoint_path(workdir: Path, shard: int) -> Path:
    return shard_path(workdir, shard).with_name(f"explore_{shard}.npz.checkpoint.npz")


def fingerprint(path: Path) -> tuple[int, str]:
    """Return the modification time and content hash of a file."""
    return path.stat().st_mtime_ns, hashlib.sha256(path.read_bytes()).hexdigest()


def write_config(workdir: Path, **explore) -> dict:
    spec = muller_brown_spec(explore={"shards": SHARDS, **explore})
    (workdir / "config" / "config.yaml").write_text(yaml.safe_dump({"landscapes": {"mb": spec}}))
    return spec


def assert_databases_equal(actual: Path, expected: Path) -> None:
    first = StationaryPointDatabase.load(actual)
    second = StationaryPointDatabase.load(expected)
    np.testing.assert_array_equal(first.minima.energies, second.minima.energies)
    np.testing.assert_array_equal(first.minima.coordinates, second.minima.coordinates)


def registered_shards(lines: list[str]) -> list[int]:
    """Return the shards whose jobs snakemake logged as finished.

    Snakemake logs "Job N: <message>" when a job starts and "Finished jobid:
    N (Rule: ...)" after it has checked the outputs and recorded the job.
    """
    shard_of_job = {}
    finished = []
    for line in lines:
        started = re.match(r"Job (\d+): Basin-hopping shard (\d+) ", line)
        if started:
            shard_of_job[started.group(1)] = int(started.group(2))
        ended = re.match(r"Finished jobid: (\d+) \(Rule: explore_shard\)", line)
        if ended:
            finished.append(shard_of_job[ended.group(1)])
    return sorted(finished)


def process_group_alive(group: int) -> bool:
    listing = subprocess.run(["ps", "-e", "-o", "pgid=,stat="], capture_output=True, text=True, check=True)
    for line in listing.stdout.splitlines():
        process_group, state = line.split()
        if int(process_group) == group and not state.startswith("Z"):
            return True
    return False


def test_killed_run_resumes_without_recomputing(tmp_path):
    workdir = copy_workflow(tmp_path / "workflow")
    # About 2 s of basin-hopping per shard on one core, with a checkpoint
    # every 10 steps, so the kill lands while shards are running.
    spec = write_config(workdir, n_starts=8, steps=150, checkpoint_every=10)

    run = start_snakemake(workdir, "--cores", "2", MINIMA)
    lines = []
    reader = threading.Thread(target=lambda: lines.extend(run.stdout), daemon=True)
    reader.start()
    deadline = time.monotonic() + 120
    registered, interrupted = [], []
    try:
        while time.monotonic() < deadline and run.poll() is None:
            registered = registered_shards(list(lines))
            interrupted = [
                shard
                for shard in range(SHARDS)
                if not shard_path(workdir, shard).exists() and checkpoint_path(workdir, shard).exists()
            ]
            if registered and interrupted:
                break
            time.sleep(0.05)
    finally:
        # SIGKILL snakemake and the jobs it started: they share its process group.
        os.killpg(run.pid, signal.SIGKILL)
        run.wait()
        reader.join(timeout=10)
    assert registered and interrupted, "the run ended before one shard was finished while another was running"
    for _ in range(100):
        if not process_group_alive(run.pid):
            break
        time.sleep(0.05)
    assert not process_group_alive(run.pid)

    # Whatever the kill left is whole: every shard output loads, and the
    # interrupted shards left none.
    existing = [shard for shard in range(SHARDS) if shard_path(workdir, shard).exists()]
    for shard in existing:
        StationaryPointDatabase.load(shard_path(workdir, shard))
    assert not set(interrupted) & set(existing)
    before = {shard: fingerprint(shard_path(workdir, shard)) for shard in registered}

    # A killed snakemake leaves its lock behind; a user unlocks, then reruns.
    unlocked = run_snakemake(workdir, "--unlock", "--cores", "1")
    assert unlocked.returncode == 0, unlocked.stderr[-3000:]
    rerun = run_snakemake(workdir, "--profile", "profiles/local", "--cores", "2", MINIMA)
    assert rerun.returncode == 0, rerun.stderr[-4000:]

    # The shards that snakemake had recorded as finished did not run again.
    # A shard whose output appeared in the instant before the kill, before
    # snakemake recorded it, is still marked incomplete and runs again.
    counts = job_counts(rerun.stdout + rerun.stderr)
    assert counts["explore_shard"] == SHARDS - len(registered)
    for shard, stamp in before.items():
        assert fingerprint(shard_path(workdir, shard)) == stamp, f"finished shard {shard} was recomputed"

    # An interrupted shard continued from its checkpoint and produced what an
    # uninterrupted run of that shard produces.
    shard = interrupted[0]
    log = (workdir / f"logs/landscapes/mb/explore_{shard}.log").read_text()
    assert f"resuming shard {shard} from step" in log
    spec_file = tmp_path / "explore.yaml"
    spec_file.write_text(yaml.safe_dump(spec))
    reference = tmp_path / "reference.npz"
    run_topograph("landscape", "explore", spec_file, "--shard", shard, "--shards", SHARDS, "--output", reference)
    assert_databases_equal(shard_path(workdir, shard), reference)

    # No checkpoint or temporary file is left, and the merged database loads.
    shard_files = sorted(path.name for path in shard_path(workdir, 0).parent.iterdir())
    assert shard_files == [f"explore_{index}.npz" for index in range(SHARDS)]
    assert StationaryPointDatabase.load(workdir / MINIMA).n_minima == 3


FAILING_TOPOGRAPH = """#!/bin/sh
# Fails the basin-hopping job of shard 1 and runs every other command.
case " $* " in
*" explore "*" --shard 1 "*) echo "injected failure of shard 1" >&2; exit 1 ;;
esac
exec "{real}" "$@"
"""


def test_failing_shard_keeps_other_shards(tmp_path):
    workdir = copy_workflow(tmp_path / "workflow")
    write_config(workdir)

    fake_bin = tmp_path / "bin"
    fake_bin.mkdir()
    wrapper = fake_bin / "topograph"
    wrapper.write_text(FAILING_TOPOGRAPH.format(real=Path(sys.executable).parent / "topograph"))
    wrapper.chmod(0o755)

    environment = {"PATH": f"{fake_bin}{os.pathsep}{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    failed = run_snakemake(workdir, "--cores", "2", "--keep-going", MINIMA, env_overrides=environment)
    output = failed.stdout + failed.stderr
    assert failed.returncode != 0
    assert "injected failure of shard 1" in (workdir / "logs/landscapes/mb/explore_1.log").read_text()

    # The other shards finished and are whole; the failed one left nothing
    # and the merge did not run.
    assert not shard_path(workdir, 1).exists()
    assert not (workdir / MINIMA).exists()
    stamps = {}
    for shard in (0, 2, 3):
        StationaryPointDatabase.load(shard_path(workdir, shard))
        stamps[shard] = fingerprint(shard_path(workdir, shard))
    assert "explore_shard" in output

    # Without the injected failure, only shard 1 and the merge run.
    rerun = run_snakemake(workdir, "--cores", "2", MINIMA)
    assert rerun.returncode == 0, rerun.stderr[-4000:]
    counts = job_counts(rerun.stdout + rerun.stderr)
    assert counts["explore_shard"] == 1
    assert counts["merge_shards"] == 1
    for shard, stamp in stamps.items():
        assert fingerprint(shard_path(workdir, shard)) == stamp, f"shard {shard} was recomputed"
    assert StationaryPointDatabase.load(workdir / MINIMA).n_minima == 3

"""Helpers for the tests that run the workflow with snakemake: a temporary
copy of the workflow, a snakemake runner, the dry-run job table, and the
state of the SLURM test cluster."""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

REPOSITORY = Path(__file__).resolve().parents[1]

# Set by .ci/run after tests/slurm/start_cluster.sh brought the cluster up:
# the SLURM tests then fail instead of skipping when the cluster is unusable.
SLURM_REQUIRED = os.environ.get("TOPOGRAPH_SLURM_REQUIRED") == "1"


def copy_workflow(destination: Path) -> Path:
    """Copy the Snakefile, rules, reports, configurations, profiles, conda
    environments and shipped models into ``destination`` and return it."""
    destination.mkdir(parents=True, exist_ok=True)
    shutil.copy(REPOSITORY / "Snakefile", destination / "Snakefile")
    for folder in ("workflow", "config", "profiles", "envs"):
        shutil.copytree(REPOSITORY / folder, destination / folder)
    # Model checkpoints that ship in the repository, read by the models study.
    if (REPOSITORY / "models").is_dir():
        shutil.copytree(REPOSITORY / "models", destination / "models")
    return destination


def snakemake_environment() -> dict[str, str]:
    """Return the environment for snakemake and its jobs: this interpreter's
    bin first (the rules call ``topograph``), no hub traffic, one thread."""
    return {
        **os.environ,
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
        "HF_HUB_OFFLINE": "1",
        "OMP_NUM_THREADS": "1",
        "MKL_NUM_THREADS": "1",
    }


def run_snakemake(
    workdir: Path, *arguments: str, timeout: float = 300, env_overrides: dict[str, str] | None = None
) -> subprocess.CompletedProcess:
    """Run snakemake in ``workdir`` and return the finished process.

    ``env_overrides`` replaces variables of :func:`snakemake_environment`.
    """
    return subprocess.run(
        [sys.executable, "-m", "snakemake", *arguments],
        cwd=workdir,
        capture_output=True,
        text=True,
        env={**snakemake_environment(), **(env_overrides or {})},
        timeout=timeout,
    )


def start_snakemake(workdir: Path, *arguments: str) -> subprocess.Popen:
    """Start snakemake in ``workdir`` in its own process group, with stdout
    and stderr merged into one text pipe, and return the process."""
    return subprocess.Popen(
        [sys.executable, "-m", "snakemake", *arguments],
        cwd=workdir,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=snakemake_environment(),
        start_new_session=True,
    )


def job_counts(dry_run_output: str) -> Counter:
    """Parse the "Job stats" table of a snakemake dry run into rule -> count."""
    lines = dry_run_output.splitlines()
    try:
        start = next(index for index, line in enumerate(lines) if line.strip() == "Job stats:")
    except StopIteration:
        raise AssertionError(f"no job table in the dry-run output:\n{dry_run_output[-3000:]}") from None

    counts = Counter()
    # Header, dashed rule, then "rule count" rows up to the "total" row.
    for line in lines[start + 3 :]:
        match = re.fullmatch(r"\s*(\S+)\s+(\d+)\s*", line)
        if match is None or match.group(1) == "total":
            break
        counts[match.group(1)] = int(match.group(2))
    return counts


def slurm_cluster_problem() -> str | None:
    """Return why the SLURM tests cannot run here, or None when they can."""
    for tool in ("sbatch", "squeue", "sinfo", "scontrol"):
        if shutil.which(tool) is None:
            return f"{tool} not found; install SLURM or run tests/slurm/start_cluster.sh --install as root"
    if importlib.util.find_spec("snakemake_executor_plugin_slurm") is None:
        return "snakemake-executor-plugin-slurm is not installed; pip install -e '.[test]'"

    try:
        ping = subprocess.run(["scontrol", "ping"], capture_output=True, text=True, timeout=15)
        states = subprocess.run(["sinfo", "-h", "-o", "%t"], capture_output=True, text=True, timeout=15)
    except subprocess.TimeoutExpired:
        return "scontrol ping or sinfo timed out; is slurmctld running?"
    if "UP" not in ping.stdout:
        return "slurmctld does not answer scontrol ping; start it with tests/slurm/start_cluster.sh"
    usable = {"idle", "mix", "alloc", "comp"}
    if not usable & set(states.stdout.split()):
        return f"no SLURM node is up (sinfo states: {states.stdout.split()}); see tests/slurm/start_cluster.sh"
    return None


def require_slurm_cluster() -> None:
    """Skip the calling test when no SLURM cluster is up, or fail when one is required."""
    problem = slurm_cluster_problem()
    if problem is None:
        return
    if SLURM_REQUIRED:
        pytest.fail(f"TOPOGRAPH_SLURM_REQUIRED=1 but {problem}")
    pytest.skip(problem)


def scontrol_job(job_id: str) -> dict[str, str]:
    """Return the fields of ``scontrol show job -o`` for one job."""
    completed = subprocess.run(
        ["scontrol", "show", "job", "-o", job_id], capture_output=True, text=True, timeout=15, check=True
    )
    fields = {}
    for token in completed.stdout.split():
        key, _, value = token.partition("=")
        fields.setdefault(key, value)
    return fields

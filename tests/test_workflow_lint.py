"""Snakemake's linter and snakefmt on the workflow files."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from workflow_helpers import REPOSITORY, snakemake_environment

WORKFLOW_FILES = ["Snakefile"] + sorted(
    str(path.relative_to(REPOSITORY)) for path in (REPOSITORY / "workflow" / "rules").glob("*.smk")
)
# Files whose rules must pass `snakemake --lint` with no finding.
LINT_CLEAN_FILES = [
    "Snakefile",
    "workflow/rules/common.smk",
    "workflow/rules/data.smk",
    "workflow/rules/landscape.smk",
]


@pytest.fixture(scope="module")
def lint_findings() -> dict[str, list[str]]:
    """Run `snakemake --lint` once and map each linted file to its findings."""
    linted = subprocess.run(
        [sys.executable, "-m", "snakemake", "--lint"],
        cwd=REPOSITORY,
        capture_output=True,
        text=True,
        env=snakemake_environment(),
        timeout=120,
    )
    output = linted.stdout + linted.stderr
    assert "Traceback" not in output, output[-3000:]

    findings: dict[str, list[str]] = {}
    current = None
    for line in output.splitlines():
        # Headers: "Lints for rule NAME (line N, PATH):" and "Lints for snakefile PATH:".
        header = re.match(r"Lints for (?:rule (\S+) \(line \d+, (.+)\)|snakefile (.+)):$", line)
        if header:
            rule, rule_path, snakefile = header.groups()
            path = Path(rule_path or snakefile).resolve().relative_to(REPOSITORY)
            current = findings.setdefault(str(path), [])
            subject = f"rule {rule}" if rule else "file"
        elif current is not None and line.startswith("    * "):
            current.append(f"{subject}: {line[6:].rstrip(':')}")
    return findings


@pytest.mark.parametrize("workflow_file", LINT_CLEAN_FILES)
def test_snakemake_lint_clean(lint_findings, workflow_file):
    assert lint_findings.get(workflow_file, []) == []


@pytest.mark.parametrize("workflow_file", WORKFLOW_FILES)
def test_snakefmt_leaves_file_unchanged(workflow_file):
    snakefmt = Path(sys.executable).parent / "snakefmt"
    checked = subprocess.run(
        [str(snakefmt), "--check", workflow_file], cwd=REPOSITORY, capture_output=True, text=True, timeout=60
    )
    assert checked.returncode == 0, f"run `snakefmt {workflow_file}`:\n{checked.stderr[-2000:]}"

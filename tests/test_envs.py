"""The conda environment of the rules pins what pyproject.toml,
constraints.txt and data-packages.txt pin."""

from __future__ import annotations

import re
import subprocess
import tomllib

import yaml
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet

from workflow_helpers import REPOSITORY

ENVIRONMENT = REPOSITORY / "envs" / "topograph.yaml"
POST_DEPLOY = REPOSITORY / "envs" / "topograph.post-deploy.sh"


def requirement_lines(path) -> list[str]:
    """Return the requirement lines of a pip requirements file, without comments."""
    lines = (line.split("#", 1)[0].strip() for line in path.read_text().splitlines())
    return [line for line in lines if line]


def normalised(requirements, allow_repeats: bool = False) -> dict[str, str]:
    """Map each package's canonical name to its specifier, in a canonical
    order. With ``allow_repeats``, a package listed twice (a dependency and
    its constraint) gets both specifiers."""
    parsed = {}
    for text in requirements:
        requirement = Requirement(text)
        name = re.sub(r"[-_.]+", "-", requirement.name).lower()
        assert allow_repeats or name not in parsed, f"{name} is listed twice"
        parsed[name] = SpecifierSet(parsed.get(name, "")) & requirement.specifier
    return {name: str(specifier) for name, specifier in parsed.items()}


def environment() -> dict:
    return yaml.safe_load(ENVIRONMENT.read_text())


def pip_section(env: dict) -> list[str]:
    sections = [entry["pip"] for entry in env["dependencies"] if isinstance(entry, dict)]
    assert len(sections) == 1, "the environment needs exactly one pip section"
    return sections[0]


def test_environment_pins_match_pyproject():
    project = tomllib.loads((REPOSITORY / "pyproject.toml").read_text())["project"]
    constraints = requirement_lines(REPOSITORY / "constraints.txt")
    expected = normalised(project["dependencies"] + constraints, allow_repeats=True)
    assert normalised(pip_section(environment())) == expected


def test_environment_python_meets_requires_python():
    project = tomllib.loads((REPOSITORY / "pyproject.toml").read_text())["project"]
    conda_packages = [entry for entry in environment()["dependencies"] if isinstance(entry, str)]
    (python,) = [entry for entry in conda_packages if re.match(r"python\b", entry)]
    version = python.split("=", 1)[1]
    assert SpecifierSet(project["requires-python"]).contains(version)
    assert "pip" in conda_packages


def test_post_deploy_installs_data_packages():
    script = POST_DEPLOY.read_text()
    # The arguments of the first `pip install --no-deps` command, across
    # continuation lines.
    command = re.search(r"pip install --no-deps((?:[^\n]*\\\n)*[^\n]*)", script)
    assert command, "the post-deploy script does not install the data packages with --no-deps"
    packages = command.group(1).replace("\\\n", " ").split()
    assert normalised(packages) == normalised(requirement_lines(REPOSITORY / "data-packages.txt"))


def test_post_deploy_script_is_valid_bash():
    checked = subprocess.run(["bash", "-n", str(POST_DEPLOY)], capture_output=True, text=True)
    assert checked.returncode == 0, checked.stderr


def test_rules_point_at_existing_environments():
    rule_files = sorted((REPOSITORY / "workflow" / "rules").glob("*.smk"))
    referenced = set()
    for rule_file in rule_files:
        for path in re.findall(r'conda:\s*\n\s*"([^"]+)"', rule_file.read_text()):
            referenced.add((rule_file.parent / path).resolve())
    assert ENVIRONMENT.resolve() in referenced
    for path in referenced:
        assert path.is_file(), f"a rule's conda environment {path} does not exist"


def test_slurm_plugin_in_test_extra():
    project = tomllib.loads((REPOSITORY / "pyproject.toml").read_text())["project"]
    names = {Requirement(text).name for text in project["optional-dependencies"]["test"]}
    assert "snakemake-executor-plugin-slurm" in names

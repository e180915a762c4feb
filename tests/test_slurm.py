"""The workflow under the SLURM executor.

The dry runs need only snakemake-executor-plugin-slurm. The cluster test
needs a running cluster (tests/slurm/start_cluster.sh, started by .ci/run)
and is skipped with the reason when there is none. It runs on the demo
scale in 90 to 140 s on 2 cores, most of it waiting between SLURM status
checks, and is not marked slow so that `make test` in CI runs it.
"""

from __future__ import annotations

import itertools
import json
import re
from collections import Counter
from pathlib import Path

import pytest
import yaml
import yte
from snakemake.utils import validate

from conftest import muller_brown_spec
from topograph.landscape.spec import validate_spec
from workflow_helpers import (
    REPOSITORY,
    copy_workflow,
    job_counts,
    require_slurm_cluster,
    run_snakemake,
    start_snakemake,
    scontrol_job,
)

PAPER_CONFIGURATIONS = sorted((REPOSITORY / "config" / "paper").glob("*.yaml"))

# Jobs of the landscape engine. Every landscape a study needs is explored
# (one job per shard), merged and connected. The landscapes that the run
# selects are also drawn, analysed, exported and summarised.
DATABASE_RULE_JOBS = {
    # One description file for the explore stage and one for connect.
    "landscape_description": 2,
    "merge_shards": 1,
    "connect_minima": 1,
}
ANALYSIS_RULE_JOBS = {
    "disconnectivity_graph": 1,
    "frustration": 1,
    "rates": 1,
    "export_pathsample": 1,
    "landscape_summary": 1,
}
DATASET_FILE = re.compile(r"/data/([A-Za-z0-9_-]+)\.csv$")
# Molecule sets that the models study writes from packaged data.
PACKAGED_MOLECULE_SETS = {"qm9", "moses", "freesolv"}


def merged_configuration(paper_file: Path) -> dict:
    """Return the demo configuration updated with a paper one, key by key
    (lists replaced), as snakemake merges a --configfile into the
    Snakefile's configfile, with the schema's defaults filled in."""

    def update(base: dict, extra: dict) -> dict:
        merged = dict(base)
        for key, value in extra.items():
            if isinstance(value, dict) and isinstance(merged.get(key), dict):
                merged[key] = update(merged[key], value)
            else:
                merged[key] = value
        return merged

    demo = yaml.safe_load((REPOSITORY / "config" / "config.yaml").read_text())
    config = update(demo, yaml.safe_load(paper_file.read_text()))
    validate(config, str(REPOSITORY / "config" / "schema.yaml"))
    return config


def kmeans_landscapes(config: dict, expected: Counter) -> dict[str, int]:
    """Count the K-means study's own jobs; return its landscapes' shard counts."""
    kmeans = config["kmeans"]
    if not kmeans["datasets"]:
        return {}
    cells = list(itertools.product(kmeans["datasets"], kmeans["clusters"], kmeans["outliers"], kmeans["seeds"]))
    # One data file per data set, outlier count and seed; K does not change it.
    expected["kmeans_data"] += len({(dataset, outliers, seed) for dataset, _, outliers, seed in cells})
    expected["kmeans_analyse"] += len(cells)
    expected["kmeans_study"] += 1

    shards = {}
    for dataset, clusters, outliers, seed in cells:
        explore = {**kmeans["explore"], **kmeans["datasets"][dataset].get("explore", {})}
        shards[f"kmeans_{dataset}_k{clusters}_o{outliers}_s{seed}"] = explore.get("shards", default_shards())
    return shards


def gp_landscapes(config: dict, expected: Counter) -> dict[str, int]:
    """Count the Gaussian-process study's own jobs; return its landscapes' shard counts."""
    gp = config["gp"]
    if not gp["datasets"]:
        return {}
    parts = {part: gp[part]["datasets"] for part in ("performance", "sweep", "ensemble", "landscape")}
    expected["gp_dataset"] += len(set().union(*parts.values()))
    expected["gp_performance"] += len(parts["performance"])
    expected["gp_performance_summary"] += 1
    expected["gp_sweep"] += len(parts["sweep"])
    expected["gp_ensemble"] += len(parts["ensemble"])
    expected["gp_ensemble_summary"] += 1
    expected["gp_landscape_plot"] += len(parts["landscape"])
    shards = gp["landscape"]["engine"].get("explore", {}).get("shards", default_shards())
    return {f"gp_{name}": shards for name in parts["landscape"]}


def count_model_jobs(config: dict, expected: Counter) -> None:
    models = config["models"]
    expected["embed_dataset"] += len(models["embed"])
    inputs = {job["input"] for job in models["embed"].values()}
    expected["molecule_set"] += len(inputs & PACKAGED_MOLECULE_SETS)
    expected["evaluate_default_model"] += int(models["evaluate"]["enabled"])
    expected["pretrain_model"] += int(models["retrain_default"])


def filltune_landscapes(config: dict, expected: Counter) -> dict[str, int]:
    """Count the fill-tuning jobs; return its landscapes' shard counts."""
    filltune = config["filltune"]
    models = list(filltune["models"])
    if not models:
        return {}
    decoders = [name for name in models if name == "selfies_ted"]
    seeds = filltune["training"]["seeds"]
    # Only models without a decoder retrieve from the pool file.
    expected["filltune_pool"] += len(models) - len(decoders)
    corpora = {filltune["models"][name].get("corpus") for name in models} - {None}
    expected["filltune_corpus"] += len(corpora)
    expected["filltune_samples"] += len(decoders)
    for rule in ("filltune_response", "filltune_roughness", "filltune_propose", "filltune_evaluate",
                 "filltune_rogi", "filltune_figures"):
        expected[rule] += len(models)
    expected["filltune_random_molecules"] += len(models) * len(seeds)
    # The fill-tuned and the random-molecule models per training seed.
    expected["filltune_continue_pretraining"] += 2 * len(models) * len(seeds)
    expected["filltune_finetune"] += len(models) * len(seeds)
    shards = filltune["landscape"]["shards"]
    return {f"filltune_{name}": shards for name in models}


def default_shards() -> int:
    return validate_spec({"potential": {"potential": "muller_brown"}})["explore"]["shards"]


def expected_job_counts(config: dict) -> Counter:
    """Count the jobs a full run of ``config`` needs, per rule."""
    expected = Counter({"all": 1})
    shards = {name: validate_spec(spec, source=name)["explore"]["shards"] for name, spec in config["landscapes"].items()}
    studies = config["studies"]
    study_shards = {}
    if "kmeans" in studies:
        study_shards.update(kmeans_landscapes(config, expected))
    if "gp" in studies:
        study_shards.update(gp_landscapes(config, expected))
    if "filltune" in studies:
        study_shards.update(filltune_landscapes(config, expected))
    if "models" in studies:
        count_model_jobs(config, expected)

    engine_landscapes = list(shards) if "landscapes" in studies else []
    selected = config["run_landscapes"] or [*engine_landscapes, *study_shards]
    needed = set(selected) | set(study_shards)
    all_shards = {**shards, **study_shards}
    datasets = set()
    for name in needed:
        for rule, count in DATABASE_RULE_JOBS.items():
            expected[rule] += count
        expected["explore_shard"] += all_shards[name]
        if name in selected:
            for rule, count in ANALYSIS_RULE_JOBS.items():
                expected[rule] += count

        data = config["landscapes"].get(name, {}).get("potential", {}).get("parameters", {}).get("data")
        match = DATASET_FILE.search(data) if isinstance(data, str) else None
        if match and match.group(1) in config["datasets"]:
            datasets.add(match.group(1))
    expected["sklearn_dataset"] = len(datasets)
    return +expected


@pytest.mark.parametrize("paper_file", PAPER_CONFIGURATIONS, ids=lambda path: path.stem)
def test_paper_configuration_slurm_dry_run(paper_file, tmp_path):
    workdir = copy_workflow(tmp_path)
    completed = run_snakemake(
        workdir,
        "--dry-run",
        "--profile",
        "profiles/slurm",
        "--configfile",
        str(paper_file.relative_to(REPOSITORY)),
        timeout=120,
    )
    assert completed.returncode == 0, completed.stderr[-4000:]

    counts = job_counts(completed.stdout)
    expected = expected_job_counts(merged_configuration(paper_file))
    unexpected = sorted(set(counts) - set(expected))
    assert not unexpected, f"rules without an expected count (add them to this test): {unexpected}"
    assert counts == expected


def load_profile(name: str) -> dict:
    """Return a profile's settings after yte templating, as snakemake reads them."""
    with open(REPOSITORY / "profiles" / name / "config.yaml") as stream:
        return yte.process_yaml(stream, require_use_yte=True)


def evaluate_resource(value, attempt: int):
    """Evaluate a profile resource the way snakemake does: numbers as they are,
    strings as Python expressions of ``attempt``."""
    return eval(value, {"attempt": attempt}) if isinstance(value, str) else value  # noqa: S307


WORKFLOW_RULES = tuple(sorted(path.name for path in (REPOSITORY / "workflow" / "rules").glob("*.smk")))


@pytest.mark.parametrize("profile", ["slurm", "ci-slurm"])
def test_profile_resources_per_rule(profile):
    settings = load_profile(profile)
    per_rule = settings["set-resources"]

    rule_names = []
    for rule_file in WORKFLOW_RULES:
        text = (REPOSITORY / "workflow" / "rules" / rule_file).read_text()
        rule_names += re.findall(r"^rule (\w+):", text, flags=re.MULTILINE)
    assert "explore_shard" in rule_names

    for rule in rule_names:
        assert rule in per_rule, f"profile {profile} has no set-resources entry for rule {rule}"
        resources = per_rule[rule]
        for key in ("runtime", "mem_mb", "cpus_per_task"):
            assert key in resources, f"profile {profile}: rule {rule} has no {key}"

    # A resubmitted job requests more time and memory than the failed one.
    for rule in ("explore_shard", "connect_minima"):
        for key in ("runtime", "mem_mb"):
            first = evaluate_resource(per_rule[rule][key], attempt=1)
            second = evaluate_resource(per_rule[rule][key], attempt=2)
            assert second > first, f"profile {profile}: {rule} {key} does not grow with the attempt"
    assert settings["retries"] >= 1


def test_slurm_profile_gpu_rules(monkeypatch):
    monkeypatch.setenv("TOPOGRAPH_GPU_PARTITION", "a100")
    monkeypatch.setenv("TOPOGRAPH_CPU_PARTITION", "batch")
    settings = load_profile("slurm")
    for rule in ("pretrain_model", "filltune_continue_pretraining", "filltune_finetune"):
        assert settings["set-resources"][rule]["gpu"] == 1
        assert settings["set-resources"][rule]["slurm_partition"] == "a100"
    assert settings["default-resources"]["slurm_partition"] == "batch"


def test_slurm_profile_default_partition(monkeypatch):
    monkeypatch.delenv("TOPOGRAPH_CPU_PARTITION", raising=False)
    settings = load_profile("slurm")
    # No CPU partition set: SLURM's default partition takes the jobs.
    assert "slurm_partition" not in settings["default-resources"]
    assert settings["default-resources"]["mem_mb"] > 0


# Appended to the copied Snakefile: a job that requests a GPU and records
# what SLURM gave it, and a job that fails on its first attempt unless it
# was granted the memory of the second.
PROBE_RULES = """

rule gpu_probe:
    output:
        "results/probe/gpu.txt",
    log:
        "logs/probe/gpu.log",
    resources:
        gpu=1,
        slurm_partition="gpu",
    shell:
        "echo CUDA_VISIBLE_DEVICES=${{CUDA_VISIBLE_DEVICES:-}}"
        " SLURM_JOB_ID=${{SLURM_JOB_ID:-}} > {output} 2> {log}"


rule retry_probe:
    output:
        "results/probe/retry.txt",
    log:
        "logs/probe/retry.log",
    resources:
        mem_mb=lambda wildcards, attempt: 300 * attempt,
        runtime=lambda wildcards, attempt: 2 * attempt,
    shell:
        "test {resources.mem_mb} -ge 600 > {log} 2>&1"
        " && echo mem_mb={resources.mem_mb} > {output}"
"""

SUBMITTED = re.compile(r"Job \d+ has been submitted with SLURM jobid (\d+)")


def test_landscape_on_slurm_cluster(tmp_path):
    require_slurm_cluster()

    config = {"landscapes": {"mb": muller_brown_spec(explore={"shards": 3})}}
    targets = ["results/landscapes/mb/summary.json"]

    # The local reference run shares the CPUs with the cluster run, which
    # spends most of its time waiting between status checks.
    local = copy_workflow(tmp_path / "local_run")
    (local / "config" / "config.yaml").write_text(yaml.safe_dump(config))
    local_run = start_snakemake(local, "--cores", "1", *targets)
    try:
        check_cluster_run(tmp_path / "cluster_run", config, targets, local_run, local)
    finally:
        if local_run.poll() is None:
            local_run.kill()
            local_run.communicate()


def check_cluster_run(folder: Path, config: dict, targets: list[str], local_run, local: Path) -> None:
    """Run ``targets`` and the probe rules on the cluster and check what
    SLURM ran and what the run produced against the local run."""
    cluster = copy_workflow(folder)
    (cluster / "config" / "config.yaml").write_text(yaml.safe_dump(config))
    with open(cluster / "Snakefile", "a") as snakefile:
        snakefile.write(PROBE_RULES)
    completed = run_snakemake(
        cluster,
        "--executor",
        "slurm",
        "--profile",
        "profiles/ci-slurm",
        *targets,
        "results/probe/gpu.txt",
        "results/probe/retry.txt",
        timeout=480,
    )
    output = completed.stdout + completed.stderr
    assert completed.returncode == 0, output[-6000:]

    # Every submitted job completed, except the failed first attempt of
    # retry_probe. landscape_description is a local rule and is not submitted.
    job_ids = SUBMITTED.findall(output)
    jobs = [scontrol_job(job_id) for job_id in job_ids]
    rules = Counter(re.sub(r"^rule_|_wildcards_.*$", "", job["Comment"]) for job in jobs)
    assert rules == Counter(
        explore_shard=3, merge_shards=1, connect_minima=1, landscape_summary=1, gpu_probe=1, retry_probe=2
    )
    for job in jobs:
        if job["Comment"] != "rule_retry_probe":
            assert job["JobState"] == "COMPLETED", job

    # The shards ran as separate jobs, each with the profile's request.
    shard_jobs = [job for job in jobs if job["Comment"].startswith("rule_explore_shard")]
    assert sorted(job["Comment"] for job in shard_jobs) == [
        f"rule_explore_shard_wildcards_mb_{shard}" for shard in range(3)
    ]
    for job in shard_jobs:
        assert job["MinMemoryNode"] == "600M"
        assert job["TimeLimit"] == "00:10:00"
        assert job["Partition"] == "debug"

    # The GPU job was placed on the gpu partition with one GPU, and saw it.
    (gpu_job,) = [job for job in jobs if job["Comment"] == "rule_gpu_probe"]
    assert gpu_job["Partition"] == "gpu"
    assert gpu_job["TresPerJob"] == "gres:gpu:1"
    probe = dict(item.split("=", 1) for item in (cluster / "results/probe/gpu.txt").read_text().split())
    assert probe["CUDA_VISIBLE_DEVICES"] in ("0", "1")
    assert probe["SLURM_JOB_ID"] in job_ids

    # The failed first attempt was resubmitted with twice the memory and time.
    retry_jobs = sorted(
        (job for job in jobs if job["Comment"] == "rule_retry_probe"), key=lambda job: int(job["JobId"])
    )
    assert [job["MinMemoryNode"] for job in retry_jobs] == ["300M", "600M"]
    assert [job["TimeLimit"] for job in retry_jobs] == ["00:02:00", "00:04:00"]
    assert [job["JobState"] for job in retry_jobs] == ["FAILED", "COMPLETED"]
    assert (cluster / "results/probe/retry.txt").read_text().strip() == "mem_mb=600"

    # The cluster's landscape is the local one.
    local_output, _ = local_run.communicate(timeout=300)
    assert local_run.returncode == 0, local_output[-4000:]
    cluster_summary = json.loads((cluster / targets[0]).read_text())
    local_summary = json.loads((local / targets[0]).read_text())
    assert cluster_summary == local_summary
    assert cluster_summary["minima"] == 3

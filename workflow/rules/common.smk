# Settings and helpers shared by every rule file.

import os

from topograph.landscape.spec import validate_spec

RESULTS = config["results"]
LOGS = config["logs"]
# The studies this run makes; `landscapes` is the list under landscapes.
STUDIES = config["studies"]
# Final outputs of the studies; each study's rule file appends its own.
STUDY_OUTPUTS = []

# Every landscape with its defaults filled in; an invalid one stops the
# workflow here, with a message naming the key. The studies add their own
# with register_landscape.
LANDSCAPES = {
    name: validate_spec(spec, source=f"config entry landscapes.{name}")
    for name, spec in config["landscapes"].items()
}
# The study each landscape belongs to.
LANDSCAPE_STUDY = {name: "landscapes" for name in LANDSCAPES}


wildcard_constraints:
    landscape="[A-Za-z0-9_-]+",
    dataset="[A-Za-z0-9_-]+",
    shard=r"\d+",
    stage="explore|connect",


def study_enabled(study):
    """Return whether the configuration's studies list includes ``study``."""
    return study in STUDIES


def register_landscape(name, description, study):
    """Validate a landscape that a study generates and add it to LANDSCAPES."""
    if name in LANDSCAPES:
        raise ValueError(
            f"landscape name {name} is used both by the {study} study and by "
            f"{LANDSCAPE_STUDY[name]}; rename the entry under landscapes"
        )
    LANDSCAPES[name] = validate_spec(description, source=f"{study} landscape {name}")
    LANDSCAPE_STUDY[name] = study


def selected_landscapes():
    """Return the names of the landscapes whose summaries and figures this run makes.

    These are run_landscapes when given, otherwise every landscape of the
    enabled studies.
    """
    selected = config["run_landscapes"] or [
        name for name in LANDSCAPES if study_enabled(LANDSCAPE_STUDY[name])
    ]
    unknown = [name for name in selected if name not in LANDSCAPES]
    if unknown:
        raise ValueError(
            f"run_landscapes names {unknown}, which are not configured landscapes; "
            f"configured: {', '.join(LANDSCAPES)}"
        )
    return selected


def landscape_sections(wildcards, *sections):
    """Return the named sections of a landscape's validated description."""
    spec = LANDSCAPES[wildcards.landscape]
    return {section: spec[section] for section in sections}


def analysis_setting(wildcards, key):
    return LANDSCAPES[wildcards.landscape]["analysis"][key]


def landscape_dir(name):
    return f"{RESULTS}/landscapes/{name}"


def landscape_data(wildcards):
    """Return the data file an interpolated landscape is built from, if any."""
    parameters = LANDSCAPES[wildcards.landscape]["potential"]["parameters"]
    data = parameters.get("data")
    return [data] if isinstance(data, str) else []


def explore_shards(wildcards):
    shards = LANDSCAPES[wildcards.landscape]["explore"]["shards"]
    return expand(
        f"{landscape_dir(wildcards.landscape)}/shards/explore_{{shard}}.npz",
        shard=range(shards),
    )


def all_landscape_outputs():
    outputs = []
    for name in selected_landscapes():
        folder = landscape_dir(name)
        outputs += [
            f"{folder}/summary.json",
            f"{folder}/disconnectivity.png",
            f"{folder}/frustration.csv",
            f"{folder}/rates.csv",
            f"{folder}/pathsample",
        ]
    return outputs


def dataset_setting(key):
    """Return a params function that reads one setting of a configured data set."""

    def setting(wildcards):
        value = config["datasets"][wildcards.dataset][key]
        if isinstance(value, list):
            return ",".join(str(item) for item in value) or "all"
        return "all" if value is None else value

    return setting

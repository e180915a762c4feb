# Settings and helpers shared by every rule file.

from topograph.landscape.spec import validate_spec

RESULTS = config["results"]
LOGS = config["logs"]
# Final outputs of the studies; each study's rule file appends its own.
STUDY_OUTPUTS = []

# Every landscape with its defaults filled in; an invalid one stops the
# workflow here, with a message naming the key.
LANDSCAPES = {
    name: validate_spec(spec, source=f"config entry landscapes.{name}")
    for name, spec in config["landscapes"].items()
}


wildcard_constraints:
    landscape="[A-Za-z0-9_-]+",
    dataset="[A-Za-z0-9_-]+",
    shard=r"\d+",
    stage="explore|connect",


def selected_landscapes():
    """Return the names of the landscapes this run maps."""
    selected = config["run_landscapes"] or list(LANDSCAPES)
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

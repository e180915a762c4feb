# Data sets that ship offline in PyPI packages, written as CSV files.


def dataset_setting(key):
    """Return a params function that reads one setting of a configured data set."""

    def setting(wildcards):
        value = config["datasets"][wildcards.dataset][key]
        if isinstance(value, list):
            return ",".join(str(item) for item in value) or "all"
        return "all" if value is None else value

    return setting


rule sklearn_dataset:
    output:
        f"{RESULTS}/data/{{dataset}}.csv",
    params:
        name=dataset_setting("name"),
        features=dataset_setting("features"),
        max_rows=dataset_setting("max_rows"),
        seed=dataset_setting("seed"),
    log:
        f"{LOGS}/data/{{dataset}}.log",
    message:
        "Writing data set {wildcards.dataset}"
    shell:
        "topograph data sklearn {params.name}"
        " --features {params.features}"
        " --max-rows {params.max_rows}"
        " --seed {params.seed}"
        " --output {output}"
        " > {log} 2>&1"

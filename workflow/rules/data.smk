# Data sets that ship offline in PyPI packages, written as CSV files.


rule sklearn_dataset:
    output:
        f"{RESULTS}/data/{{dataset}}.csv",
    log:
        f"{LOGS}/data/{{dataset}}.log",
    conda:
        "../../envs/topograph.yaml"
    params:
        name=dataset_setting("name"),
        features=dataset_setting("features"),
        max_rows=dataset_setting("max_rows"),
        seed=dataset_setting("seed"),
    message:
        "Writing data set {wildcards.dataset}"
    shell:
        "topograph data sklearn {params.name}"
        " --features {params.features}"
        " --max-rows {params.max_rows}"
        " --seed {params.seed}"
        " --output {output}"
        " > {log} 2>&1"

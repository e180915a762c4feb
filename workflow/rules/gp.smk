# Gaussian-process loss landscapes with a continuous Matern smoothness.
#
# Every data set of the gp section is written as CSV under {results}/gp/data.
# The study then compares fixed nu with optimised nu over train/test splits,
# follows stationary points over a grid of nu and detects folds, scores
# ensembles of low-lying minima, and maps the nu-free likelihood of selected
# data sets with the landscape engine (registered in LANDSCAPES as
# gp_<data set>). Tables and figures go under {results}/gp.
# Settings and input functions are in gp_settings.smk.


rule gp_dataset:
    output:
        f"{GP_FOLDER}/data/{{gp_dataset}}.csv",
    log:
        f"{LOGS}/gp/data/{{gp_dataset}}.log",
    wildcard_constraints:
        gp_dataset="[A-Za-z0-9_-]+",
    conda:
        "../../envs/topograph.yaml"
    params:
        settings=lambda wildcards: json.dumps(GP["datasets"][wildcards.gp_dataset]),
        seed=GP["seed"],
    message:
        "Writing GP data set {wildcards.gp_dataset}"
    shell:
        "topograph gp data {wildcards.gp_dataset}"
        " --settings {params.settings:q}"
        " --seed {params.seed}"
        " --output {output}"
        " > {log} 2>&1"


rule gp_performance:
    input:
        f"{GP_FOLDER}/data/{{gp_dataset}}.csv",
    output:
        f"{GP_FOLDER}/performance/{{gp_dataset}}.csv",
    log:
        f"{LOGS}/gp/performance/{{gp_dataset}}.log",
    benchmark:
        f"{LOGS}/gp/performance/{{gp_dataset}}.benchmark.tsv"
    conda:
        "../../envs/topograph.yaml"
    resources:
        runtime=lambda wildcards, attempt: 60 * attempt,
        mem_mb=lambda wildcards, attempt: 2000 * attempt,
        cpus_per_task=1,
    params:
        settings=gp_settings("performance"),
    message:
        "Fixed against optimised nu on GP data set {wildcards.gp_dataset}"
    shell:
        "topograph gp performance {input}"
        " --name {wildcards.gp_dataset}"
        " --settings {params.settings:q}"
        " --output {output}"
        " > {log} 2>&1"


rule gp_performance_summary:
    input:
        expand(
            f"{GP_FOLDER}/performance/{{gp_dataset}}.csv",
            gp_dataset=gp_selected("performance") if GP_DATASETS else [],
        ),
    output:
        table=report(
            f"{GP_FOLDER}/performance_summary.csv",
            caption="../report/gp_performance.rst",
            category="Gaussian processes",
        ),
        figure=report(
            f"{GP_FOLDER}/performance.png",
            caption="../report/gp_performance.rst",
            category="Gaussian processes",
        ),
    log:
        f"{LOGS}/gp/performance_summary.log",
    conda:
        "../../envs/topograph.yaml"
    message:
        "Summarising fixed against optimised nu"
    shell:
        "topograph gp summarise {input}"
        " --output {output.table}"
        " --figure {output.figure}"
        " > {log} 2>&1"


rule gp_sweep:
    input:
        f"{GP_FOLDER}/data/{{gp_dataset}}.csv",
    output:
        branches=f"{GP_FOLDER}/sweep/{{gp_dataset}}_branches.csv",
        catastrophes=report(
            f"{GP_FOLDER}/sweep/{{gp_dataset}}_catastrophes.csv",
            caption="../report/gp_sweep.rst",
            category="Gaussian processes",
            subcategory="{gp_dataset}",
        ),
        figure=report(
            f"{GP_FOLDER}/sweep/{{gp_dataset}}_branches.png",
            caption="../report/gp_sweep.rst",
            category="Gaussian processes",
            subcategory="{gp_dataset}",
        ),
    log:
        f"{LOGS}/gp/sweep/{{gp_dataset}}.log",
    benchmark:
        f"{LOGS}/gp/sweep/{{gp_dataset}}.benchmark.tsv"
    conda:
        "../../envs/topograph.yaml"
    resources:
        runtime=lambda wildcards, attempt: 60 * attempt,
        mem_mb=lambda wildcards, attempt: 2000 * attempt,
        cpus_per_task=1,
    params:
        settings=gp_settings("sweep"),
    message:
        "Following stationary points over nu on GP data set {wildcards.gp_dataset}"
    shell:
        "topograph gp sweep {input}"
        " --name {wildcards.gp_dataset}"
        " --settings {params.settings:q}"
        " --branches {output.branches}"
        " --catastrophes {output.catastrophes}"
        " --figure {output.figure}"
        " > {log} 2>&1"


rule gp_ensemble:
    input:
        f"{GP_FOLDER}/data/{{gp_dataset}}.csv",
    output:
        f"{GP_FOLDER}/ensemble/{{gp_dataset}}.csv",
    log:
        f"{LOGS}/gp/ensemble/{{gp_dataset}}.log",
    benchmark:
        f"{LOGS}/gp/ensemble/{{gp_dataset}}.benchmark.tsv"
    conda:
        "../../envs/topograph.yaml"
    resources:
        runtime=lambda wildcards, attempt: 60 * attempt,
        mem_mb=lambda wildcards, attempt: 2000 * attempt,
        cpus_per_task=1,
    params:
        settings=gp_settings("ensemble"),
    message:
        "Ensembles of GP minima on data set {wildcards.gp_dataset}"
    shell:
        "topograph gp ensemble {input}"
        " --name {wildcards.gp_dataset}"
        " --settings {params.settings:q}"
        " --output {output}"
        " > {log} 2>&1"


rule gp_ensemble_summary:
    input:
        expand(
            f"{GP_FOLDER}/ensemble/{{gp_dataset}}.csv",
            gp_dataset=gp_selected("ensemble") if GP_DATASETS else [],
        ),
    output:
        table=f"{GP_FOLDER}/ensemble_gain.csv",
        figure=report(
            f"{GP_FOLDER}/ensemble_gain.png",
            caption="../report/gp_ensemble.rst",
            category="Gaussian processes",
        ),
    log:
        f"{LOGS}/gp/ensemble_summary.log",
    conda:
        "../../envs/topograph.yaml"
    message:
        "Predicted against measured ensemble gain"
    shell:
        "topograph gp plot-ensemble {input}"
        " --output {output.figure}"
        " --table {output.table}"
        " > {log} 2>&1"


rule gp_landscape_plot:
    input:
        f"{RESULTS}/landscapes/gp_{{gp_dataset}}/database.npz",
    output:
        table=f"{GP_FOLDER}/landscape/{{gp_dataset}}_minima.csv",
        figure=report(
            f"{GP_FOLDER}/landscape/{{gp_dataset}}_disconnectivity.png",
            caption="../report/gp_landscape.rst",
            category="Gaussian processes",
            subcategory="{gp_dataset}",
        ),
    log:
        f"{LOGS}/gp/landscape/{{gp_dataset}}.log",
    conda:
        "../../envs/topograph.yaml"
    params:
        levels=GP["landscape"]["engine"].get("analysis", {}).get("levels", 12),
    message:
        "Disconnectivity graph of the nu-free GP landscape of {wildcards.gp_dataset}"
    shell:
        "topograph gp plot-landscape {input}"
        " --levels {params.levels}"
        " --output {output.figure}"
        " --table {output.table}"
        " > {log} 2>&1"


if GP_DATASETS and study_enabled("gp"):
    STUDY_OUTPUTS += [
        f"{GP_FOLDER}/performance_summary.csv",
        f"{GP_FOLDER}/performance.png",
        f"{GP_FOLDER}/ensemble_gain.csv",
        f"{GP_FOLDER}/ensemble_gain.png",
    ]
    STUDY_OUTPUTS += expand(
        f"{GP_FOLDER}/sweep/{{gp_dataset}}_{{part}}",
        gp_dataset=gp_selected("sweep"),
        part=["branches.csv", "catastrophes.csv", "branches.png"],
    )
    STUDY_OUTPUTS += expand(
        f"{GP_FOLDER}/landscape/{{gp_dataset}}_{{part}}",
        gp_dataset=gp_selected("landscape"),
        part=["minima.csv", "disconnectivity.png"],
    )

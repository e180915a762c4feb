# The landscape engine shared by every study: explore in shards, merge,
# connect minima by transition states, then analyse the database.


# Writing a small YAML file takes milliseconds; it runs in the main
# snakemake process instead of waiting in a cluster queue.
rule landscape_description:
    output:
        f"{RESULTS}/landscapes/{{landscape}}/{{stage}}.yaml",
    log:
        f"{LOGS}/landscapes/{{landscape}}/{{stage}}_description.log",
    localrule: True
    params:
        # Each stage's file holds only the sections its steps read, so new
        # connect or analysis settings do not rerun basin-hopping.
        spec=lambda wildcards: landscape_sections(
            wildcards, "potential", wildcards.stage, "database"
        ),
    message:
        "Writing the {wildcards.stage} description of landscape {wildcards.landscape}"
    run:
        import yaml

        with open(output[0], "w") as handle:
            yaml.safe_dump(params.spec, handle, sort_keys=False)


rule explore_shard:
    input:
        spec=f"{RESULTS}/landscapes/{{landscape}}/explore.yaml",
        data=landscape_data,
    output:
        f"{RESULTS}/landscapes/{{landscape}}/shards/explore_{{shard}}.npz",
    log:
        f"{LOGS}/landscapes/{{landscape}}/explore_{{shard}}.log",
    benchmark:
        f"{LOGS}/landscapes/{{landscape}}/explore_{{shard}}.benchmark.tsv"
    conda:
        "../../envs/topograph.yaml"
    resources:
        runtime=lambda wildcards, attempt: 120 * attempt,
        mem_mb=lambda wildcards, attempt: 2000 * attempt,
        cpus_per_task=1,
    params:
        shards=lambda wildcards: LANDSCAPES[wildcards.landscape]["explore"]["shards"],
    message:
        "Basin-hopping shard {wildcards.shard} of landscape {wildcards.landscape}"
    shell:
        "topograph landscape explore {input.spec}"
        " --shard {wildcards.shard}"
        " --shards {params.shards}"
        " --output {output}"
        " > {log} 2>&1"


rule merge_shards:
    input:
        spec=f"{RESULTS}/landscapes/{{landscape}}/explore.yaml",
        shards=explore_shards,
    output:
        f"{RESULTS}/landscapes/{{landscape}}/minima.npz",
    log:
        f"{LOGS}/landscapes/{{landscape}}/merge.log",
    conda:
        "../../envs/topograph.yaml"
    message:
        "Merging the basin-hopping shards of landscape {wildcards.landscape}"
    shell:
        "topograph landscape merge {input.shards}"
        " --spec {input.spec}"
        " --output {output}"
        " > {log} 2>&1"


rule connect_minima:
    input:
        spec=f"{RESULTS}/landscapes/{{landscape}}/connect.yaml",
        database=f"{RESULTS}/landscapes/{{landscape}}/minima.npz",
        data=landscape_data,
    output:
        f"{RESULTS}/landscapes/{{landscape}}/database.npz",
    log:
        f"{LOGS}/landscapes/{{landscape}}/connect.log",
    benchmark:
        f"{LOGS}/landscapes/{{landscape}}/connect.benchmark.tsv"
    conda:
        "../../envs/topograph.yaml"
    resources:
        runtime=lambda wildcards, attempt: 240 * attempt,
        mem_mb=lambda wildcards, attempt: 4000 * attempt,
        cpus_per_task=1,
    message:
        "Transition-state searches between the minima of landscape {wildcards.landscape}"
    shell:
        "topograph landscape connect {input.spec}"
        " --database {input.database}"
        " --output {output}"
        " > {log} 2>&1"


rule disconnectivity_graph:
    input:
        database=f"{RESULTS}/landscapes/{{landscape}}/database.npz",
    output:
        report(
            f"{RESULTS}/landscapes/{{landscape}}/disconnectivity.png",
            caption="../report/disconnectivity.rst",
            category="Landscapes",
            subcategory="{landscape}",
        ),
    log:
        f"{LOGS}/landscapes/{{landscape}}/disconnectivity.log",
    conda:
        "../../envs/topograph.yaml"
    params:
        levels=lambda wildcards: analysis_setting(wildcards, "levels"),
    message:
        "Drawing the disconnectivity graph of landscape {wildcards.landscape}"
    shell:
        "topograph landscape plot {input.database}"
        " --levels {params.levels}"
        " --output {output}"
        " > {log} 2>&1"


rule frustration:
    input:
        database=f"{RESULTS}/landscapes/{{landscape}}/database.npz",
    output:
        f"{RESULTS}/landscapes/{{landscape}}/frustration.csv",
    log:
        f"{LOGS}/landscapes/{{landscape}}/frustration.log",
    conda:
        "../../envs/topograph.yaml"
    params:
        length_scale=lambda wildcards: analysis_setting(wildcards, "length_scale"),
    message:
        "Frustration contributions of landscape {wildcards.landscape}"
    shell:
        "topograph landscape frustration {input.database}"
        " --length-scale {params.length_scale}"
        " --output {output}"
        " > {log} 2>&1"


rule rates:
    input:
        database=f"{RESULTS}/landscapes/{{landscape}}/database.npz",
    output:
        f"{RESULTS}/landscapes/{{landscape}}/rates.csv",
    log:
        f"{LOGS}/landscapes/{{landscape}}/rates.log",
    conda:
        "../../envs/topograph.yaml"
    params:
        temperatures=lambda wildcards: ",".join(
            str(value) for value in analysis_setting(wildcards, "temperatures")
        ),
    message:
        "Rates between the minima of landscape {wildcards.landscape}"
    shell:
        "topograph landscape rates {input.database}"
        " --temperatures {params.temperatures}"
        " --output {output}"
        " > {log} 2>&1"


rule export_pathsample:
    input:
        f"{RESULTS}/landscapes/{{landscape}}/database.npz",
    output:
        directory(f"{RESULTS}/landscapes/{{landscape}}/pathsample"),
    log:
        f"{LOGS}/landscapes/{{landscape}}/pathsample.log",
    conda:
        "../../envs/topograph.yaml"
    message:
        "Exporting landscape {wildcards.landscape} for PATHSAMPLE"
    shell:
        "topograph landscape export {input}" " --directory {output}" " > {log} 2>&1"


rule landscape_summary:
    input:
        explore_spec=f"{RESULTS}/landscapes/{{landscape}}/explore.yaml",
        spec=f"{RESULTS}/landscapes/{{landscape}}/connect.yaml",
        database=f"{RESULTS}/landscapes/{{landscape}}/database.npz",
    output:
        report(
            f"{RESULTS}/landscapes/{{landscape}}/summary.json",
            caption="../report/summary.rst",
            category="Landscapes",
            subcategory="{landscape}",
        ),
    log:
        f"{LOGS}/landscapes/{{landscape}}/summary.log",
    conda:
        "../../envs/topograph.yaml"
    params:
        length_scale=lambda wildcards: analysis_setting(wildcards, "length_scale"),
    message:
        "Summarising landscape {wildcards.landscape}"
    shell:
        "topograph landscape summary {input.database}"
        " --spec {input.explore_spec} --spec {input.spec}"
        " --length-scale {params.length_scale}"
        " --output {output}"
        " > {log} 2>&1"

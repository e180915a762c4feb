# K-means solution landscapes with outliers.
#
# Each cell of the grid (data set × K × outliers × seed) is a landscape of
# the soft-min K-means cost, registered in LANDSCAPES so that the landscape
# rules explore, merge and connect it. The rules below write the data,
# analyse each landscape on the exact cost and tabulate the study. The
# generic outputs under {results}/landscapes/kmeans_* (summary, graph,
# rates) are in the smoothed cost; those under {results}/kmeans are exact.
# Settings and input functions are in kmeans_settings.smk.


rule kmeans_data:
    input:
        kmeans_user_file,
    output:
        f"{KMEANS_FOLDER}/data/{{kmeans_dataset}}_o{{kmeans_outliers}}_s{{kmeans_seed}}.csv",
    log:
        f"{LOGS}/kmeans/data/{{kmeans_dataset}}_o{{kmeans_outliers}}_s{{kmeans_seed}}.log",
    wildcard_constraints:
        kmeans_dataset="[A-Za-z0-9-]+",
        kmeans_outliers=r"\d+",
        kmeans_seed=r"\d+",
    conda:
        "../../envs/topograph.yaml"
    params:
        options=kmeans_dataset_options,
        distance=KMEANS["outlier_distance"],
    message:
        "Writing K-means data set {wildcards.kmeans_dataset} with {wildcards.kmeans_outliers} outliers"
    shell:
        "topograph kmeans data {params.options}"
        " --outliers {wildcards.kmeans_outliers}"
        " --distance {params.distance}"
        " --seed {wildcards.kmeans_seed}"
        " --output {output}"
        " > {log} 2>&1"


rule kmeans_analyse:
    input:
        database=f"{RESULTS}/landscapes/{{landscape}}/database.npz",
        data=kmeans_cell_data,
    output:
        summary=f"{KMEANS_FOLDER}/landscapes/{{landscape}}/summary.json",
        minima=f"{KMEANS_FOLDER}/landscapes/{{landscape}}/minima.csv",
        pairs=f"{KMEANS_FOLDER}/landscapes/{{landscape}}/pairs.csv",
        exact=f"{KMEANS_FOLDER}/landscapes/{{landscape}}/exact.npz",
        graph=report(
            f"{KMEANS_FOLDER}/landscapes/{{landscape}}/disconnectivity.png",
            caption="../report/kmeans_disconnectivity.rst",
            category="K-means",
            subcategory="{landscape}",
        ),
    log:
        f"{LOGS}/kmeans/landscapes/{{landscape}}/analyse.log",
    benchmark:
        f"{LOGS}/kmeans/landscapes/{{landscape}}/analyse.benchmark.tsv"
    wildcard_constraints:
        landscape="kmeans_[A-Za-z0-9_-]+",
    conda:
        "../../envs/topograph.yaml"
    resources:
        runtime=lambda wildcards, attempt: 60 * attempt,
        mem_mb=lambda wildcards, attempt: 2000 * attempt,
        cpus_per_task=1,
    params:
        folder=lambda wildcards: f"{KMEANS_FOLDER}/landscapes/{wildcards.landscape}",
        cell=lambda wildcards: KMEANS_CELL[wildcards.landscape],
        smoothing=KMEANS["smoothing"],
        analysis=KMEANS["analysis"],
    message:
        "Analysing K-means landscape {wildcards.landscape} on the exact cost"
    shell:
        "topograph kmeans analyse {input.database}"
        " --data {input.data}"
        " --n-clusters {params.cell[n_clusters]}"
        " --smoothing {params.smoothing}"
        " --levels {params.analysis[levels]}"
        " --length-scale {params.analysis[length_scale]}"
        " --kinetic-temperature {params.analysis[kinetic_temperature]}"
        " --max-pair-minima {params.analysis[max_pair_minima]}"
        " --dataset {params.cell[dataset]}"
        " --seed {params.cell[seed]}"
        " --output {params.folder}"
        " > {log} 2>&1"


rule kmeans_study:
    input:
        summaries=[
            f"{KMEANS_FOLDER}/landscapes/{cell['name']}/summary.json"
            for cell in KMEANS_CELLS
        ],
        pairs=[
            f"{KMEANS_FOLDER}/landscapes/{cell['name']}/pairs.csv"
            for cell in KMEANS_CELLS
        ],
    output:
        landscapes=report(
            f"{KMEANS_FOLDER}/landscapes.csv",
            caption="../report/kmeans_tables.rst",
            category="K-means",
        ),
        comparison=report(
            f"{KMEANS_FOLDER}/outlier_comparison.csv",
            caption="../report/kmeans_tables.rst",
            category="K-means",
        ),
        pairs=f"{KMEANS_FOLDER}/similarity_pairs.csv",
        effects=report(
            f"{KMEANS_FOLDER}/outlier_effects.png",
            caption="../report/kmeans_outlier_effects.rst",
            category="K-means",
        ),
        similarity=report(
            f"{KMEANS_FOLDER}/similarity_vs_ari.png",
            caption="../report/kmeans_similarity.rst",
            category="K-means",
        ),
    log:
        f"{LOGS}/kmeans/study.log",
    conda:
        "../../envs/topograph.yaml"
    params:
        folders=[f"{KMEANS_FOLDER}/landscapes/{cell['name']}" for cell in KMEANS_CELLS],
        n_landscapes=len(KMEANS_CELLS),
        output_folder=lambda wildcards, output: os.path.dirname(output.landscapes),
    message:
        "Tabulating the K-means study over {params.n_landscapes} landscapes"
    shell:
        "topograph kmeans study {params.folders}"
        " --output {params.output_folder}"
        " > {log} 2>&1"


if KMEANS_CELLS and study_enabled("kmeans"):
    STUDY_OUTPUTS.extend(list(rules.kmeans_study.output))

# Fill-tuning: find the rough regions of a model's latent space, propose the
# molecules that fill them, continue pretraining on those, and compare the
# downstream tasks against the base model and two controls.
#
# For each model of filltune.models, under {results}/filltune/<model>:
#   response.npy      latent samples (or pool embeddings) and their response,
#                     mapped as landscape filltune_<model> by the engine rules
#   roughness/        Gaussians, surface minima and frustration contributions
#   proposals.csv     the proposed molecules, proposals.json their statistics
#   checkpoints/      fill-tuned, random-N and fine-tuned models per seed
#   metrics.csv       downstream metric per model, task and split seed
#   comparison.csv    each task's change against the base with 95 % intervals
#   rogi.csv          ROGI-XD of each task before and after fill-tuning
#   figures/          response, contributions, surface minima, molecules, changes
# Settings and input functions are in filltune_settings.smk.


wildcard_constraints:
    ft_model="|".join(FILLTUNE_MODELS) or "none",
    variant="filltuned|random",
    seed=r"\d+",


rule filltune_pool:
    output:
        f"{FILLTUNE_FOLDER}/{{ft_model}}/pool.csv",
    log:
        f"{LOGS}/filltune/{{ft_model}}/pool.log",
    conda:
        "../../envs/topograph.yaml"
    params:
        source=lambda wildcards: filltune_model(wildcards)["pool"]["source"],
        molecule_count=lambda wildcards: filltune_model(wildcards)["pool"]["count"],
        seed=FILLTUNE["seed"],
    message:
        "Drawing the molecule pool of {wildcards.ft_model}"
    shell:
        "topograph model molecules {params.source}"
        " --count {params.molecule_count} --seed {params.seed} --output {output}"
        " > {log} 2>&1"


rule filltune_corpus:
    output:
        f"{FILLTUNE_FOLDER}/corpus_{{corpus}}.csv",
    log:
        f"{LOGS}/filltune/corpus_{{corpus}}.log",
    wildcard_constraints:
        corpus="qm9|moses",
    conda:
        "../../envs/topograph.yaml"
    message:
        "Writing the {wildcards.corpus} corpus for the novelty of proposals"
    shell:
        "topograph model molecules {wildcards.corpus} --count all --output {output}"
        " > {log} 2>&1"


rule filltune_samples:
    output:
        f"{FILLTUNE_FOLDER}/{{ft_model}}/samples.npz",
    log:
        f"{LOGS}/filltune/{{ft_model}}/samples.log",
    conda:
        "../../envs/topograph.yaml"
    params:
        samples=lambda wildcards: filltune_model(wildcards)["samples"],
        dimension=lambda wildcards: filltune_model(wildcards)["latent_dim"],
        neighbours=FILLTUNE["sampling"]["neighbours"],
        radius=FILLTUNE["sampling"]["radius"],
        box=" ".join(str(value) for value in FILLTUNE["sampling"]["box"]),
        seed=FILLTUNE["seed"],
    message:
        "Sampling the latent box of {wildcards.ft_model}"
    shell:
        "topograph filltune sample --output {output}"
        " --samples {params.samples} --dimension {params.dimension}"
        " --neighbours {params.neighbours} --radius {params.radius}"
        " --box {params.box} --seed {params.seed}"
        " > {log} 2>&1"


rule filltune_response:
    input:
        unpack(response_inputs),
    output:
        table=f"{FILLTUNE_FOLDER}/{{ft_model}}/response.npy",
        molecules=f"{FILLTUNE_FOLDER}/{{ft_model}}/response_molecules.csv",
    log:
        f"{LOGS}/filltune/{{ft_model}}/response.log",
    benchmark:
        f"{LOGS}/filltune/{{ft_model}}/response.benchmark.tsv"
    conda:
        "../../envs/topograph.yaml"
    resources:
        runtime=lambda wildcards, attempt: 60 * attempt,
    params:
        model=filltune_reference,
        source=lambda wildcards, input: (
            f"--samples {input.samples}"
            if is_decoder_model(wildcards.ft_model)
            else f"--pool {input.pool}"
        ),
        neighbours=FILLTUNE["sampling"]["neighbours"],
    message:
        "Measuring the neighbour-similarity response of {wildcards.ft_model}"
    shell:
        "topograph filltune response --model {params.model} {params.source}"
        " --neighbours {params.neighbours}"
        " --output {output.table} --molecules {output.molecules}"
        " > {log} 2>&1"


rule filltune_roughness:
    input:
        database=f"{RESULTS}/landscapes/filltune_{{ft_model}}/database.npz",
        table=f"{FILLTUNE_FOLDER}/{{ft_model}}/response.npy",
    output:
        gaussians=f"{FILLTUNE_FOLDER}/{{ft_model}}/roughness/gaussians.npz",
        minima=f"{FILLTUNE_FOLDER}/{{ft_model}}/roughness/surface_minima.csv",
        contributions=f"{FILLTUNE_FOLDER}/{{ft_model}}/roughness/contributions.csv",
    log:
        f"{LOGS}/filltune/{{ft_model}}/roughness.log",
    conda:
        "../../envs/topograph.yaml"
    params:
        length_scale=FILLTUNE["landscape"]["length_scale"],
        steps=FILLTUNE["roughness"]["steps"],
        temperature=FILLTUNE["roughness"]["temperature"],
        step_size=FILLTUNE["roughness"]["step_size"],
        cut=FILLTUNE["roughness"]["cut"],
        seed=FILLTUNE["seed"],
    message:
        "Building and minimising the roughness surface of {wildcards.ft_model}"
    shell:
        "topograph filltune roughness --database {input.database} --table {input.table}"
        " --gaussians {output.gaussians} --minima {output.minima}"
        " --contributions {output.contributions}"
        " --length-scale {params.length_scale} --steps {params.steps}"
        " --temperature {params.temperature} --step-size {params.step_size}"
        " --cut {params.cut} --seed {params.seed}"
        " > {log} 2>&1"


rule filltune_propose:
    input:
        unpack(propose_inputs),
    output:
        proposals=report(
            f"{FILLTUNE_FOLDER}/{{ft_model}}/proposals.csv",
            caption="../report/filltune_proposals.rst",
            category="Fill-tuning",
            subcategory="{ft_model}",
        ),
        statistics=f"{FILLTUNE_FOLDER}/{{ft_model}}/proposals.json",
    log:
        f"{LOGS}/filltune/{{ft_model}}/propose.log",
    conda:
        "../../envs/topograph.yaml"
    params:
        model=filltune_reference,
        molecule_count=FILLTUNE["proposals"],
        pool=lambda wildcards, input: (
            f"--pool {input.pool}" if "pool" in input.keys() else ""
        ),
        corpus=lambda wildcards, input: (
            f"--corpus {input.corpus}" if "corpus" in input.keys() else ""
        ),
    message:
        "Proposing {params.molecule_count} molecules for {wildcards.ft_model}"
    shell:
        "topograph filltune propose --model {params.model} --minima {input.minima}"
        " --count {params.molecule_count} {params.pool} {params.corpus}"
        " --output {output.proposals} --statistics {output.statistics}"
        " > {log} 2>&1"


# The random control has as many molecules as the proposals kept, so that
# both continued-pretraining runs see the same number of molecules even when
# the roughness surface yields fewer than filltune.proposals.
rule filltune_random_molecules:
    input:
        proposals=f"{FILLTUNE_FOLDER}/{{ft_model}}/proposals.csv",
    output:
        f"{FILLTUNE_FOLDER}/{{ft_model}}/random_s{{seed}}.csv",
    log:
        f"{LOGS}/filltune/{{ft_model}}/random_s{{seed}}.log",
    conda:
        "../../envs/topograph.yaml"
    params:
        source=lambda wildcards: filltune_model(wildcards)["pool"]["source"],
        # A different draw per training seed, none equal to the pool's seed.
        seed=lambda wildcards: 1000 + int(wildcards.seed),
    message:
        "Drawing random molecules (control) for {wildcards.ft_model}, as many as its proposals"
    shell:
        "topograph model molecules {params.source}"
        " --count-like {input.proposals} --seed {params.seed} --output {output}"
        " > {log} 2>&1"


rule filltune_continue_pretraining:
    input:
        molecules=continue_input,
        model=lambda wildcards: model_inputs(wildcards.ft_model),
    output:
        directory(f"{FILLTUNE_FOLDER}/{{ft_model}}/checkpoints/{{variant}}_s{{seed}}"),
    log:
        f"{LOGS}/filltune/{{ft_model}}/continue_{{variant}}_s{{seed}}.log",
    benchmark:
        f"{LOGS}/filltune/{{ft_model}}/continue_{{variant}}_s{{seed}}.benchmark.tsv"
    conda:
        "../../envs/topograph.yaml"
    resources:
        gpu=lambda wildcards: 1 if FILLTUNE["training"]["accelerator"] == "gpu" else 0,
        runtime=lambda wildcards, attempt: 60 * attempt,
    params:
        model=filltune_reference,
        epochs=FILLTUNE["training"]["epochs"],
        batch_size=FILLTUNE["training"]["batch_size"],
        learning_rate=FILLTUNE["training"]["learning_rate"],
        accelerator=FILLTUNE["training"]["accelerator"],
    message:
        "Continuing pretraining of {wildcards.ft_model} on {input.molecules}"
    shell:
        "topograph model continue --model {params.model} --input {input.molecules}"
        " --output {output} --epochs {params.epochs}"
        " --batch-size {params.batch_size} --learning-rate {params.learning_rate}"
        " --seed {wildcards.seed} --accelerator {params.accelerator}"
        " > {log} 2>&1"


rule filltune_finetune:
    input:
        model=lambda wildcards: model_inputs(wildcards.ft_model),
    output:
        directory(f"{FILLTUNE_FOLDER}/{{ft_model}}/checkpoints/finetuned_s{{seed}}"),
    log:
        f"{LOGS}/filltune/{{ft_model}}/finetune_s{{seed}}.log",
    benchmark:
        f"{LOGS}/filltune/{{ft_model}}/finetune_s{{seed}}.benchmark.tsv"
    conda:
        "../../envs/topograph.yaml"
    resources:
        gpu=lambda wildcards: 1 if FILLTUNE["training"]["accelerator"] == "gpu" else 0,
        runtime=lambda wildcards, attempt: 60 * attempt,
    params:
        model=filltune_reference,
        task=FILLTUNE["finetune"]["task"],
        epochs=FILLTUNE["finetune"]["epochs"],
        batch_size=FILLTUNE["finetune"]["batch_size"],
        learning_rate=FILLTUNE["finetune"]["learning_rate"],
        accelerator=FILLTUNE["training"]["accelerator"],
    message:
        "Fine-tuning {wildcards.ft_model} on {params.task} (control)"
    shell:
        "topograph model finetune --model {params.model} --task {params.task}"
        " --output {output} --summary {output}/finetune.json --epochs {params.epochs}"
        " --batch-size {params.batch_size} --learning-rate {params.learning_rate}"
        " --seed {wildcards.seed} --accelerator {params.accelerator}"
        " > {log} 2>&1"


rule filltune_evaluate:
    input:
        unpack(variant_checkpoints),
        model=lambda wildcards: model_inputs(wildcards.ft_model),
    output:
        metrics=f"{FILLTUNE_FOLDER}/{{ft_model}}/metrics.csv",
        comparison=report(
            f"{FILLTUNE_FOLDER}/{{ft_model}}/comparison.csv",
            caption="../report/filltune_comparison.rst",
            category="Fill-tuning",
            subcategory="{ft_model}",
        ),
    log:
        f"{LOGS}/filltune/{{ft_model}}/evaluate.log",
    benchmark:
        f"{LOGS}/filltune/{{ft_model}}/evaluate.benchmark.tsv"
    conda:
        "../../envs/topograph.yaml"
    resources:
        runtime=lambda wildcards, attempt: 60 * attempt,
    params:
        models=evaluation_models,
        tasks=task_arguments(FILLTUNE["tasks"]),
        seeds=",".join(str(seed) for seed in FILLTUNE["evaluation"]["seeds"]),
        test_fraction=FILLTUNE["evaluation"]["test_fraction"],
        max_rows=FILLTUNE["evaluation"]["max_rows"],
    message:
        "Evaluating the downstream tasks of every {wildcards.ft_model} variant"
    shell:
        "topograph filltune evaluate {params.models} {params.tasks}"
        " --seeds {params.seeds} --test-fraction {params.test_fraction}"
        " --max-rows {params.max_rows}"
        " --output {output.metrics} --base base --table {output.comparison}"
        " > {log} 2>&1"


rule filltune_rogi:
    input:
        filltuned=f"{FILLTUNE_FOLDER}/{{ft_model}}/checkpoints/filltuned_s{TRAINING_SEEDS[0]}",
        model=lambda wildcards: model_inputs(wildcards.ft_model),
    output:
        report(
            f"{FILLTUNE_FOLDER}/{{ft_model}}/rogi.csv",
            caption="../report/filltune_rogi.rst",
            category="Fill-tuning",
            subcategory="{ft_model}",
        ),
    log:
        f"{LOGS}/filltune/{{ft_model}}/rogi.log",
    conda:
        "../../envs/topograph.yaml"
    params:
        model=filltune_reference,
        tasks=task_arguments(FILLTUNE["tasks"]),
        max_rows=FILLTUNE["evaluation"]["max_rows"],
        seed=FILLTUNE["seed"],
    message:
        "Measuring ROGI-XD of every task before and after fill-tuning {wildcards.ft_model}"
    shell:
        "topograph filltune rogi --model base={params.model}"
        " --model filltuned={input.filltuned} {params.tasks}"
        " --max-rows {params.max_rows} --seed {params.seed} --output {output}"
        " > {log} 2>&1"


rule filltune_figures:
    input:
        response=f"{FILLTUNE_FOLDER}/{{ft_model}}/response.npy",
        gaussians=f"{FILLTUNE_FOLDER}/{{ft_model}}/roughness/gaussians.npz",
        minima=f"{FILLTUNE_FOLDER}/{{ft_model}}/roughness/surface_minima.csv",
        proposals=f"{FILLTUNE_FOLDER}/{{ft_model}}/proposals.csv",
        comparison=f"{FILLTUNE_FOLDER}/{{ft_model}}/comparison.csv",
    output:
        response=report(
            f"{FILLTUNE_FOLDER}/{{ft_model}}/figures/response.png",
            caption="../report/filltune_figures.rst",
            category="Fill-tuning",
            subcategory="{ft_model}",
        ),
        contributions=report(
            f"{FILLTUNE_FOLDER}/{{ft_model}}/figures/contributions.png",
            caption="../report/filltune_figures.rst",
            category="Fill-tuning",
            subcategory="{ft_model}",
        ),
        minima=report(
            f"{FILLTUNE_FOLDER}/{{ft_model}}/figures/surface_minima.png",
            caption="../report/filltune_figures.rst",
            category="Fill-tuning",
            subcategory="{ft_model}",
        ),
        grid=report(
            f"{FILLTUNE_FOLDER}/{{ft_model}}/figures/proposals.png",
            caption="../report/filltune_figures.rst",
            category="Fill-tuning",
            subcategory="{ft_model}",
        ),
        changes=report(
            f"{FILLTUNE_FOLDER}/{{ft_model}}/figures/changes.png",
            caption="../report/filltune_figures.rst",
            category="Fill-tuning",
            subcategory="{ft_model}",
        ),
    log:
        f"{LOGS}/filltune/{{ft_model}}/figures.log",
    conda:
        "../../envs/topograph.yaml"
    params:
        cut=FILLTUNE["roughness"]["cut"],
    message:
        "Drawing the fill-tuning figures of {wildcards.ft_model}"
    shell:
        "topograph filltune plots --response {input.response}"
        " --response-plot {output.response}"
        " --gaussians {input.gaussians} --contributions-plot {output.contributions}"
        " --minima {input.minima} --cut {params.cut} --minima-plot {output.minima}"
        " --proposals {input.proposals} --grid-plot {output.grid}"
        " --comparison {input.comparison} --base base --changes-plot {output.changes}"
        " > {log} 2>&1"


for _model in FILLTUNE_MODELS if study_enabled("filltune") else []:
    STUDY_OUTPUTS += [
        f"{FILLTUNE_FOLDER}/{_model}/figures/changes.png",
        f"{FILLTUNE_FOLDER}/{_model}/rogi.csv",
        f"{FILLTUNE_FOLDER}/{_model}/proposals.json",
    ]

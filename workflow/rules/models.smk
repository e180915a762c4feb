# Materials foundation models: tokenizers, pretraining and embeddings.
#
# The default SELFIES-TED checkpoint ships in models/selfies_ted_qm9; with
# models.retrain_default the pretrain_model rule rebuilds it from the
# corpus instead, on CPU or GPU as models.pretrain says. Every entry of
# models.embed embeds one input with one model under {results}/models.
# Settings and input functions are in models_settings.smk.


rule pretrain_model:
    output:
        directory(RETRAINED_SELFIES_TED),
    log:
        f"{LOGS}/models/pretrain_model.log",
    benchmark:
        f"{LOGS}/models/pretrain_model.benchmark.tsv"
    conda:
        "../../envs/topograph.yaml"
    resources:
        gpu=1 if MODELS["pretrain"].get("accelerator") == "gpu" else 0,
    params:
        settings=json.dumps(MODELS["pretrain"], sort_keys=True),
        work=f"{MODELS_FOLDER}/pretrain_work",
        corpus=MODELS["pretrain"].get("corpus", "qm9"),
    message:
        "Pretraining SELFIES-TED on {params.corpus}"
    shell:
        "topograph model pretrain"
        " --settings '{params.settings}'"
        " --work-dir {params.work}"
        " --output {output}"
        " > {log} 2>&1"


rule molecule_set:
    output:
        f"{MODELS_FOLDER}/inputs/{{molecules}}.csv",
    log:
        f"{LOGS}/models/molecules_{{molecules}}.log",
    wildcard_constraints:
        molecules="|".join(MOLECULE_SETS),
    conda:
        "../../envs/topograph.yaml"
    params:
        molecule_count=molecule_set_setting("count", "all"),
        seed=molecule_set_setting("seed", 0),
    message:
        "Writing the molecule set {wildcards.molecules}"
    shell:
        "topograph model molecules {wildcards.molecules}"
        " --count {params.molecule_count}"
        " --seed {params.seed}"
        " --output {output}"
        " > {log} 2>&1"


rule embed_dataset:
    input:
        unpack(embed_job_inputs),
    output:
        embeddings=f"{MODELS_FOLDER}/embeddings/{{job}}.npz",
        invalid=f"{MODELS_FOLDER}/embeddings/{{job}}.invalid.csv",
        summary=report(
            f"{MODELS_FOLDER}/embeddings/{{job}}.json",
            caption="../report/models_embeddings.rst",
            category="Models",
        ),
    log:
        f"{LOGS}/models/embed_{{job}}.log",
    benchmark:
        f"{LOGS}/models/embed_{{job}}.benchmark.tsv"
    conda:
        "../../envs/topograph.yaml"
    params:
        model=lambda wildcards: model_reference(MODELS["embed"][wildcards.job]["model"]),
        smiles_column=embed_setting("smiles_column"),
        id_column=embed_setting("id_column"),
        pooling=embed_setting("pooling"),
    message:
        "Embedding {input.data} with {params.model}"
    shell:
        "topograph model embed"
        " --model {params.model}"
        " --input {input.data}"
        " --output {output.embeddings}"
        " --invalid {output.invalid}"
        " --summary {output.summary}"
        " --smiles-column {params.smiles_column}"
        " --id-column {params.id_column}"
        " --pooling {params.pooling}"
        " > {log} 2>&1"


rule evaluate_default_model:
    input:
        model_inputs("selfies_ted"),
    output:
        report(
            f"{MODELS_FOLDER}/selfies_ted_evaluation.json",
            caption="../report/models_evaluation.rst",
            category="Models",
        ),
    log:
        f"{LOGS}/models/evaluate_default_model.log",
    conda:
        "../../envs/topograph.yaml"
    params:
        model=lambda wildcards, input: input[0],
        heldout=MODELS["evaluate"]["heldout"],
        random_points=MODELS["evaluate"]["random_points"],
        seed=MODELS["evaluate"]["seed"],
    message:
        "Measuring reconstruction and random-latent decoding of {params.model}"
    shell:
        "topograph model evaluate"
        " --model {params.model}"
        " --heldout {params.heldout}"
        " --random-points {params.random_points}"
        " --seed {params.seed}"
        " --output {output}"
        " > {log} 2>&1"


if study_enabled("models"):
    STUDY_OUTPUTS += expand(
        f"{MODELS_FOLDER}/embeddings/{{job}}.json", job=MODELS["embed"]
    )
if study_enabled("models") and MODELS["evaluate"]["enabled"]:
    STUDY_OUTPUTS.append(f"{MODELS_FOLDER}/selfies_ted_evaluation.json")

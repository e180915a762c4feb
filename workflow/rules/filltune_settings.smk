# Settings, landscapes and input functions of fill-tuning; its rules are in
# filltune.smk.

import difflib
import os

from topograph.downstream.datasets import BUILTIN_TASKS
from topograph.models.registry import read_has_decoder

FILLTUNE = config["filltune"]
FILLTUNE_FOLDER = f"{RESULTS}/filltune"
# The Snakefile has already removed the models set to null.
FILLTUNE_MODEL_SETTINGS = FILLTUNE["models"]
FILLTUNE_MODELS = list(FILLTUNE_MODEL_SETTINGS)
TRAINING_SEEDS = FILLTUNE["training"]["seeds"]


def check_csv_task(task):
    """Reject a csv: task whose path= field is missing or names no file."""
    fields = dict(part.partition("=")[::2] for part in task[4:].split(","))
    path = fields.get("path", "").strip()
    if not path:
        raise ValueError(
            f"filltune task {task!r} has no path= field; write it as "
            "csv:path=FILE,smiles=COLUMN,label=COLUMN,type=regression|classification"
        )
    if not os.path.isfile(path):
        raise ValueError(
            f"filltune task {task!r}: file {path!r} not found (relative paths start "
            "in the directory snakemake runs in); give the path of an existing CSV"
        )


def check_filltune_settings():
    """Reject settings the schema cannot express, before any job runs."""
    tasks = FILLTUNE["tasks"] + [FILLTUNE["finetune"]["task"]]
    for task in tasks:
        if task.startswith("csv:"):
            check_csv_task(task)
            continue
        if task not in BUILTIN_TASKS:
            close = difflib.get_close_matches(task, BUILTIN_TASKS, n=1)
            hint = f"did you mean {close[0]!r}? " if close else ""
            raise ValueError(
                f"filltune names the unknown downstream task {task!r}; {hint}"
                f"valid tasks: {', '.join(BUILTIN_TASKS)}, or csv:path=FILE,..."
            )
    low, high = FILLTUNE["sampling"]["box"]
    if not low < high:
        raise ValueError(
            f"filltune.sampling.box [{low}, {high}] is empty; give [low, high] with low < high"
        )
    for name, settings in FILLTUNE_MODEL_SETTINGS.items():
        if name == "chgnet":
            raise ValueError(
                "filltune.models.chgnet: CHGNet embeds crystal structures, not the "
                "SMILES of the fill-tuning pool and tasks; fill-tune selfies_ted, "
                "rxnfp_bert or a molecular checkpoint instead"
            )
        count = settings["pool"]["count"]
        if count != "all" and not (isinstance(count, int) and count >= 1):
            raise ValueError(
                f"filltune.models.{name}.pool.count is {count!r}; give a positive "
                "number of molecules or all"
            )
        # The thin-plate surface with its linear tail needs d + 1 points.
        points, where = (
            (settings["samples"], "samples")
            if is_decoder_model(name)
            else (settings["pool"]["count"], "pool.count")
        )
        needed = settings["latent_dim"] + 1
        if isinstance(points, int) and points < needed:
            raise ValueError(
                f"filltune.models.{name}.{where} is {points}, but the response surface "
                f"in {settings['latent_dim']} dimensions needs at least {needed} points; "
                f"set {where} to {needed} or more"
            )
        size = model_latent_dim(name)
        if size is not None and settings["latent_dim"] != size:
            raise ValueError(
                f"filltune.models.{name}.latent_dim is {settings['latent_dim']}, but model "
                f"{name} ({model_reference(name)}) has {size} latent dimensions; "
                f"set latent_dim: {size}"
            )


def filltune_model(wildcards):
    return FILLTUNE_MODEL_SETTINGS[wildcards.ft_model]


def filltune_reference(wildcards):
    """Return the --model argument of the base model of a fill-tuning run."""
    return model_reference(wildcards.ft_model)


def filltune_folder(wildcards):
    return f"{FILLTUNE_FOLDER}/{wildcards.ft_model}"


def is_decoder_model(name):
    """Return whether a configured model decodes latent points; the others retrieve pool molecules.

    Read from the checkpoint's JSON files, so a SELFIES-TED checkpoint under
    models.checkpoints decodes as the default one does. A folder that does
    not exist yet counts as a decoder only for the retrained default.
    """
    if name == "selfies_ted":
        return True
    return bool(read_has_decoder(model_reference(name)))


check_filltune_settings()


def response_inputs(wildcards):
    folder = filltune_folder(wildcards)
    inputs = {"model": model_inputs(wildcards.ft_model)}
    if is_decoder_model(wildcards.ft_model):
        inputs["samples"] = f"{folder}/samples.npz"
    else:
        inputs["pool"] = f"{folder}/pool.csv"
    return inputs


def variant_checkpoints(wildcards):
    """Return every trained model of one fill-tuning run, by evaluation name."""
    folder = filltune_folder(wildcards)
    checkpoints = {}
    for seed in TRAINING_SEEDS:
        for variant in ("filltuned", "random", "finetuned"):
            checkpoints[f"{variant}_s{seed}"] = (
                f"{folder}/checkpoints/{variant}_s{seed}"
            )
    return checkpoints


def evaluation_models(wildcards, input):
    """Return the repeated --model arguments: the base and every trained variant."""
    arguments = [f"base={filltune_reference(wildcards)}"]
    arguments += [
        f"{name}={path}" for name, path in variant_checkpoints(wildcards).items()
    ]
    return " ".join(f"--model {argument}" for argument in arguments)


def task_arguments(tasks):
    return " ".join(f"--task {task}" for task in tasks)


for _model in FILLTUNE_MODELS:
    _settings = FILLTUNE["landscape"]
    register_landscape(
        f"filltune_{_model}",
        {
            "potential": {
                "potential": "rbf_interpolant",
                "parameters": {
                    "data": f"{FILLTUNE_FOLDER}/{_model}/response.npy",
                    "smoothing": _settings["smoothing"],
                    "scale": True,
                    "bounds": "data",
                },
                "backend": _settings["backend"],
            },
            "explore": {
                "starts": "data",
                "steps": _settings["steps"],
                "temperature": _settings["temperature"],
                "step_size": _settings["step_size"],
                "shards": _settings["shards"],
                "seed": FILLTUNE["seed"],
            },
            "connect": {
                "neighbours": _settings["neighbours"],
                "max_attempts": _settings["max_attempts"],
                "rounds": 1,
            },
            "analysis": {"length_scale": _settings["length_scale"]},
        },
        "filltune",
    )


def propose_inputs(wildcards):
    folder = filltune_folder(wildcards)
    inputs = {
        "minima": f"{folder}/roughness/surface_minima.csv",
        "model": model_inputs(wildcards.ft_model),
    }
    corpus = FILLTUNE_MODEL_SETTINGS[wildcards.ft_model].get("corpus")
    if corpus:
        inputs["corpus"] = f"{FILLTUNE_FOLDER}/corpus_{corpus}.csv"
    if not is_decoder_model(wildcards.ft_model):
        inputs["pool"] = f"{folder}/pool.csv"
    return inputs


def continue_input(wildcards):
    folder = filltune_folder(wildcards)
    if wildcards.variant == "filltuned":
        return f"{folder}/proposals.csv"
    return f"{folder}/random_s{wildcards.seed}.csv"

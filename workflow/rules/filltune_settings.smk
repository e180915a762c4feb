# Settings, landscapes and input functions of fill-tuning; its rules are in
# filltune.smk.

import difflib

from topograph.downstream.datasets import BUILTIN_TASKS

FILLTUNE = config["filltune"]
FILLTUNE_FOLDER = f"{RESULTS}/filltune"
FILLTUNE_MODELS = list(FILLTUNE["models"])
# Models that decode latent points; the others retrieve pool molecules.
DECODER_MODELS = ("selfies_ted",)
TRAINING_SEEDS = FILLTUNE["training"]["seeds"]


def check_filltune_settings():
    """Reject settings the schema cannot express, before any job runs."""
    tasks = FILLTUNE["tasks"] + [FILLTUNE["finetune"]["task"]]
    for task in tasks:
        if task.startswith("csv:"):
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
    for name, settings in FILLTUNE["models"].items():
        size = model_latent_dim(name)
        if size is not None and settings["latent_dim"] != size:
            raise ValueError(
                f"filltune.models.{name}.latent_dim is {settings['latent_dim']}, but model "
                f"{name} ({model_reference(name)}) has {size} latent dimensions; "
                f"set latent_dim: {size}"
            )


check_filltune_settings()


def filltune_model(wildcards):
    return FILLTUNE["models"][wildcards.ft_model]


def filltune_reference(wildcards):
    """Return the --model argument of the base model of a fill-tuning run."""
    return model_reference(wildcards.ft_model)


def filltune_folder(wildcards):
    return f"{FILLTUNE_FOLDER}/{wildcards.ft_model}"


def is_decoder_model(name):
    return name in DECODER_MODELS


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
    corpus = FILLTUNE["models"][wildcards.ft_model].get("corpus")
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

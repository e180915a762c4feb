# Settings and input functions of the materials models; their rules are in
# models.smk.

import json

from topograph.models.registry import read_latent_dim

MODELS = config["models"]
MODELS_FOLDER = f"{RESULTS}/models"
SHIPPED_SELFIES_TED = "models/selfies_ted_qm9"
RETRAINED_SELFIES_TED = f"{MODELS_FOLDER}/selfies_ted_pretrained"
MOLECULE_SETS = ("qm9", "moses", "freesolv")


def model_reference(name):
    """Return the --model argument for a configured model name."""
    if name == "selfies_ted":
        return (
            RETRAINED_SELFIES_TED if MODELS["retrain_default"] else SHIPPED_SELFIES_TED
        )
    if name in ("rxnfp_bert", "chgnet"):
        return name
    if name in MODELS["checkpoints"]:
        return MODELS["checkpoints"][name]
    raise ValueError(
        f"model {name!r} is neither selfies_ted, rxnfp_bert, chgnet nor an entry of "
        f"models.checkpoints; configured checkpoints: {', '.join(MODELS['checkpoints']) or 'none'}"
    )


def model_latent_dim(name):
    """Return the latent size of a configured model, read from its JSON files only.

    The retrained default SELFIES-TED takes the size from models.pretrain,
    because its checkpoint may be missing or older than the settings. None
    where nothing gives the size: chgnet, a checkpoint folder that does not
    exist, or a retraining without pretrain.latent_dim.
    """
    if name == "selfies_ted" and MODELS["retrain_default"]:
        return MODELS["pretrain"].get("latent_dim")
    return read_latent_dim(model_reference(name))


def model_inputs(name):
    """Return the checkpoint directory a job using a model depends on.

    Models that ship inside packages (rxnfp_bert, chgnet) have none; a
    configured checkpoint folder is an input, so a missing one stops the
    workflow before any job.
    """
    if name == "selfies_ted" or name in MODELS["checkpoints"]:
        return [model_reference(name)]
    return []


def molecule_set_setting(key, default):
    """Return a params function: one setting of a packaged molecule set."""

    def setting(wildcards):
        value = MODELS["molecule_sets"].get(wildcards.molecules, {}).get(key)
        return default if value is None else value

    return setting


def embed_setting(key):
    def setting(wildcards):
        return MODELS["embed"][wildcards.job][key]

    return setting


def embed_input(wildcards):
    """Return the input file of an embedding job: a packaged molecule set or a path."""
    source = MODELS["embed"][wildcards.job]["input"]
    if source in MOLECULE_SETS:
        return f"{MODELS_FOLDER}/inputs/{source}.csv"
    return source


def embed_job_inputs(wildcards):
    return {
        "data": embed_input(wildcards),
        "model": model_inputs(MODELS["embed"][wildcards.job]["model"]),
    }

"""Loading models by name or from a checkpoint directory."""

from __future__ import annotations

from pathlib import Path

from topograph.models.base import MolecularModel
from topograph.models.checkpoint_files import MODEL_INFO_FILE, PROJECTOR_FILE, read_json

MODEL_NAMES = ("selfies_ted", "rxnfp_bert", "chgnet")
# The shipped default SELFIES-TED checkpoint, pretrained on QM9 (see models/README.md).
DEFAULT_SELFIES_TED = Path(__file__).resolve().parents[3] / "models" / "selfies_ted_qm9"
# Hidden size of the rxnfp masked-language BERT, whose [CLS] state is its embedding.
RXNFP_BERT_LATENT_DIM = 256


def check_device(device: str) -> None:
    """Raise ``ValueError`` unless ``device`` is a torch device this machine has."""
    import torch

    try:
        parsed = torch.device(device)
    except RuntimeError:
        raise ValueError(
            f"invalid torch device {device!r}; use cpu, cuda or cuda:N"
        ) from None
    if parsed.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(
            f"device {device!r} requested, but this torch build or machine has no CUDA; "
            "use --device cpu"
        )


def load_model(name_or_directory: str, device: str = "cpu") -> MolecularModel:
    """Load a model by name or from a saved checkpoint directory.

    Parameters
    ----------
    name_or_directory
        ``selfies_ted`` (the shipped default checkpoint), ``rxnfp_bert`` (the
        weights inside ``rxnfp``), ``chgnet`` (the weights inside ``chgnet``),
        or a directory written by a model's ``save``, or a SELFIES-TED
        checkpoint in Hugging Face layout without projector weights.
    device
        Torch device, e.g. ``cpu`` or ``cuda``.
    """
    from topograph.models.chgnet_model import load_chgnet
    from topograph.models.rxnfp_bert import load_rxnfp_bert
    from topograph.models.selfies_ted import load_selfies_ted

    check_device(device)
    name_or_directory = str(name_or_directory)
    if name_or_directory == "selfies_ted":
        if not DEFAULT_SELFIES_TED.is_dir():
            raise ValueError(
                f"the default SELFIES-TED checkpoint {DEFAULT_SELFIES_TED} is missing; "
                f"restore models/ from the repository or retrain it with `topograph model pretrain`"
            )
        return load_selfies_ted(DEFAULT_SELFIES_TED, device)
    if name_or_directory == "rxnfp_bert":
        return load_rxnfp_bert(None, device)
    if name_or_directory == "chgnet":
        return load_chgnet(None, device)

    directory = Path(name_or_directory)
    if not directory.is_dir():
        raise ValueError(
            f"{name_or_directory!r} is neither a model name ({', '.join(MODEL_NAMES)}) nor a checkpoint directory"
        )
    if (directory / MODEL_INFO_FILE).is_file():
        model_name = read_json(directory, MODEL_INFO_FILE).get("model")
    elif (directory / "config.json").is_file() and read_json(directory, "config.json").get("model_type") == "bart":
        # A SELFIES-TED checkpoint saved by Hugging Face transformers alone.
        model_name = "selfies_ted"
    else:
        raise ValueError(f"{directory} contains neither {MODEL_INFO_FILE} nor a BART config.json; it is not a model checkpoint")
    loaders = {"selfies_ted": load_selfies_ted, "rxnfp_bert": load_rxnfp_bert, "chgnet": load_chgnet}
    if model_name not in loaders:
        raise ValueError(f"{directory / MODEL_INFO_FILE} names model {model_name!r}; expected one of {', '.join(MODEL_NAMES)}")
    return loaders[model_name](directory, device)


def read_latent_dim(name_or_directory: str | Path) -> int | None:
    """Read the width of a model's embeddings from its JSON files, without loading weights.

    Parameters
    ----------
    name_or_directory
        A model name or checkpoint directory, as :func:`load_model` takes it.

    Returns
    -------
    int or None
        The latent size of a SELFIES-TED checkpoint with projector, the
        encoder width (``d_model``) of one without, or the hidden size of an
        rxnfp BERT. None where the JSON files do not give it: for ``chgnet``,
        a directory that does not exist, or one that is not a model checkpoint.

    Raises
    ------
    ValueError
        If a JSON file of the checkpoint is corrupted.
    """
    name_or_directory = str(name_or_directory)
    if name_or_directory == "rxnfp_bert":
        return RXNFP_BERT_LATENT_DIM
    if name_or_directory == "chgnet":
        return None
    directory = DEFAULT_SELFIES_TED if name_or_directory == "selfies_ted" else Path(name_or_directory)
    if not directory.is_dir():
        return None
    if (directory / MODEL_INFO_FILE).is_file():
        info = read_json(directory, MODEL_INFO_FILE)
        model_name = info.get("model")
        if model_name == "selfies_ted" and (directory / PROJECTOR_FILE).is_file():
            size = (info.get("projector") or {}).get("latent_dim")
        elif model_name == "selfies_ted" and (directory / "config.json").is_file():
            # Without its projector the model embeds by the mean encoder state.
            size = read_json(directory, "config.json").get("d_model")
        elif model_name == "rxnfp_bert" and (directory / "config.json").is_file():
            size = read_json(directory, "config.json").get("hidden_size")
        else:
            size = None
    elif (directory / "config.json").is_file():
        config = read_json(directory, "config.json")
        # A SELFIES-TED checkpoint without projector embeds by the mean encoder state.
        size = config.get("d_model") if config.get("model_type") == "bart" else None
    else:
        size = None
    return None if size is None else int(size)


def read_has_decoder(name_or_directory: str | Path) -> bool | None:
    """Read from a model's JSON files whether it decodes latent vectors, without loading weights.

    Only a SELFIES-TED checkpoint with its latent projector decodes. A
    plain BART folder embeds by the mean encoder state and has no latent to
    decode from. Returns None for a directory that does not exist or is not
    a model checkpoint.
    """
    name_or_directory = str(name_or_directory)
    if name_or_directory == "selfies_ted":
        return True
    if name_or_directory in ("rxnfp_bert", "chgnet"):
        return False
    directory = Path(name_or_directory)
    if not directory.is_dir():
        return None
    if (directory / MODEL_INFO_FILE).is_file():
        model_name = read_json(directory, MODEL_INFO_FILE).get("model")
        return model_name == "selfies_ted" and (directory / PROJECTOR_FILE).is_file()
    if (directory / "config.json").is_file():
        return False
    return None

"""The masked-language SMILES BERT whose weights ship in ``rxnfp``.

``rxnfp`` 0.1.0 ships the masked-language model in
``rxnfp/models/transformers/bert_pretrained`` (12 layers, hidden size 256,
4 heads, a SMILES vocabulary of 591 tokens). Its weights are a
``pytorch_model.bin``, which is read once with ``torch.load(weights_only=True)``
(tensors only, no arbitrary objects). Checkpoints written by this module use
``model.safetensors`` and are loaded without unpickling.

Embedding: the last hidden state of the ``[CLS]`` token (256-d), the pooling
rxnfp itself uses for its reaction fingerprints. ``pooling="mean"`` averages
the last hidden state over the molecule's tokens instead, padding excluded.
The model has no decoder.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch
from safetensors import SafetensorError
from transformers import BertConfig, BertForMaskedLM

from topograph.models.base import MolecularModel, tokenize_checked
from topograph.models.checkpoint_files import MODEL_INFO_FILE, read_json, write_json
from topograph.models.corpus import package_folder
from topograph.models.selfies_ted_training import pad_batch
from topograph.models.smiles_tokenizer import SmilesTokenizer

logger = logging.getLogger(__name__)

BATCH_SIZE = 64
POOLINGS = ("cls", "mean")
# Weights of the BERT that ignore the masked-language objective; rxnfp's file keeps them.
UNUSED_PACKAGE_KEYS = {"cls.seq_relationship.weight", "cls.seq_relationship.bias", "bert.pooler.dense.weight", "bert.pooler.dense.bias"}


def rxnfp_package_directory() -> Path:
    """Return the folder of the masked-language BERT inside the installed ``rxnfp``."""
    return package_folder("rxnfp") / "models" / "transformers" / "bert_pretrained"


class RxnfpBertModel(MolecularModel):
    """SMILES BERT embeddings (256-d) and masked-language continued pretraining.

    Parameters
    ----------
    network
        The ``BertForMaskedLM``.
    tokenizer
        The regular-expression SMILES tokenizer over the model's ``vocab.txt``.
    device
        Torch device.
    pooling
        ``cls`` (default) or ``mean``.
    """

    name = "rxnfp_bert"
    has_decoder = False

    def __init__(self, network: BertForMaskedLM, tokenizer: SmilesTokenizer, device: str = "cpu", pooling: str = "cls"):
        if pooling not in POOLINGS:
            raise ValueError(f"unknown pooling {pooling!r}; choose one of {', '.join(POOLINGS)}")
        self.network = network.to(device).eval()
        self.tokenizer = tokenizer
        self.device = device
        self.pooling = pooling
        self.latent_dim = network.config.hidden_size
        self.max_length = network.config.max_position_embeddings

    def _tokenize(self, smiles: Sequence[str]) -> tuple[list[list[int]], list[int], list[tuple[int, str]]]:
        return tokenize_checked(self.tokenizer, smiles, self.max_length)

    @torch.no_grad()
    def encode_checked(self, smiles: Sequence[str]) -> tuple[np.ndarray, list[int], list[tuple[int, str]]]:
        """Return embeddings of the valid molecules, their indices and the invalid ones with reasons."""
        sequences, valid, invalid = self._tokenize(smiles)
        outputs = [np.zeros((0, self.latent_dim), dtype=np.float32)]
        for start in range(0, len(sequences), BATCH_SIZE):
            ids, mask = pad_batch(sequences[start : start + BATCH_SIZE], self.tokenizer.pad_id)
            ids, mask = ids.to(self.device), mask.to(self.device)
            hidden = self.network.bert(input_ids=ids, attention_mask=mask).last_hidden_state
            if self.pooling == "cls":
                values = hidden[:, 0]
            else:
                values = (hidden * mask.unsqueeze(-1)).sum(1) / mask.sum(1, keepdim=True)
            outputs.append(values.float().cpu().numpy())
        return np.concatenate(outputs).astype(np.float32), valid, invalid

    def continue_pretraining(
        self,
        smiles: Sequence[str],
        output_directory: str,
        *,
        epochs: int = 1,
        batch_size: int = 256,
        learning_rate: float = 5e-5,
        seed: int = 0,
        accelerator: str = "auto",
        max_steps: int | None = None,
        precision: str = "32-true",
    ) -> RxnfpBertModel:
        """Continue masked-language training on ``smiles``, save and reload the model.

        Invalid molecules are skipped with a warning that counts them.
        """
        from topograph.models.bert_mlm_training import train_masked_language_model

        sequences, _, invalid = self._tokenize(smiles)
        if not sequences:
            raise ValueError(f"none of the {len(smiles)} molecules can be tokenised; the first reason: {invalid[0][1] if invalid else 'empty input'}")
        network = train_masked_language_model(
            self.network, self.tokenizer, sequences, epochs=epochs, batch_size=batch_size,
            learning_rate=learning_rate, seed=seed, accelerator=accelerator, max_steps=max_steps,
            precision=precision, work_directory=Path(output_directory) / "training",
        )
        RxnfpBertModel(network.cpu(), self.tokenizer, "cpu", self.pooling).save(output_directory)
        return load_rxnfp_bert(output_directory, self.device, self.pooling)

    def save(self, directory: str | Path) -> None:
        """Write ``config.json``, ``model.safetensors``, ``vocab.txt`` and ``topograph_model.json``."""
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        self.network.save_pretrained(directory, safe_serialization=True)
        self.tokenizer.save(directory)
        write_json(directory, MODEL_INFO_FILE, {"model": self.name, "pooling": self.pooling})


def _load_package_weights(directory: Path) -> BertForMaskedLM:
    config = BertConfig(**read_json(directory, "config.json"))
    network = BertForMaskedLM(config)
    state = torch.load(directory / "pytorch_model.bin", map_location="cpu", weights_only=True)
    state = {key: value for key, value in state.items() if key not in UNUSED_PACKAGE_KEYS}
    missing, unexpected = network.load_state_dict(state, strict=False)
    # The output layer shares its weight with the input embedding and its bias
    # with cls.predictions.bias, so the file need not store them.
    missing = [key for key in missing if key not in ("cls.predictions.decoder.weight", "cls.predictions.decoder.bias")]
    if missing or unexpected:
        raise ValueError(f"rxnfp weights in {directory} do not fit BertForMaskedLM: missing {missing}, unexpected {unexpected}")
    return network


def load_rxnfp_bert(directory: str | Path | None = None, device: str = "cpu", pooling: str | None = None) -> RxnfpBertModel:
    """Load the rxnfp BERT from the installed package (``directory=None``) or a saved checkpoint."""
    if directory is None:
        directory = rxnfp_package_directory()
        if not directory.is_dir():
            raise ValueError(f"rxnfp model folder {directory} not found; install rxnfp with `pip install --no-deps rxnfp`")
        return RxnfpBertModel(_load_package_weights(directory), SmilesTokenizer.load(directory), device, pooling or "cls")

    directory = Path(directory)
    info = read_json(directory, MODEL_INFO_FILE)
    if info.get("model") != "rxnfp_bert":
        raise ValueError(f"{directory / MODEL_INFO_FILE} describes model {info.get('model')!r}, not rxnfp_bert")
    if not (directory / "model.safetensors").is_file():
        raise ValueError(f"missing checkpoint file {directory / 'model.safetensors'}; save the model again")
    try:
        network = BertForMaskedLM.from_pretrained(directory, local_files_only=True, use_safetensors=True, dtype=torch.float32)
    except (OSError, SafetensorError, RuntimeError) as error:
        raise ValueError(f"corrupted BERT weights in {directory}: {error}") from None
    return RxnfpBertModel(network, SmilesTokenizer.load(directory), device, pooling or info.get("pooling", "cls"))

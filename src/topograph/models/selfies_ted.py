"""SELFIES-TED behind the :class:`MolecularModel` interface.

A checkpoint directory holds, all readable without unpickling:

- ``config.json`` and ``model.safetensors``: the BART in Hugging Face layout;
- ``projector.safetensors``: the projector to the latent and its inverse;
- ``vocab.json``: the SELFIES vocabulary (token to id);
- ``topograph_model.json``: the projector shape and how the model was trained.

A SELFIES-TED checkpoint trained elsewhere (``config.json``,
``model.safetensors`` and a ``vocab.json`` with BART's special tokens, but
no projector) also loads. Without projector weights it has no latent, so it
embeds by the mean encoder state (d_model wide) and has no decoder until
:meth:`SelfiesTedModel.continue_pretraining` has trained a projector, which
starts from a seeded random initialisation.

Embeddings: :meth:`SelfiesTedModel.encode` returns the bounded latent
(tanh, in (-1, 1)^latent_dim); :meth:`SelfiesTedModel.encode_mean_checked`
returns the encoder state averaged over the molecule's tokens, padding
excluded (d_model wide).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch
from safetensors import SafetensorError
from safetensors.torch import save_file
from transformers import BartForConditionalGeneration

from topograph.models.base import MolecularModel, tokenize_checked
from topograph.models.checkpoint_files import (
    MODEL_INFO_FILE,
    PROJECTOR_FILE,
    read_json,
    read_safetensors,
    required_file,
    write_json,
)
from topograph.models.selfies_ted_network import ProjectorConfig, SelfiesTedNetwork
from topograph.models.selfies_ted_training import pad_batch
from topograph.models.selfies_tokenizer import SelfiesTokenizer

logger = logging.getLogger(__name__)

BATCH_SIZE = 256


class SelfiesTedModel(MolecularModel):
    """SELFIES-TED encoder-decoder with a latent in (-1, 1)^latent_dim.

    Parameters
    ----------
    network
        The BART with its projector.
    tokenizer
        The SELFIES tokenizer whose vocabulary the network was trained on.
    device
        Torch device for encoding and decoding.
    training_info
        How the model was trained (corpus, split seed, steps), kept in the checkpoint.
    projector_trained
        False for a checkpoint without projector weights: embeddings are then
        the mean encoder state and there is no decoder.
    """

    name = "selfies_ted"
    has_decoder = True
    latent_bounds = (-1.0, 1.0)

    def __init__(
        self,
        network: SelfiesTedNetwork,
        tokenizer: SelfiesTokenizer,
        device: str = "cpu",
        training_info: dict | None = None,
        projector_trained: bool = True,
    ):
        if len(tokenizer) != network.bart.config.vocab_size:
            raise ValueError(
                f"the vocabulary has {len(tokenizer)} tokens but the network expects "
                f"{network.bart.config.vocab_size}; use the vocab.json saved with these weights"
            )
        self.network = network.to(device).eval()
        self.tokenizer = tokenizer
        self.device = device
        self.training_info = dict(training_info or {})
        self.projector_trained = projector_trained
        if projector_trained:
            self.latent_dim = network.projector_config.latent_dim
        else:
            self.has_decoder = False
            self.latent_dim = network.bart.config.d_model
            self.latent_bounds = (-np.inf, np.inf)

    def _tokenize(self, smiles: Sequence[str]) -> tuple[list[list[int]], list[int], list[tuple[int, str]]]:
        sequences, valid, invalid = tokenize_checked(self.tokenizer, smiles, self.network.max_length)
        if not self.tokenizer.isomeric:
            stereo = sum(1 for index in valid if any(mark in smiles[index] for mark in ("@", "/", "\\")))
            if stereo:
                logger.warning("%d molecules were encoded without their stereochemistry, which the vocabulary cannot represent", stereo)
        return sequences, valid, invalid

    @torch.no_grad()
    def _embed(self, sequences: list[list[int]], pooling: str) -> np.ndarray:
        width = self.latent_dim if pooling == "latent" else self.network.bart.config.d_model
        outputs = [np.zeros((0, width), dtype=np.float32)]
        for start in range(0, len(sequences), BATCH_SIZE):
            ids, mask = pad_batch(sequences[start : start + BATCH_SIZE], self.tokenizer.pad_id)
            ids, mask = ids.to(self.device), mask.to(self.device)
            hidden = self.network.encoder_states(ids, mask)
            if pooling == "latent":
                values = self.network.latent(hidden, mask)
            else:
                values = hidden.sum(1) / mask.sum(1, keepdim=True).to(hidden.dtype)
            outputs.append(values.float().cpu().numpy())
        return np.concatenate(outputs).astype(np.float32)

    def encode_checked(self, smiles: Sequence[str]) -> tuple[np.ndarray, list[int], list[tuple[int, str]]]:
        """Return latents of the valid molecules, their indices and the invalid ones with reasons."""
        sequences, valid, invalid = self._tokenize(smiles)
        return self._embed(sequences, "latent" if self.projector_trained else "mean"), valid, invalid

    def encode_mean_checked(self, smiles: Sequence[str]) -> tuple[np.ndarray, list[int], list[tuple[int, str]]]:
        """Like :meth:`encode_checked`, but the mean encoder state over real tokens (d_model wide)."""
        sequences, valid, invalid = self._tokenize(smiles)
        return self._embed(sequences, "mean"), valid, invalid

    @torch.no_grad()
    def decode(self, latents: np.ndarray) -> list[str | None]:
        """Decode latents greedily to canonical SMILES; ``None`` where no valid molecule results."""
        if not self.projector_trained:
            raise NotImplementedError(
                "this SELFIES-TED checkpoint has no projector weights, so it has no latent to decode from; "
                "run continue_pretraining (topograph model continue) to train a projector first"
            )
        latents = np.asarray(latents, dtype=np.float32)
        if latents.ndim != 2 or latents.shape[1] != self.latent_dim:
            raise ValueError(f"latents must have shape (n, {self.latent_dim}); got {latents.shape}")
        if not np.all(np.isfinite(latents)):
            raise ValueError("latents contain NaN or infinite values; pass finite points of the latent box")
        smiles: list[str | None] = []
        for start in range(0, len(latents), BATCH_SIZE):
            batch = torch.from_numpy(latents[start : start + BATCH_SIZE]).to(self.device)
            tokens = self.network.greedy_decode(batch).cpu().numpy()
            smiles.extend(self.tokenizer.decode(row) for row in tokens)
        return smiles

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
    ) -> SelfiesTedModel:
        """Continue masked reconstruction on ``smiles`` (AdamW, linear decay), save and reload.

        Invalid molecules are skipped with a warning that counts them; if none is valid,
        ``ValueError`` is raised.
        """
        from topograph.models.selfies_ted_pretrain import continue_selfies_ted

        sequences, _, invalid = self._tokenize(smiles)
        if not sequences:
            raise ValueError(f"none of the {len(smiles)} molecules can be tokenised; the first reason: {invalid[0][1] if invalid else 'empty input'}")
        network = continue_selfies_ted(
            self.network, self.tokenizer, sequences, epochs=epochs, batch_size=batch_size,
            learning_rate=learning_rate, seed=seed, accelerator=accelerator, max_steps=max_steps,
            precision=precision, work_directory=Path(output_directory) / "training",
        )
        info = dict(self.training_info)
        info["continued_pretraining"] = info.get("continued_pretraining", []) + [
            {"molecules": len(sequences), "skipped": len(invalid), "epochs": epochs, "batch_size": batch_size,
             "learning_rate": learning_rate, "seed": seed, "max_steps": max_steps}
        ]  # fmt: skip
        SelfiesTedModel(network.cpu(), self.tokenizer, "cpu", info, projector_trained=True).save(output_directory)
        return load_selfies_ted(output_directory, self.device)

    def save(self, directory: str | Path) -> None:
        """Write the checkpoint files into ``directory``."""
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        self.network.bart.save_pretrained(directory, safe_serialization=True)
        projector = {key: value.detach().cpu().contiguous() for key, value in self.network.projector_state_dict().items()}
        save_file(projector, str(directory / PROJECTOR_FILE))
        self.tokenizer.save(directory)
        write_json(
            directory,
            MODEL_INFO_FILE,
            {"model": self.name, "projector": self.network.projector_config.to_dict(), "training": self.training_info},
        )


def load_selfies_ted(directory: str | Path, device: str = "cpu") -> SelfiesTedModel:
    """Load a SELFIES-TED checkpoint directory (safetensors and JSON only)."""
    directory = Path(directory)
    if not directory.is_dir():
        raise ValueError(f"SELFIES-TED checkpoint directory {directory} not found")
    bart_config_values = read_json(directory, "config.json")
    has_projector = (directory / MODEL_INFO_FILE).is_file()
    if has_projector:
        info = read_json(directory, MODEL_INFO_FILE)
        if info.get("model") != "selfies_ted":
            raise ValueError(f"{directory / MODEL_INFO_FILE} describes model {info.get('model')!r}, not selfies_ted")
        projector_state = read_safetensors(directory, PROJECTOR_FILE)
    else:
        if bart_config_values.get("model_type") != "bart":
            raise ValueError(f"{directory} has neither {MODEL_INFO_FILE} nor a BART config.json; it is not a SELFIES-TED checkpoint")
        # A projector for later training: the latent_positions must fit the model's positions.
        positions = min(ProjectorConfig().latent_positions, bart_config_values.get("max_position_embeddings", 128))
        info = {"model": "selfies_ted", "projector": {"latent_positions": positions}}
        logger.warning("%s has no projector weights; it embeds by the mean encoder state and has no decoder", directory)
    required_file(directory, "model.safetensors")
    tokenizer = SelfiesTokenizer.load(directory)

    try:
        bart = BartForConditionalGeneration.from_pretrained(
            directory, local_files_only=True, use_safetensors=True, dtype=torch.float32
        )
    except (OSError, SafetensorError, RuntimeError) as error:
        raise ValueError(f"corrupted BART weights in {directory}: {error}") from None
    with torch.random.fork_rng(devices=[]):
        # The projector of a checkpoint without one starts from the same weights on every load.
        torch.manual_seed(0)
        network = SelfiesTedNetwork(bart.config, ProjectorConfig.from_dict(info.get("projector", {})))
    network.bart = bart
    if has_projector:
        try:
            missing, unexpected = network.load_state_dict(projector_state, strict=False)
        except RuntimeError as error:
            raise ValueError(f"projector weights in {directory / PROJECTOR_FILE} do not match {MODEL_INFO_FILE}: {error}") from None
        missing = [key for key in missing if not key.startswith("bart.")]
        if missing or unexpected:
            raise ValueError(
                f"projector weights in {directory / PROJECTOR_FILE} do not match the projector shape in "
                f"{MODEL_INFO_FILE}: missing {missing}, unexpected {unexpected}"
            )
    return SelfiesTedModel(network, tokenizer, device, info.get("training"), projector_trained=has_projector)

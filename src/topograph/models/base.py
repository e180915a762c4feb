"""The interface shared by every molecular and materials model."""

from __future__ import annotations

import abc
import logging
from collections.abc import Sequence

import numpy as np

logger = logging.getLogger(__name__)


def tokenize_checked(tokenizer, smiles: Sequence[str], max_length: int) -> tuple[list[list[int]], list[int], list[tuple[int, str]]]:
    """Tokenise molecules with a tokenizer's ``encode_checked``, skipping the invalid ones.

    Returns
    -------
    sequences, valid_indices, invalid
        Token ids of the valid molecules, their indices in ``smiles``, and
        ``(index, reason)`` for every molecule that could not be tokenised.
    """
    sequences, valid, invalid = [], [], []
    for index, item in enumerate(smiles):
        ids, reason = tokenizer.encode_checked(item, max_length)
        if ids is None:
            invalid.append((index, reason))
        else:
            sequences.append(ids)
            valid.append(index)
    if invalid:
        logger.warning("%d of %d molecules cannot be embedded; the first: %s", len(invalid), len(smiles), invalid[0][1])
    return sequences, valid, invalid


class MolecularModel(abc.ABC):
    """A pretrained model that embeds inputs and, if it has a decoder, decodes latents.

    Attributes
    ----------
    name
        Model family: ``selfies_ted``, ``rxnfp_bert`` or ``chgnet``.
    has_decoder
        Whether :meth:`decode` maps latent points back to molecules.
    latent_dim
        Width of the embeddings returned by :meth:`encode`.
    latent_bounds
        Range of every latent coordinate, ``(-inf, inf)`` when unbounded.
    """

    name: str
    has_decoder: bool = False
    latent_dim: int
    latent_bounds: tuple[float, float] = (-np.inf, np.inf)

    @abc.abstractmethod
    def encode_checked(self, inputs: Sequence) -> tuple[np.ndarray, list[int], list[tuple[int, str]]]:
        """Embed the valid inputs.

        Returns
        -------
        embeddings, valid_indices, invalid
            Embeddings (n_valid, latent_dim) float32 of the valid inputs,
            their indices in ``inputs``, and ``(index, reason)`` for every
            input that could not be embedded.
        """

    def encode(self, inputs: Sequence) -> np.ndarray:
        """Embed every input; raise ``ValueError`` listing the invalid ones."""
        embeddings, _, invalid = self.encode_checked(inputs)
        if invalid:
            shown = "; ".join(f"input {index}: {reason}" for index, reason in invalid[:5])
            more = f" (and {len(invalid) - 5} more)" if len(invalid) > 5 else ""
            raise ValueError(
                f"{len(invalid)} of {len(inputs)} inputs cannot be embedded by {self.name}: "
                f"{shown}{more}; use encode_checked to skip them"
            )
        return embeddings

    def decode(self, latents: np.ndarray) -> list[str | None]:
        """Decode latent points to canonical SMILES, ``None`` where no valid molecule results."""
        raise NotImplementedError(
            f"model {self.name} has no decoder, so latent points cannot be turned into molecules; "
            f"propose molecules by retrieving the pool molecules nearest to the latent points instead"
        )

    @abc.abstractmethod
    def continue_pretraining(
        self,
        smiles: Sequence,
        output_directory: str,
        *,
        epochs: int = 1,
        batch_size: int = 256,
        learning_rate: float = 5e-5,
        seed: int = 0,
        accelerator: str = "auto",
        max_steps: int | None = None,
    ) -> MolecularModel:
        """Continue training with the model's own objective, save and return the new model."""

    @abc.abstractmethod
    def save(self, directory: str) -> None:
        """Write the model into ``directory`` (created if missing)."""

"""Pretraining objective of SELFIES-TED as a Lightning module.

Objective: 15 % of the molecule's tokens (never ``[bos]``, ``[eos]`` or
padding) are replaced by ``[mask]`` in the encoder input, and the decoder
reconstructs the whole unmasked sequence through the latent bottleneck.
The loss is the token cross-entropy with padding excluded. The optimiser is
AdamW with a linear warm-up followed by a linear decay to zero.
"""

from __future__ import annotations

from collections.abc import Sequence

import lightning
import torch
from torch.nn import functional
from torch.utils.data import DataLoader, Dataset
from transformers import BartConfig

from topograph.models.selfies_ted_network import ProjectorConfig, SelfiesTedNetwork

IGNORE_INDEX = -100


class TokenDataset(Dataset):
    """Token-id sequences of molecules, ``[bos] ... [eos]``."""

    def __init__(self, sequences: Sequence[Sequence[int]]):
        self.sequences = [list(sequence) for sequence in sequences]

    def __len__(self) -> int:
        return len(self.sequences)

    def __getitem__(self, index: int) -> list[int]:
        return self.sequences[index]


def pad_batch(sequences: Sequence[Sequence[int]], pad_id: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Right-pad id sequences; return ids and attention mask (batch, longest)."""
    longest = max(len(sequence) for sequence in sequences)
    ids = torch.full((len(sequences), longest), pad_id, dtype=torch.long)
    for row, sequence in enumerate(sequences):
        ids[row, : len(sequence)] = torch.tensor(sequence, dtype=torch.long)
    return ids, (ids != pad_id).long()


class PadCollator:
    """Collate token sequences into padded tensors (a class, so worker processes can pickle it)."""

    def __init__(self, pad_id: int):
        self.pad_id = pad_id

    def __call__(self, sequences: Sequence[Sequence[int]]) -> dict[str, torch.Tensor]:
        ids, mask = pad_batch(sequences, self.pad_id)
        return {"input_ids": ids, "attention_mask": mask}


def mask_tokens(
    ids: torch.Tensor, attention_mask: torch.Tensor, mask_id: int, probability: float, generator: torch.Generator | None = None
) -> torch.Tensor:
    """Replace a random ``probability`` share of the inner tokens by ``mask_id``.

    The first token (``[bos]``), the last real token (``[eos]``) and padding
    are never masked.
    """
    inner = attention_mask.bool().clone()
    inner[:, 0] = False
    lengths = attention_mask.sum(1)
    inner[torch.arange(ids.shape[0]), lengths - 1] = False
    if generator is None:
        draws = torch.rand(ids.shape, device=ids.device)
    else:
        draws = torch.rand(ids.shape, generator=generator).to(ids.device)
    chosen = inner & (draws < probability)
    return torch.where(chosen, torch.full_like(ids, mask_id), ids)


def reconstruction_targets(ids: torch.Tensor, pad_id: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Return decoder inputs ``[bos] t1 ... tn`` and labels ``t1 ... tn [eos]``.

    Padding in the labels is set to the ignored index, so it adds no loss.
    """
    decoder_input_ids = ids[:, :-1].clone()
    labels = ids[:, 1:].clone()
    labels[labels == pad_id] = IGNORE_INDEX
    return decoder_input_ids, labels


def linear_schedule(warmup_steps: int, total_steps: int):
    """Return the multiplier of a linear warm-up then linear decay to zero at ``total_steps``."""

    def multiplier(step: int) -> float:
        if warmup_steps > 0 and step < warmup_steps:
            return (step + 1) / warmup_steps
        remaining = total_steps - step
        return max(0.0, remaining / max(1, total_steps - warmup_steps))

    return multiplier


class SelfiesTedPretraining(lightning.LightningModule):
    """Masked reconstruction through the latent bottleneck.

    Parameters
    ----------
    bart_config, projector_config
        Plain dictionaries of the BART and projector configurations, so the
        Lightning checkpoint stores only JSON-like hyperparameters.
    learning_rate, weight_decay, warmup_steps, total_steps
        AdamW settings and the linear schedule.
    mask_probability
        Share of inner tokens masked in the encoder input.
    pad_id, mask_id
        Token ids of ``[pad]`` and ``[mask]``.
    """

    def __init__(
        self,
        bart_config: dict,
        projector_config: dict,
        learning_rate: float,
        total_steps: int,
        pad_id: int,
        mask_id: int,
        warmup_steps: int = 0,
        weight_decay: float = 0.01,
        mask_probability: float = 0.15,
    ):
        super().__init__()
        self.save_hyperparameters()
        self.network = SelfiesTedNetwork(BartConfig(**bart_config), ProjectorConfig.from_dict(projector_config))

    def reconstruction_loss(self, batch: dict[str, torch.Tensor], masked: bool) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Return loss, logits and labels of one batch."""
        ids, attention_mask = batch["input_ids"], batch["attention_mask"]
        encoder_ids = ids
        if masked:
            encoder_ids = mask_tokens(ids, attention_mask, self.hparams.mask_id, self.hparams.mask_probability)
        decoder_input_ids, labels = reconstruction_targets(ids, self.hparams.pad_id)
        logits = self.network(encoder_ids, attention_mask, decoder_input_ids)
        loss = functional.cross_entropy(logits.flatten(0, 1).float(), labels.flatten(), ignore_index=IGNORE_INDEX)
        return loss, logits, labels

    def training_step(self, batch: dict[str, torch.Tensor], batch_index: int) -> torch.Tensor:
        loss, _, _ = self.reconstruction_loss(batch, masked=True)
        self.log("train_loss", loss, prog_bar=True, batch_size=batch["input_ids"].shape[0])
        return loss

    def validation_step(self, batch: dict[str, torch.Tensor], batch_index: int) -> None:
        size = batch["input_ids"].shape[0]
        loss, logits, labels = self.reconstruction_loss(batch, masked=False)
        valid = labels != IGNORE_INDEX
        token_accuracy = ((logits.argmax(-1) == labels) & valid).sum() / valid.sum()

        # Exact greedy reconstruction from the latent of the unmasked input.
        network = self.network
        latent = network.latent(network.encoder_states(batch["input_ids"], batch["attention_mask"]), batch["attention_mask"])
        decoded = network.greedy_decode(latent, max_length=labels.shape[1] + 1)
        target = torch.where(valid, labels, torch.full_like(labels, self.hparams.pad_id))
        width = min(decoded.shape[1], target.shape[1])
        same = (decoded[:, :width] == target[:, :width]) | ~valid[:, :width]
        exact = same.all(1) & (decoded.shape[1] >= valid.sum(1))
        self.log("val_loss", loss, batch_size=size)
        self.log("val_token_accuracy", token_accuracy, batch_size=size)
        self.log("val_exact_reconstruction", exact.float().mean(), prog_bar=True, batch_size=size)

    def configure_optimizers(self):
        optimizer = torch.optim.AdamW(
            self.parameters(), lr=self.hparams.learning_rate, weight_decay=self.hparams.weight_decay
        )
        schedule = torch.optim.lr_scheduler.LambdaLR(
            optimizer, linear_schedule(self.hparams.warmup_steps, self.hparams.total_steps)
        )
        return {"optimizer": optimizer, "lr_scheduler": {"scheduler": schedule, "interval": "step"}}


def token_loader(sequences: Sequence[Sequence[int]], pad_id: int, batch_size: int, shuffle: bool, seed: int) -> DataLoader:
    """Return a DataLoader of padded batches, shuffled with ``seed`` when requested."""
    generator = torch.Generator().manual_seed(seed)
    return DataLoader(
        TokenDataset(sequences),
        batch_size=batch_size,
        shuffle=shuffle,
        collate_fn=PadCollator(pad_id),
        generator=generator if shuffle else None,
        num_workers=0,
    )

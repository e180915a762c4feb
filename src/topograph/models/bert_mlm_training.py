"""Masked-language continued pretraining of a BERT as a Lightning module.

BERT's own objective: 15 % of the non-special tokens are chosen. Of those,
80 % become ``[MASK]``, 10 % a random vocabulary token and 10 % stay. The
loss is the cross-entropy on the chosen tokens only. AdamW with a
linear decay to zero over the run.
"""

from __future__ import annotations

import copy
from pathlib import Path

import lightning
import torch
from lightning.pytorch.loggers import CSVLogger
from transformers import BertForMaskedLM

from topograph.models.selfies_ted_training import IGNORE_INDEX, linear_schedule, token_loader
from topograph.models.smiles_tokenizer import SmilesTokenizer


def mask_for_mlm(
    ids: torch.Tensor, special_ids: set[int], mask_id: int, vocab_size: int, probability: float = 0.15
) -> tuple[torch.Tensor, torch.Tensor]:
    """Return masked inputs and labels (``IGNORE_INDEX`` where no token was chosen)."""
    special = torch.zeros_like(ids, dtype=torch.bool)
    for index in special_ids:
        special |= ids == index
    chosen = (torch.rand(ids.shape, device=ids.device) < probability) & ~special
    labels = torch.where(chosen, ids, torch.full_like(ids, IGNORE_INDEX))

    draw = torch.rand(ids.shape, device=ids.device)
    masked = torch.where(chosen & (draw < 0.8), torch.full_like(ids, mask_id), ids)
    random_tokens = torch.randint(0, vocab_size, ids.shape, device=ids.device)
    masked = torch.where(chosen & (draw >= 0.8) & (draw < 0.9), random_tokens, masked)
    return masked, labels


class BertMaskedLanguageTraining(lightning.LightningModule):
    """Lightning wrapper of ``BertForMaskedLM`` with the masked-language loss."""

    def __init__(self, network: BertForMaskedLM, special_ids: set[int], mask_id: int, learning_rate: float, total_steps: int):
        super().__init__()
        self.network = network
        self.special_ids = set(special_ids)
        self.mask_id = mask_id
        self.learning_rate = learning_rate
        self.total_steps = total_steps

    def training_step(self, batch: dict[str, torch.Tensor], batch_index: int) -> torch.Tensor:
        ids, attention_mask = batch["input_ids"], batch["attention_mask"]
        masked, labels = mask_for_mlm(ids, self.special_ids, self.mask_id, self.network.config.vocab_size)
        if not bool((labels != IGNORE_INDEX).any()):
            # Choose one token per molecule so a batch of tiny molecules still has a loss.
            labels[:, 1] = ids[:, 1]
            masked[:, 1] = self.mask_id
        loss = self.network(input_ids=masked, attention_mask=attention_mask, labels=labels).loss
        self.log("train_loss", loss, prog_bar=True, batch_size=ids.shape[0])
        return loss

    def configure_optimizers(self):
        optimizer = torch.optim.AdamW(self.parameters(), lr=self.learning_rate, weight_decay=0.01)
        schedule = torch.optim.lr_scheduler.LambdaLR(optimizer, linear_schedule(0, self.total_steps))
        return {"optimizer": optimizer, "lr_scheduler": {"scheduler": schedule, "interval": "step"}}


def train_masked_language_model(
    network: BertForMaskedLM,
    tokenizer: SmilesTokenizer,
    sequences: list[list[int]],
    *,
    epochs: int,
    batch_size: int,
    learning_rate: float,
    seed: int,
    accelerator: str,
    max_steps: int | None,
    precision: str,
    work_directory: Path,
    fast_dev_run: bool = False,
) -> BertForMaskedLM:
    """Train a copy of ``network`` on ``sequences`` and return it in eval mode."""
    lightning.seed_everything(seed, workers=True, verbose=False)
    steps_per_epoch = -(-len(sequences) // batch_size)
    total_steps = steps_per_epoch * epochs if max_steps is None else min(max_steps, steps_per_epoch * epochs)
    module = BertMaskedLanguageTraining(copy.deepcopy(network).train(), tokenizer.special_ids(), tokenizer.mask_id, learning_rate, total_steps)
    trainer = lightning.Trainer(
        accelerator=accelerator,
        devices=1,
        precision=precision,
        max_epochs=epochs,
        max_steps=total_steps,
        logger=False if fast_dev_run else CSVLogger(work_directory, name="logs"),
        enable_checkpointing=False,
        enable_progress_bar=False,
        enable_model_summary=False,
        fast_dev_run=fast_dev_run,
        log_every_n_steps=1,
    )
    trainer.fit(module, train_dataloaders=token_loader(sequences, tokenizer.pad_id, batch_size, True, seed))
    return module.network.eval()

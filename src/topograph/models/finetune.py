"""Supervised fine-tuning on one downstream task, the control of fill-tuning.

The encoder of a model is trained together with a linear head on the model's
own embedding (the latent for SELFIES-TED, the ``[CLS]`` state for the rxnfp
BERT): mean squared error on standardised labels for regression, binary
cross-entropy for classification. The head is discarded afterwards. The
saved checkpoint is then evaluated like every other model, on frozen
embeddings with fixed heads, which shows what ordinary task fine-tuning
does to the tasks it was not trained on.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path

import lightning
import numpy as np
import torch
from torch import nn
from torch.nn import functional
from torch.utils.data import DataLoader, Dataset

from topograph.models.base import MolecularModel
from topograph.models.selfies_ted_training import pad_batch

logger = logging.getLogger(__name__)

TASK_TYPES = ("regression", "classification")


class LabelledSequences(Dataset):
    """Token-id sequences with one float label each."""

    def __init__(self, sequences: Sequence[Sequence[int]], labels: np.ndarray):
        self.sequences = [list(sequence) for sequence in sequences]
        self.labels = np.asarray(labels, dtype=np.float32)

    def __len__(self) -> int:
        return len(self.sequences)

    def __getitem__(self, index: int) -> tuple[list[int], float]:
        return self.sequences[index], float(self.labels[index])


class LabelledCollator:
    """Pad a batch of (sequence, label) pairs into tensors."""

    def __init__(self, pad_id: int):
        self.pad_id = pad_id

    def __call__(self, batch):
        ids, mask = pad_batch([sequence for sequence, _ in batch], self.pad_id)
        labels = torch.tensor([label for _, label in batch], dtype=torch.float32)
        return {"input_ids": ids, "attention_mask": mask, "labels": labels}


def differentiable_embedding(model: MolecularModel, ids: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Return the model's embedding of a padded batch with gradients kept.

    The same quantity as ``model.encode`` returns, so the fine-tuned head sits
    on the embedding that the downstream evaluation reads.
    """
    if model.name == "selfies_ted":
        hidden = model.network.encoder_states(ids, mask)
        return model.network.latent(hidden, mask)
    if model.name == "rxnfp_bert":
        hidden = model.network.bert(input_ids=ids, attention_mask=mask).last_hidden_state
        if model.pooling == "cls":
            return hidden[:, 0]
        return (hidden * mask.unsqueeze(-1)).sum(1) / mask.sum(1, keepdim=True)
    raise ValueError(
        f"fine-tuning is implemented for selfies_ted and rxnfp_bert, not {model.name}; "
        "choose one of those models for the fine-tuned control"
    )


class TaskFineTuning(lightning.LightningModule):
    """The model's encoder and a linear head trained on one task's labels."""

    def __init__(self, model: MolecularModel, task_type: str, learning_rate: float, total_steps: int):
        super().__init__()
        self.model = model
        # Registered as a child so Lightning moves it and optimises it.
        self.network = model.network
        self.head = nn.Linear(model.latent_dim, 1)
        self.task_type = task_type
        self.learning_rate = learning_rate
        self.total_steps = max(total_steps, 1)

    def loss(self, batch) -> torch.Tensor:
        embedding = differentiable_embedding(self.model, batch["input_ids"], batch["attention_mask"])
        prediction = self.head(embedding).squeeze(-1)
        if self.task_type == "regression":
            return functional.mse_loss(prediction, batch["labels"])
        return functional.binary_cross_entropy_with_logits(prediction, batch["labels"])

    def training_step(self, batch, batch_index):
        loss = self.loss(batch)
        self.log("train_loss", loss, prog_bar=True, batch_size=len(batch["labels"]))
        return loss

    @torch.no_grad()
    def mean_loss(self, loader: DataLoader) -> float:
        """Return the loss over every molecule of ``loader``, in evaluation mode."""
        self.eval()
        total, count = 0.0, 0
        for batch in loader:
            batch = {key: value.to(self.device) for key, value in batch.items()}
            total += float(self.loss(batch)) * len(batch["labels"])
            count += len(batch["labels"])
        return total / count

    def configure_optimizers(self):
        optimizer = torch.optim.AdamW(self.parameters(), lr=self.learning_rate)
        schedule = torch.optim.lr_scheduler.LambdaLR(
            optimizer, lambda step: max(0.0, 1.0 - step / self.total_steps)
        )
        return {"optimizer": optimizer, "lr_scheduler": {"scheduler": schedule, "interval": "step"}}


def finetune_on_task(
    model: MolecularModel,
    smiles: Sequence[str],
    labels: np.ndarray,
    task_type: str,
    output_directory: str | Path,
    *,
    epochs: int = 3,
    batch_size: int = 32,
    learning_rate: float = 5e-5,
    seed: int = 0,
    accelerator: str = "auto",
    max_steps: int | None = None,
) -> dict:
    """Fine-tune ``model`` in place on one task and save it to ``output_directory``.

    Molecules the model cannot tokenise are skipped and counted.

    Returns
    -------
    dict
        Molecules used and skipped, optimiser steps, and the task loss over
        every molecule before and after training (head included).
    """
    if task_type not in TASK_TYPES:
        raise ValueError(f"unknown task type {task_type!r}; choose regression or classification")
    labels = np.asarray(labels, dtype=np.float64)
    if len(labels) != len(smiles):
        raise ValueError(f"{len(smiles)} molecules but {len(labels)} labels; give one label per molecule")
    if not hasattr(model, "_tokenize") or not hasattr(model, "network"):
        raise ValueError(f"model {model.name} has no trainable encoder to fine-tune")
    sequences, valid, invalid = model._tokenize(list(smiles))
    if len(sequences) < 2:
        raise ValueError(f"only {len(sequences)} of {len(smiles)} molecules can be tokenised; fine-tuning needs at least 2")
    targets = labels[valid]
    if task_type == "regression":
        spread = targets.std()
        if not np.isfinite(spread) or spread == 0:
            raise ValueError("the task's labels are constant or not finite; fine-tuning needs varying labels")
        targets = (targets - targets.mean()) / spread
    lightning.seed_everything(seed, workers=True, verbose=False)
    loader = DataLoader(
        LabelledSequences(sequences, targets),
        batch_size=batch_size,
        shuffle=True,
        collate_fn=LabelledCollator(model.tokenizer.pad_id),
        generator=torch.Generator().manual_seed(seed),
    )
    # The same molecules in a fixed order, to measure the loss before and after.
    evaluation_loader = DataLoader(
        LabelledSequences(sequences, targets),
        batch_size=batch_size,
        collate_fn=LabelledCollator(model.tokenizer.pad_id),
    )
    total_steps = max_steps or epochs * len(loader)
    module = TaskFineTuning(model, task_type, learning_rate, total_steps)
    initial_loss = module.mean_loss(evaluation_loader)
    module.train()
    trainer = lightning.Trainer(
        accelerator=accelerator,
        devices=1,
        max_epochs=epochs,
        max_steps=max_steps or -1,
        logger=False,
        enable_checkpointing=False,
        enable_model_summary=False,
        deterministic=True,
        default_root_dir=str(output_directory),
    )
    trainer.fit(module, loader)
    module.cpu()
    final_loss = module.mean_loss(evaluation_loader)
    model.network.eval()
    model.device = "cpu"
    model.save(output_directory)
    summary = {
        "molecules": len(sequences),
        "skipped": len(invalid),
        "steps": int(trainer.global_step),
        "initial_loss": initial_loss,
        "final_loss": final_loss,
    }
    logger.info("fine-tuned %s on %d molecules (%d skipped) in %d steps", model.name, summary["molecules"], summary["skipped"], summary["steps"])
    return summary

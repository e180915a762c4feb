"""Pretraining and continued pretraining of SELFIES-TED with a Lightning Trainer.

The same settings run on CPU and GPU: ``accelerator`` (auto, cpu or gpu)
and ``precision`` (``32-true`` on CPU, ``bf16-mixed`` on a GPU) come from the
configuration. Pretraining writes Lightning checkpoints into a work folder
every ``checkpoint_minutes``. A rerun with the same folder resumes from
``last.ckpt``, so a stopped run loses at most those minutes of training. The final
model is exported in the safetensors layout of :mod:`topograph.models.selfies_ted`.
"""

from __future__ import annotations

import csv
import json
import logging
import time
from datetime import timedelta
from pathlib import Path

import lightning
import torch
from lightning.pytorch.callbacks import ModelCheckpoint
from lightning.pytorch.loggers import CSVLogger

from topograph.models.corpus import read_corpus, split_corpus
from topograph.models.selfies_ted import SelfiesTedModel
from topograph.models.selfies_ted_network import ProjectorConfig, SelfiesTedNetwork, default_bart_config
from topograph.models.selfies_ted_training import SelfiesTedPretraining, token_loader
from topograph.models.selfies_tokenizer import SelfiesTokenizer

logger = logging.getLogger(__name__)

# Defaults of the `models.pretrain` configuration section.
DEFAULT_SETTINGS = {
    "corpus": "qm9",
    "max_molecules": None,
    "test_fraction": 0.1,
    "validation_size": 512,
    "seed": 0,
    "batch_size": 128,
    "learning_rate": 5.0e-4,
    "weight_decay": 0.01,
    "warmup_steps": 500,
    "max_steps": 20000,
    "max_minutes": None,
    "checkpoint_minutes": 5.0,
    "validation_every_steps": 500,
    "accelerator": "auto",
    "precision": "32-true",
    "threads": 1,
    "mask_probability": 0.15,
    "dropout": 0.0,
    "latent_dim": 128,
    "latent_positions": 64,
    "position_dim": 16,
    "projector_hidden": [512],
}


def resolve_settings(settings: dict | None) -> dict:
    """Fill in defaults and reject unknown keys."""
    settings = dict(settings or {})
    unknown = sorted(set(settings) - set(DEFAULT_SETTINGS))
    if unknown:
        raise ValueError(f"unknown pretraining settings {unknown}; valid keys: {', '.join(DEFAULT_SETTINGS)}")
    return {**DEFAULT_SETTINGS, **settings}


def _tokenize_all(tokenizer: SelfiesTokenizer, smiles: list[str], max_length: int) -> tuple[list[list[int]], list[str]]:
    sequences, reasons = [], []
    for item in smiles:
        ids, reason = tokenizer.encode_checked(item, max_length)
        if ids is None:
            reasons.append(reason)
        else:
            sequences.append(ids)
    return sequences, reasons


def prepare_corpus(settings: dict, work_directory: Path) -> tuple[SelfiesTokenizer, list[list[int]], list[list[int]]]:
    """Split the corpus, build or reread the vocabulary and tokenise training and validation molecules.

    The vocabulary is written into the work folder on the first run and
    reread on a resumed run, so token ids never change under a checkpoint.
    """
    smiles = read_corpus(settings["corpus"])
    train, test = split_corpus(smiles, settings["test_fraction"], settings["seed"], settings["max_molecules"])
    validation_size = min(settings["validation_size"], len(train) // 10)
    validation, train = train[:validation_size], train[validation_size:]
    with open(work_directory / "heldout_test.csv", "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "smiles"])
        writer.writerows(enumerate(test))

    if (work_directory / "vocab.json").is_file():
        tokenizer = SelfiesTokenizer.load(work_directory)
    else:
        tokenizer = SelfiesTokenizer.from_corpus(train)
        tokenizer.save(work_directory)
    max_length = settings["latent_positions"]
    train_ids, train_skipped = _tokenize_all(tokenizer, train, max_length)
    validation_ids, _ = _tokenize_all(tokenizer, validation, max_length)
    if train_skipped:
        logger.warning("skipped %d of %d training molecules; the first: %s", len(train_skipped), len(train), train_skipped[0])
    logger.info("corpus %s: %d training, %d validation, %d held-out test molecules, vocabulary %d",
                settings["corpus"], len(train_ids), len(validation_ids), len(test), len(tokenizer))  # fmt: skip
    return tokenizer, train_ids, validation_ids


def _module(settings: dict, tokenizer: SelfiesTokenizer) -> SelfiesTedPretraining:
    bart_config = default_bart_config(len(tokenizer), tokenizer.pad_id, tokenizer.bos_id, tokenizer.eos_id, settings["dropout"])
    projector = ProjectorConfig(
        settings["latent_dim"], settings["latent_positions"], settings["position_dim"], list(settings["projector_hidden"])
    )
    return SelfiesTedPretraining(
        bart_config=bart_config.to_dict(),
        projector_config=projector.to_dict(),
        learning_rate=settings["learning_rate"],
        total_steps=settings["max_steps"],
        pad_id=tokenizer.pad_id,
        mask_id=tokenizer.mask_id,
        warmup_steps=settings["warmup_steps"],
        weight_decay=settings["weight_decay"],
        mask_probability=settings["mask_probability"],
    )


def pretrain_selfies_ted(settings: dict | None, work_directory: str | Path, output_directory: str | Path) -> SelfiesTedModel:
    """Pretrain SELFIES-TED on a corpus, resuming from the work folder, and export the model.

    Parameters
    ----------
    settings
        The ``models.pretrain`` configuration; see ``DEFAULT_SETTINGS``.
    work_directory
        Lightning checkpoints, logs, the vocabulary and the held-out split.
    output_directory
        Where the final checkpoint is written in safetensors layout.
    """
    settings = resolve_settings(settings)
    work_directory = Path(work_directory)
    work_directory.mkdir(parents=True, exist_ok=True)
    torch.set_num_threads(int(settings["threads"]))
    lightning.seed_everything(settings["seed"], workers=True, verbose=False)
    (work_directory / "settings.json").write_text(json.dumps(settings, indent=2, sort_keys=True) + "\n")

    tokenizer, train_ids, validation_ids = prepare_corpus(settings, work_directory)
    module = _module(settings, tokenizer)
    checkpoints = ModelCheckpoint(
        dirpath=work_directory / "checkpoints",
        save_last=True,
        save_top_k=0,
        train_time_interval=timedelta(minutes=settings["checkpoint_minutes"]),
    )
    trainer = lightning.Trainer(
        accelerator=settings["accelerator"],
        devices=1,
        precision=settings["precision"],
        max_steps=settings["max_steps"],
        max_epochs=-1,
        max_time=timedelta(minutes=settings["max_minutes"]) if settings["max_minutes"] else None,
        val_check_interval=settings["validation_every_steps"],
        check_val_every_n_epoch=None,
        gradient_clip_val=1.0,
        callbacks=[checkpoints],
        logger=CSVLogger(work_directory, name="logs"),  # one version per run, so a resumed run keeps earlier logs
        enable_progress_bar=False,
        num_sanity_val_steps=0,
        log_every_n_steps=50,
    )
    last = work_directory / "checkpoints" / "last.ckpt"
    started = time.monotonic()
    trainer.fit(
        module,
        train_dataloaders=token_loader(train_ids, tokenizer.pad_id, settings["batch_size"], True, settings["seed"]),
        val_dataloaders=token_loader(validation_ids, tokenizer.pad_id, 256, False, settings["seed"]),
        ckpt_path=str(last) if last.is_file() else None,
        weights_only=True,
    )
    trainer.save_checkpoint(last, weights_only=False)
    info = {
        "corpus": settings["corpus"],
        "split_seed": settings["seed"],
        "test_fraction": settings["test_fraction"],
        "max_molecules": settings["max_molecules"],
        "training_molecules": len(train_ids),
        "global_steps": int(trainer.global_step),
        "wall_seconds_this_run": round(time.monotonic() - started, 1),
        "settings": settings,
    }
    model = SelfiesTedModel(module.network.cpu().float(), tokenizer, "cpu", info)
    model.save(output_directory)
    logger.info("pretraining stopped after %d steps; model written to %s", trainer.global_step, output_directory)
    return model


def continue_selfies_ted(
    network: SelfiesTedNetwork,
    tokenizer: SelfiesTokenizer,
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
) -> SelfiesTedNetwork:
    """Train a copy of ``network`` for ``epochs`` with the pretraining objective and linear decay."""
    lightning.seed_everything(seed, workers=True, verbose=False)
    steps_per_epoch = -(-len(sequences) // batch_size)
    total_steps = steps_per_epoch * epochs if max_steps is None else min(max_steps, steps_per_epoch * epochs)
    module = SelfiesTedPretraining(
        bart_config=network.bart.config.to_dict(),
        projector_config=network.projector_config.to_dict(),
        learning_rate=learning_rate,
        total_steps=total_steps,
        pad_id=tokenizer.pad_id,
        mask_id=tokenizer.mask_id,
    )
    module.network.load_state_dict({key: value.detach().clone() for key, value in network.state_dict().items()})
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
        num_sanity_val_steps=0,
        log_every_n_steps=1,
    )
    trainer.fit(module, train_dataloaders=token_loader(sequences, tokenizer.pad_id, batch_size, True, seed))
    return module.network.eval()

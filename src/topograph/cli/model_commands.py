"""``topograph model ...``: pretrain, embed with and decode from molecular models."""

from __future__ import annotations

import argparse
import json
import logging
from pathlib import Path

import yaml


def _settings(arguments: argparse.Namespace) -> dict:
    settings: dict = {}
    if arguments.settings_file:
        loaded = yaml.safe_load(Path(arguments.settings_file).read_text()) or {}
        if not isinstance(loaded, dict):
            raise ValueError(f"settings file {arguments.settings_file} must contain a mapping of pretraining settings")
        settings.update(loaded)
    if arguments.settings:
        try:
            loaded = json.loads(arguments.settings)
        except json.JSONDecodeError as error:
            raise ValueError(f"--settings is not valid JSON ({error}); pass an object such as '{{\"max_steps\": 100}}'") from None
        settings.update(loaded)
    return settings


def _count(text: str) -> int | None:
    if text == "all":
        return None
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"invalid count {text!r}; expected an integer or 'all'") from None


def add_parsers(parser: argparse.ArgumentParser) -> None:
    commands = parser.add_subparsers(dest="command", required=True)

    pretrain = commands.add_parser("pretrain", help="pretrain SELFIES-TED on a packaged corpus (resumes from --work-dir)")
    pretrain.add_argument("--settings-file", help="YAML mapping of pretraining settings")
    pretrain.add_argument("--settings", help="JSON object of pretraining settings; overrides --settings-file")
    pretrain.add_argument("--work-dir", required=True, help="folder of Lightning checkpoints and logs; a rerun resumes from it")
    pretrain.add_argument("--output", required=True, help="checkpoint directory to write")
    pretrain.set_defaults(handler=_pretrain)

    embed = commands.add_parser("embed", help="embed a SMILES CSV or structure files with a model")
    embed.add_argument("--model", required=True, help="selfies_ted, rxnfp_bert, chgnet or a checkpoint directory")
    embed.add_argument("--input", required=True, help="CSV with id and SMILES columns, or a structure file, folder or CSV of paths")
    embed.add_argument("--output", required=True, help=".npz to write with arrays 'ids' and 'embeddings'")
    embed.add_argument("--invalid", help="CSV of inputs that could not be embedded (default: OUTPUT with .invalid.csv)")
    embed.add_argument("--summary", help="JSON file for the counts of embedded and invalid inputs")
    embed.add_argument("--smiles-column", default="smiles", help="name of the SMILES column (default: smiles)")
    embed.add_argument("--id-column", default="id", help="name of the id column; row numbers when absent (default: id)")
    embed.add_argument("--pooling", default="default", choices=["default", "mean"], help="default: the model's embedding; mean: SELFIES-TED's mean encoder state")
    embed.add_argument("--device", default="cpu", help="torch device (default: cpu)")
    embed.set_defaults(handler=_embed)

    decode = commands.add_parser("decode", help="decode latent points to SMILES with a model that has a decoder")
    decode.add_argument("--model", required=True, help="selfies_ted or a SELFIES-TED checkpoint directory")
    source = decode.add_mutually_exclusive_group(required=True)
    source.add_argument("--latents", help=".npy array (n, latent_dim) or .npz with an 'embeddings' array")
    source.add_argument("--random", type=int, metavar="N", help="decode N points drawn uniformly from the latent box")
    decode.add_argument("--seed", type=int, default=0, help="seed of the random points (default: 0)")
    decode.add_argument("--output", required=True, help="CSV to write: index, SMILES (empty where decoding gave no valid molecule)")
    decode.add_argument("--device", default="cpu", help="torch device (default: cpu)")
    decode.set_defaults(handler=_decode)

    resume = commands.add_parser("continue", help="continue pretraining a model with its own objective")
    resume.add_argument("--model", required=True, help="selfies_ted, rxnfp_bert, chgnet or a checkpoint directory")
    resume.add_argument("--input", required=True, help="CSV with a SMILES column, or for chgnet extended XYZ files with energies and forces")
    resume.add_argument("--smiles-column", default="smiles", help="name of the SMILES column (default: smiles)")
    resume.add_argument("--output", required=True, help="checkpoint directory to write")
    resume.add_argument("--epochs", type=int, default=1, help="passes over the molecules (default: 1)")
    resume.add_argument("--batch-size", type=int, default=256, help="molecules per step (default: 256)")
    resume.add_argument("--learning-rate", type=float, default=5e-5, help="AdamW peak learning rate, decayed linearly (default: 5e-5)")
    resume.add_argument("--seed", type=int, default=0, help="seed of shuffling and masking (default: 0)")
    resume.add_argument("--max-steps", type=int, help="stop after this many optimiser steps (default: all epochs)")
    resume.add_argument("--accelerator", default="auto", choices=("auto", "cpu", "gpu"), help="auto, cpu or gpu (default: auto)")
    resume.set_defaults(handler=_continue)

    finetune = commands.add_parser(
        "finetune", help="fine-tune a model's encoder with a linear head on one downstream task"
    )
    finetune.add_argument("--model", required=True, help="selfies_ted, rxnfp_bert or a checkpoint directory")
    finetune.add_argument(
        "--task",
        required=True,
        help="a built-in task (freesolv, solubility, bbb_logbb, bbb_class, qm9_gap, ...) "
        "or csv:path=FILE,smiles=COLUMN,label=COLUMN,type=regression|classification",
    )
    finetune.add_argument("--max-rows", type=int, help="train on at most this many molecules of the task (default: all)")
    finetune.add_argument("--output", required=True, help="checkpoint directory to write")
    finetune.add_argument("--summary", help="JSON file of molecules used and skipped and the loss before and after")
    finetune.add_argument("--epochs", type=int, default=3, help="passes over the task's molecules (default: 3)")
    finetune.add_argument("--batch-size", type=int, default=32, help="molecules per step (default: 32)")
    finetune.add_argument("--learning-rate", type=float, default=5e-5, help="AdamW peak learning rate, decayed linearly (default: 5e-5)")
    finetune.add_argument("--seed", type=int, default=0, help="seed of the head, shuffling and the task subsample (default: 0)")
    finetune.add_argument("--accelerator", default="auto", choices=("auto", "cpu", "gpu"), help="auto, cpu or gpu (default: auto)")
    finetune.set_defaults(handler=_finetune)

    molecules = commands.add_parser("molecules", help="write a packaged molecule set as a CSV of id and SMILES")
    molecules.add_argument("name", help="qm9, moses (training split) or freesolv")
    counts = molecules.add_mutually_exclusive_group()
    counts.add_argument("--count", type=_count, default=None, help="keep this many molecules, drawn with --seed, or 'all' (default: all)")
    counts.add_argument("--count-like", metavar="CSV", help="keep as many molecules as this CSV has data rows, such as a proposals table")
    molecules.add_argument("--seed", type=int, default=0, help="seed of the draw (default: 0)")
    molecules.add_argument("--output", required=True, help="CSV to write with columns id, smiles")
    molecules.set_defaults(handler=_molecules)

    evaluate = commands.add_parser("evaluate", help="measure held-out reconstruction and random-latent decoding of SELFIES-TED")
    evaluate.add_argument("--model", required=True, help="selfies_ted or a SELFIES-TED checkpoint directory")
    evaluate.add_argument("--heldout", type=int, default=200, help="first N held-out test molecules of the model's split (default: 200)")
    evaluate.add_argument("--random-points", type=int, default=200, help="latent points drawn uniformly from the box (default: 200)")
    evaluate.add_argument("--seed", type=int, default=0, help="seed of the random latent points (default: 0)")
    evaluate.add_argument("--output", required=True, help="JSON file of the measures")
    evaluate.set_defaults(handler=_evaluate)


def _pretrain(arguments: argparse.Namespace) -> None:
    from topograph.models.selfies_ted_pretrain import pretrain_selfies_ted

    pretrain_selfies_ted(_settings(arguments), arguments.work_dir, arguments.output)


def _embed(arguments: argparse.Namespace) -> None:
    from topograph.models import load_model
    from topograph.models.embedding import embed_file

    # Loading a model takes seconds, so a wrong path is reported before it.
    if not Path(arguments.input).exists():
        raise ValueError(
            f"--input {arguments.input} not found; pass an existing SMILES CSV, "
            "structure file or folder of structure files"
        )
    model = load_model(arguments.model, arguments.device)
    summary = embed_file(
        model, arguments.input, arguments.output, arguments.invalid,
        arguments.smiles_column, arguments.id_column, arguments.pooling,
    )  # fmt: skip
    if arguments.summary:
        Path(arguments.summary).write_text(json.dumps({"model": arguments.model, **summary}, indent=2) + "\n")


def _decode(arguments: argparse.Namespace) -> None:
    import csv

    import numpy as np

    from topograph.models import load_model

    model = load_model(arguments.model, arguments.device)
    if not model.has_decoder:
        raise ValueError(f"model {arguments.model} has no decoder; decode with selfies_ted or a SELFIES-TED checkpoint")
    if arguments.random is not None:
        if arguments.random < 1:
            raise ValueError(f"--random {arguments.random} must be a positive number of points")
        low, high = model.latent_bounds
        latents = np.random.default_rng(arguments.seed).uniform(low, high, (arguments.random, model.latent_dim))
    else:
        loaded = np.load(arguments.latents, allow_pickle=False)
        latents = loaded["embeddings"] if isinstance(loaded, np.lib.npyio.NpzFile) else loaded
    smiles = model.decode(latents)
    with open(arguments.output, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["index", "smiles"])
        writer.writerows((index, item or "") for index, item in enumerate(smiles))


def _continue(arguments: argparse.Namespace) -> None:
    from topograph.models import load_model
    from topograph.models.embedding import read_smiles_table

    model = load_model(arguments.model)
    if model.name == "chgnet":
        inputs = [arguments.input]
    else:
        _, inputs = read_smiles_table(arguments.input, arguments.smiles_column, None)
    model.continue_pretraining(
        inputs, arguments.output, epochs=arguments.epochs, batch_size=arguments.batch_size,
        learning_rate=arguments.learning_rate, seed=arguments.seed, accelerator=arguments.accelerator,
        max_steps=arguments.max_steps,
    )  # fmt: skip
    logging.getLogger(__name__).info(
        "continued pretraining of %s on %d inputs written to %s; %s",
        arguments.model, len(inputs), arguments.output, _training_loss_summary(arguments.output),
    )  # fmt: skip


def _version_number(folder_name: str) -> int:
    """Return N of a version_N folder, or -1 for a name Lightning did not write."""
    number = folder_name.removeprefix("version_")
    return int(number) if number.isdigit() else -1


def _training_loss_summary(output) -> str:
    """Describe the first and last logged training loss of a run from its Lightning CSV log."""
    import csv

    # Lightning numbers the runs in a folder version_0, version_1 and so on, so the newest is the highest.
    logs = sorted(
        Path(output).glob("training/logs/version_*/metrics.csv"),
        key=lambda path: _version_number(path.parent.name),
    )
    if not logs:
        return "no training log was written"
    with open(logs[-1], newline="") as handle:
        rows = list(csv.DictReader(handle))
    column = next((name for name in (rows[0] if rows else {}) if "loss" in name), None)
    values = [(row.get("step"), row[column]) for row in rows if column and row.get(column)]
    if not values:
        return f"{logs[-1]} has no loss values"
    (first_step, first), (last_step, last) = values[0], values[-1]
    return f"{column} {float(first):.4g} at step {first_step}, {float(last):.4g} at step {last_step}"


def _finetune(arguments: argparse.Namespace) -> None:
    from topograph.cli.filltune_commands import parse_task
    from topograph.models import load_model
    from topograph.models.finetune import finetune_on_task

    task = parse_task(arguments.task, arguments.max_rows, arguments.seed)
    model = load_model(arguments.model)
    summary = finetune_on_task(
        model, task.smiles, task.labels, task.task_type, arguments.output, epochs=arguments.epochs,
        batch_size=arguments.batch_size, learning_rate=arguments.learning_rate, seed=arguments.seed,
        accelerator=arguments.accelerator,
    )  # fmt: skip
    summary = {"task": task.name, "task_skipped": dict(task.skipped), **summary}
    if arguments.summary:
        Path(arguments.summary).write_text(json.dumps(summary, indent=2) + "\n")


def _molecules(arguments: argparse.Namespace) -> None:
    import csv

    import numpy as np

    from topograph.models.corpus import read_molecule_set

    ids, smiles = read_molecule_set(arguments.name)
    rows = list(range(len(smiles)))
    count, option = arguments.count, f"--count {arguments.count}"
    if arguments.count_like is not None:
        count = _data_rows(arguments.count_like)
        option = f"--count-like {arguments.count_like} ({count} rows)"
    if count is not None:
        if not 1 <= count <= len(smiles):
            raise ValueError(f"{option} must lie between 1 and the set's size {len(smiles)}")
        rows = sorted(np.random.default_rng(arguments.seed).choice(len(smiles), count, replace=False))
    Path(arguments.output).parent.mkdir(parents=True, exist_ok=True)
    with open(arguments.output, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "smiles"])
        writer.writerows((ids[row], smiles[row]) for row in rows)


def _data_rows(path) -> int:
    """Return the number of data rows (after the header) of a CSV file."""
    import csv

    with open(path, newline="") as handle:
        rows = sum(1 for row in csv.reader(handle) if row) - 1
    if rows < 1:
        raise ValueError(f"--count-like {path} has no data rows; give a table with at least one row or use --count")
    return rows


def _evaluate(arguments: argparse.Namespace) -> None:
    import logging

    from topograph.models import load_model
    from topograph.models.corpus import heldout_molecules
    from topograph.models.evaluation import random_latent_decoding, reconstruction_share

    model = load_model(arguments.model)
    if not model.has_decoder:
        raise ValueError(f"model {arguments.model} has no decoder; evaluate selfies_ted or a SELFIES-TED checkpoint")
    heldout = heldout_molecules(model.training_info, arguments.heldout)
    reconstruction = reconstruction_share(model, heldout)
    random_points = random_latent_decoding(model, arguments.random_points, arguments.seed)
    result = {"model": arguments.model, "heldout_reconstruction": reconstruction, "random_latents": random_points}
    Path(arguments.output).write_text(json.dumps(result, indent=2) + "\n")
    logging.getLogger(__name__).info(
        "exact reconstruction %.3f of %d held-out molecules; random latents valid %.3f, unique %.3f",
        reconstruction["exact_share"], len(heldout), random_points["valid_share"], random_points["unique_share_of_valid"],
    )

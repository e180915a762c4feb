"""Embedding a data set with any model: SMILES tables or structure files.

Output: an ``.npz`` with ``ids`` (strings) and ``embeddings`` (float32,
one row per embedded input) and a CSV of the inputs that could not be
embedded, with the reason for each. Nothing is dropped without a row in
that CSV.
"""

from __future__ import annotations

import csv
import logging
from collections import Counter
from pathlib import Path

import numpy as np

from topograph.database.atomic import atomic_write
from topograph.models.base import MolecularModel
from topograph.models.structures import is_structure_file

logger = logging.getLogger(__name__)


def read_smiles_table(path: str | Path, smiles_column: str = "smiles", id_column: str | None = "id") -> tuple[list[str], list[str]]:
    """Return ids and SMILES of a CSV file; ids are row numbers when ``id_column`` is absent."""
    path = Path(path)
    with open(path, newline="") as handle:
        reader = csv.DictReader(handle)
        columns = reader.fieldnames or []
        if smiles_column not in columns:
            raise ValueError(f"{path} has no column {smiles_column!r}; its columns are {columns}; set the SMILES column")
        rows = list(reader)
    if not rows:
        raise ValueError(f"{path} has a header but no rows; give at least one molecule")
    use_ids = id_column is not None and id_column in columns
    ids = [row[id_column] if use_ids else str(number) for number, row in enumerate(rows)]
    repeated = [identifier for identifier, count in Counter(ids).items() if count > 1]
    if repeated:
        raise ValueError(
            f"{path} repeats the id {repeated[0]!r} ({len(repeated)} ids occur more than once); "
            f"make the {id_column!r} column unique or drop it to number the rows"
        )
    return ids, [row[smiles_column] or "" for row in rows]


def reason_kind(reason: str) -> str:
    """Group a reason by its leading words, for the summary in the log."""
    return " ".join(reason.split()[:2])


def embed_file(
    model: MolecularModel,
    input_path: str | Path,
    output_path: str | Path,
    invalid_path: str | Path | None = None,
    smiles_column: str = "smiles",
    id_column: str | None = "id",
    pooling: str = "default",
) -> dict:
    """Embed every input of ``input_path`` and write the ``.npz`` and the invalid-input CSV.

    Parameters
    ----------
    pooling
        ``default`` (the model's embedding) or, for SELFIES-TED only, ``mean``
        (the encoder state averaged over tokens).

    Returns
    -------
    dict
        Counts of inputs, embedded and invalid inputs and invalid inputs by kind of reason.
    """
    input_path, output_path = Path(input_path), Path(output_path)
    invalid_path = Path(invalid_path) if invalid_path else output_path.with_suffix(".invalid.csv")
    if model.name == "chgnet":
        if not (input_path.is_dir() or input_path.suffix.lower() == ".csv" or is_structure_file(input_path)):
            raise ValueError(f"CHGNet embeds structure files (CIF, POSCAR, extended XYZ), a folder of them or a CSV with a 'path' column; got {input_path}")
        embeddings, ids, failures = model.encode_structures([input_path])
        invalid_rows = [(identifier, "", reason) for identifier, reason in failures]
        total = len(ids) + len(invalid_rows)
    else:
        ids_all, smiles = read_smiles_table(input_path, smiles_column, id_column)
        if pooling == "mean":
            if not hasattr(model, "encode_mean_checked"):
                raise ValueError(f"pooling 'mean' is available for selfies_ted only; use 'default' for {model.name}")
            embeddings, valid, failures = model.encode_mean_checked(smiles)
        elif pooling == "default":
            embeddings, valid, failures = model.encode_checked(smiles)
        else:
            raise ValueError(f"unknown pooling {pooling!r}; choose default or mean")
        ids = [ids_all[index] for index in valid]
        invalid_rows = [(ids_all[index], smiles[index], reason) for index, reason in failures]
        total = len(smiles)

    output_path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_write(invalid_path, "w") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(["id", "input", "reason"])
        writer.writerows(invalid_rows)
    if total and not ids:
        raise ValueError(
            f"none of the {total} inputs of {input_path} could be embedded by {model.name}; "
            f"the reason for each is in {invalid_path}"
        )
    with atomic_write(output_path, "wb") as handle:
        np.savez(handle, ids=np.asarray(ids, dtype=str), embeddings=np.asarray(embeddings, dtype=np.float32))

    kinds = Counter(reason_kind(reason) for _, _, reason in invalid_rows)
    summary = {"inputs": total, "embedded": len(ids), "invalid": len(invalid_rows), "invalid_by_reason": dict(kinds)}
    logger.info("embedded %d of %d inputs with %s; %d invalid %s, listed in %s",
                len(ids), total, model.name, len(invalid_rows), dict(kinds), invalid_path)  # fmt: skip
    return summary

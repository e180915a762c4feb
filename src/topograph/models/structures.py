"""Reading crystal and molecular structures for CHGNet.

Formats: CIF (``.cif``), VASP POSCAR/CONTCAR (``POSCAR*``, ``CONTCAR*``,
``.vasp``) through pymatgen, and extended XYZ (``.xyz``, ``.extxyz``,
possibly many frames) through ASE. A frame without a periodic cell is a
molecule. It is placed in a cubic box with ``MOLECULE_PADDING`` Å of vacuum
on every side, so the 6 Å (atom graph) and 3 Å (bond graph) cutoffs of CHGNet 0.3.0
see no periodic image. Energies and forces stored in an extended XYZ frame
are kept for training.

A file that cannot be parsed is reported with its reason, never dropped
silently.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from pymatgen.core import Lattice, Structure

# Vacuum around a molecule placed in a box, in Å: more than CHGNet 0.3.0's 6 Å cutoff.
MOLECULE_PADDING = 10.0
STRUCTURE_SUFFIXES = (".cif", ".vasp", ".xyz", ".extxyz")


@dataclass
class LabelledStructure:
    """A structure with an identifier and, for training, its energy (eV) and forces (eV/Å)."""

    identifier: str
    structure: Structure
    energy: float | None = None
    forces: np.ndarray | None = None


def is_structure_file(path: str | Path) -> bool:
    """Return whether ``path`` names a structure file by its suffix or VASP name."""
    path = Path(path)
    return path.suffix.lower() in STRUCTURE_SUFFIXES or path.name.upper().startswith(("POSCAR", "CONTCAR"))


def _box_molecule(symbols: list[str], positions: np.ndarray) -> Structure:
    centred = positions - positions.mean(axis=0)
    size = float(np.ptp(centred, axis=0).max()) + 2 * MOLECULE_PADDING
    return Structure(Lattice.cubic(size), symbols, centred + size / 2, coords_are_cartesian=True)


def _atoms_to_labelled(atoms, identifier: str) -> LabelledStructure:
    symbols = atoms.get_chemical_symbols()
    if atoms.pbc.any() and atoms.cell.rank == 3:
        structure = Structure(Lattice(atoms.cell.array), symbols, atoms.positions, coords_are_cartesian=True)
    else:
        structure = _box_molecule(symbols, atoms.positions)
    energy = forces = None
    if atoms.calc is not None:
        results = atoms.calc.results
        if "energy" in results:
            energy = float(results["energy"])
        if "forces" in results:
            forces = np.asarray(results["forces"], dtype=float)
    return LabelledStructure(identifier, structure, energy, forces)


def read_structure_file(path: str | Path) -> tuple[list[LabelledStructure], list[tuple[str, str]]]:
    """Read every structure of one file.

    Returns
    -------
    structures, invalid
        The structures read, and ``(identifier, reason)`` for a file that failed.
    """
    path = Path(path)
    if not path.is_file():
        return [], [(path.name, f"structure file {path} not found")]
    suffix = path.suffix.lower()
    try:
        if suffix in (".xyz", ".extxyz"):
            from ase.io import read

            frames = read(path, index=":", format="extxyz")
            if len(frames) == 1:
                return [_atoms_to_labelled(frames[0], path.stem)], []
            return [_atoms_to_labelled(atoms, f"{path.stem}:{index}") for index, atoms in enumerate(frames)], []
        structure = Structure.from_file(path)
    except Exception as error:  # noqa: BLE001 - parsers raise many unrelated types on bad files
        return [], [(path.name, f"cannot parse {path.name}: {type(error).__name__}: {error}".strip())]
    if len(structure) == 0:
        return [], [(path.name, f"{path.name} contains no atoms")]
    return [LabelledStructure(path.stem, structure)], []


def read_structures(source: str | Path) -> tuple[list[LabelledStructure], list[tuple[str, str]]]:
    """Read structures from a file, a folder of files, or a CSV with a ``path`` column.

    Paths in a CSV are relative to the CSV's folder; an ``id`` column, when
    present, names the structures.
    """
    source = Path(source)
    if source.is_dir():
        paths = sorted(path for path in source.iterdir() if path.is_file() and is_structure_file(path))
        identifiers = [None] * len(paths)
    elif source.suffix.lower() == ".csv":
        with open(source, newline="") as handle:
            rows = list(csv.DictReader(handle))
        if rows and "path" not in rows[0]:
            raise ValueError(f"structure list {source} needs a 'path' column; its columns are {list(rows[0])}")
        paths = [source.parent / row["path"] for row in rows]
        identifiers = [row.get("id") for row in rows]
    else:
        paths, identifiers = [source], [None]

    structures: list[LabelledStructure] = []
    invalid: list[tuple[str, str]] = []
    for path, identifier in zip(paths, identifiers):
        read, failed = read_structure_file(path)
        if identifier and len(read) == 1:
            read[0].identifier = identifier
        structures.extend(read)
        invalid.extend((identifier or name, reason) for name, reason in failed)
    return structures, invalid

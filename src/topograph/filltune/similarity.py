"""Morgan fingerprints, Tanimoto similarity and canonical SMILES.

Fingerprints are RDKit Morgan (circular) bit vectors of radius 3 and 2048
bits, the setting of the fill-tuning response. A SMILES string that RDKit
cannot parse, an empty string and ``None`` all count as invalid molecules.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from rdkit import Chem, DataStructs, RDLogger
from rdkit.Chem import rdFingerprintGenerator

MORGAN_RADIUS = 3
MORGAN_BITS = 2048

# RDKit logs every unparsable SMILES at error level; decoders of untrained
# models produce many, and the callers count them instead.
RDLogger.DisableLog("rdApp.*")


def molecule_from_smiles(smiles: str | None):
    """Return the RDKit molecule of ``smiles``, or ``None`` when it is invalid."""
    if smiles is None or not isinstance(smiles, str) or not smiles.strip():
        return None
    return Chem.MolFromSmiles(smiles)


def canonical_smiles(smiles: str | None) -> str | None:
    """Return RDKit's canonical SMILES, or ``None`` for an invalid molecule."""
    molecule = molecule_from_smiles(smiles)
    if molecule is None:
        return None
    return Chem.MolToSmiles(molecule)


def morgan_fingerprints(
    smiles: Sequence[str | None], radius: int = MORGAN_RADIUS, bits: int = MORGAN_BITS
) -> list:
    """Return one Morgan bit vector per SMILES, ``None`` where it is invalid."""
    generator = rdFingerprintGenerator.GetMorganGenerator(radius=radius, fpSize=bits)
    fingerprints = []
    for text in smiles:
        molecule = molecule_from_smiles(text)
        fingerprints.append(
            None if molecule is None else generator.GetFingerprint(molecule)
        )
    return fingerprints


def tanimoto(first, second) -> float:
    """Return the Tanimoto similarity of two fingerprints, 0 if either is ``None``."""
    if first is None or second is None:
        return 0.0
    return float(DataStructs.TanimotoSimilarity(first, second))


def mean_neighbour_similarity(
    sample_smiles: Sequence[str | None],
    neighbour_smiles: Sequence[Sequence[str | None]],
    radius: int = MORGAN_RADIUS,
    bits: int = MORGAN_BITS,
) -> np.ndarray:
    """Return the mean Tanimoto similarity of each molecule to its neighbours.

    Parameters
    ----------
    sample_smiles : sequence of str or None, length n
    neighbour_smiles : sequence of n sequences of str or None
        The molecules decoded at the neighbours of each sample (the same
        number per sample is not required).
    radius, bits : int
        Morgan fingerprint settings.

    Returns
    -------
    ndarray, shape (n,)
        Mean similarity over the neighbours. A pair in which either molecule
        is invalid contributes 0, so a sample whose own molecule is invalid
        gets 0.
    """
    if len(sample_smiles) != len(neighbour_smiles):
        raise ValueError(
            f"got {len(sample_smiles)} samples but {len(neighbour_smiles)} lists of "
            "neighbours; pass one list of neighbours per sample"
        )
    flat = [text for group in neighbour_smiles for text in group]
    sample_prints = morgan_fingerprints(sample_smiles, radius, bits)
    neighbour_prints = morgan_fingerprints(flat, radius, bits)
    response = np.zeros(len(sample_smiles))
    start = 0
    for index, group in enumerate(neighbour_smiles):
        stop = start + len(group)
        if len(group) == 0:
            raise ValueError(f"sample {index} has no neighbours; give at least one")
        similarities = [
            tanimoto(sample_prints[index], neighbour)
            for neighbour in neighbour_prints[start:stop]
        ]
        response[index] = float(np.mean(similarities))
        start = stop
    return response

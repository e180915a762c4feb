"""Measures of an encoder-decoder: exact reconstruction and decoding of random latents."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from topograph.models.base import MolecularModel
from topograph.models.selfies_tokenizer import canonical_smiles


def reconstruction_share(model: MolecularModel, smiles: Sequence[str]) -> dict:
    """Encode molecules to the latent, decode greedily and count exact matches.

    A match compares RDKit canonical SMILES, without stereochemistry when the
    model's vocabulary cannot represent it. Molecules the model cannot
    encode count as failures and are listed.
    """
    isomeric = getattr(getattr(model, "tokenizer", None), "isomeric", True)
    latents, valid, invalid = model.encode_checked(smiles)
    decoded = model.decode(latents) if len(valid) else []
    matches = sum(
        1 for index, result in zip(valid, decoded) if result is not None and result == canonical_smiles(smiles[index], isomeric)
    )
    valid_decoded = sum(1 for result in decoded if result is not None)
    return {
        "molecules": len(smiles),
        "encoded": len(valid),
        "exact": matches,
        "exact_share": matches / len(smiles) if smiles else 0.0,
        "valid_decoded_share": valid_decoded / len(smiles) if smiles else 0.0,
        "not_encoded": [[index, reason] for index, reason in invalid],
    }


def random_latent_decoding(model: MolecularModel, count: int, seed: int) -> dict:
    """Decode ``count`` points drawn uniformly from the latent box.

    Returns the share of valid molecules (RDKit parses the decoded SMILES),
    the share of unique molecules among the valid ones, and the molecules.
    """
    if count < 1:
        raise ValueError(f"count {count} must be a positive number of latent points")
    low, high = model.latent_bounds
    if not (np.isfinite(low) and np.isfinite(high)):
        raise ValueError(f"model {model.name} has an unbounded latent space; random points need a bounded box")
    points = np.random.default_rng(seed).uniform(low, high, size=(count, model.latent_dim))
    decoded = model.decode(points)
    valid = [item for item in decoded if item is not None and canonical_smiles(item) is not None]
    return {
        "points": count,
        "seed": seed,
        "valid_share": len(valid) / count,
        "unique_share_of_valid": len(set(valid)) / len(valid) if valid else 0.0,
        "molecules": decoded,
    }

"""Turn minima of the roughness surface into new molecules.

A model with a decoder decodes the minima, mapped back to its latent box,
in order from the roughest. Invalid decodings and repeats of a canonical
SMILES already proposed are skipped, and the first ``n_proposals`` distinct
molecules are kept (100 in the published settings).

A model without a decoder cannot make new molecules, so each minimum
retrieves the pool molecule whose embedding is nearest to it (Euclidean)
among those not chosen yet. The proposals are then known molecules that sit
in the rough regions of the embedding space.

The statistics follow the usual generative-model definitions. Validity is
the fraction of decoded minima that are valid molecules, and uniqueness the
fraction of valid ones that are distinct. Novelty is the fraction of the
kept proposals that are not in a reference corpus (canonical SMILES). When
fewer than ``n_proposals`` molecules are found, ``shortfall`` gives the reason.
"""

from __future__ import annotations

import csv
import json
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from topograph.database.atomic import atomic_write
from topograph.filltune.response import decode_in_batches
from topograph.filltune.similarity import canonical_smiles

logger = logging.getLogger(__name__)

DEFAULT_PROPOSALS = 100


@dataclass
class Proposals:
    """Proposed molecules and the statistics of how they were found.

    Attributes
    ----------
    smiles : list of str
        Canonical SMILES, roughest region first.
    minimum_ranks : list of int
        The rank of the surface minimum behind each molecule.
    energies : list of float
        The surface energy of that minimum.
    statistics : dict
        ``method``, ``requested``, ``candidates``, ``decoded``, ``valid``,
        ``unique``, ``kept``, ``novel``, ``validity``, ``uniqueness``,
        ``novelty`` and ``shortfall`` (``None`` when ``requested`` were kept).
    """

    smiles: list = field(default_factory=list)
    minimum_ranks: list = field(default_factory=list)
    energies: list = field(default_factory=list)
    statistics: dict = field(default_factory=dict)

    def save(self, proposals_path, statistics_path=None) -> None:
        """Write ``rank, smiles, minimum_rank, energy`` rows and the statistics as JSON."""
        proposals_path = Path(proposals_path)
        proposals_path.parent.mkdir(parents=True, exist_ok=True)
        with atomic_write(proposals_path, "w") as handle:
            writer = csv.writer(handle)
            writer.writerow(["rank", "smiles", "minimum_rank", "energy"])
            for rank, row in enumerate(
                zip(self.smiles, self.minimum_ranks, self.energies, strict=True)
            ):
                writer.writerow([rank, row[0], row[1], repr(float(row[2]))])
        if statistics_path is not None:
            statistics_path = Path(statistics_path)
            statistics_path.parent.mkdir(parents=True, exist_ok=True)
            with atomic_write(statistics_path, "w") as handle:
                json.dump(self.statistics, handle, indent=2)


def canonical_corpus(smiles: Iterable[str]) -> set[str]:
    """Return the set of canonical SMILES of ``smiles``, invalid ones left out."""
    corpus = set()
    for text in smiles:
        canonical = canonical_smiles(text)
        if canonical is not None:
            corpus.add(canonical)
    return corpus


def propose_by_decoding(
    model,
    latents: np.ndarray,
    energies: Sequence[float],
    n_proposals: int = DEFAULT_PROPOSALS,
    corpus: set[str] | None = None,
    batch_size: int = 512,
) -> Proposals:
    """Decode surface minima, roughest first, into distinct valid molecules.

    Parameters
    ----------
    model
        A model with ``has_decoder`` true, ``latent_dim`` and ``decode``.
    latents : ndarray, shape (k, latent_dim)
        The minima in latent coordinates, roughest first.
    energies : sequence of float, length k
    n_proposals : int
        How many molecules to keep.
    corpus : set of str, optional
        Canonical SMILES against which novelty is measured.
    batch_size : int
        Latent vectors per ``decode`` call.

    Returns
    -------
    Proposals
    """
    latents = _check_latents(latents, energies, model, n_proposals)
    decoded = decode_in_batches(model, latents, batch_size) if len(latents) else []
    proposals = Proposals()
    valid = 0
    distinct: set[str] = set()
    for rank, text in enumerate(decoded):
        canonical = canonical_smiles(text)
        if canonical is None:
            continue
        valid += 1
        if canonical in distinct:
            continue
        distinct.add(canonical)
        if len(proposals.smiles) < n_proposals:
            proposals.smiles.append(canonical)
            proposals.minimum_ranks.append(rank)
            proposals.energies.append(float(energies[rank]))

    shortfall = None
    if len(proposals.smiles) < n_proposals:
        if len(latents) < n_proposals:
            shortfall = (
                f"only {len(latents)} surface minima lie below the cut, fewer than the "
                f"{n_proposals} requested; {len(proposals.smiles)} distinct valid "
                "molecules were decoded from them"
            )
        else:
            shortfall = (
                f"the {len(latents)} surface minima decoded to {valid} valid and "
                f"{len(distinct)} distinct molecules, fewer than the {n_proposals} "
                "requested"
            )
        logger.warning("kept %d proposals: %s", len(proposals.smiles), shortfall)
    proposals.statistics = _statistics(
        "decode", n_proposals, len(latents), len(decoded), valid, len(distinct),
        proposals.smiles, corpus, shortfall,
    )  # fmt: skip
    return proposals


def propose_by_retrieval(
    model,
    latents: np.ndarray,
    energies: Sequence[float],
    pool_smiles: Sequence[str],
    n_proposals: int = DEFAULT_PROPOSALS,
    corpus: set[str] | None = None,
) -> Proposals:
    """Retrieve the nearest pool molecule not chosen yet for each minimum, roughest first.

    Parameters
    ----------
    model
        Any model with ``encode_checked`` and ``latent_dim``.
    latents : ndarray, shape (k, latent_dim)
        The minima in embedding coordinates, roughest first.
    energies : sequence of float, length k
    pool_smiles : sequence of str
        The molecules to retrieve from.
    n_proposals : int
    corpus : set of str, optional
        Canonical SMILES against which novelty is measured.

    Returns
    -------
    Proposals
    """
    latents = _check_latents(latents, energies, model, n_proposals)
    embeddings, valid_indices, rejected = model.encode_checked(list(pool_smiles))
    embeddings = np.asarray(embeddings, dtype=np.float64)
    if rejected:
        logger.warning(
            "model %s rejected %d of %d pool molecules; they cannot be retrieved",
            model.name, len(rejected), len(pool_smiles),
        )  # fmt: skip
    pool = [canonical_smiles(pool_smiles[index]) for index in valid_indices]
    available = np.array([text is not None for text in pool])

    proposals = Proposals()
    chosen: set[str] = set()
    for rank, latent in enumerate(latents):
        if len(proposals.smiles) >= n_proposals or not available.any():
            break
        distances = np.linalg.norm(embeddings - latent, axis=1)
        distances[~available] = np.inf
        nearest = int(np.argmin(distances))
        # Every pool row with the same molecule is used up with it.
        for row in np.flatnonzero(available):
            if pool[row] == pool[nearest]:
                available[row] = False
        chosen.add(pool[nearest])
        proposals.smiles.append(pool[nearest])
        proposals.minimum_ranks.append(rank)
        proposals.energies.append(float(energies[rank]))

    shortfall = None
    if len(proposals.smiles) < n_proposals:
        limit = (
            "surface minima below the cut"
            if len(latents) < n_proposals
            else "distinct pool molecules"
        )
        shortfall = (
            f"only {len(proposals.smiles)} molecules were retrieved ({len(latents)} "
            f"surface minima, {len(set(text for text in pool if text))} distinct pool "
            f"molecules): too few {limit}"
        )
        logger.warning("kept %d proposals: %s", len(proposals.smiles), shortfall)
    kept = len(proposals.smiles)
    proposals.statistics = _statistics(
        "retrieve",
        n_proposals,
        len(latents),
        kept,
        kept,
        kept,
        proposals.smiles,
        corpus,
        shortfall,
    )
    return proposals


def _check_latents(latents, energies, model, n_proposals) -> np.ndarray:
    latents = np.asarray(latents, dtype=np.float64)
    if latents.ndim != 2 or (len(latents) and latents.shape[1] != model.latent_dim):
        raise ValueError(
            f"the minima must have shape (k, {model.latent_dim}) for model "
            f"{model.name!r}; got {latents.shape}"
        )
    if len(energies) != len(latents):
        raise ValueError(
            f"got {len(latents)} minima but {len(energies)} energies; pass one energy "
            "per minimum"
        )
    if (
        isinstance(n_proposals, bool)
        or int(n_proposals) != n_proposals
        or n_proposals < 1
    ):
        raise ValueError(f"n_proposals must be a positive integer; got {n_proposals!r}")
    return latents


def _statistics(
    method, requested, candidates, decoded, valid, unique, kept, corpus, shortfall
):
    novel = None if corpus is None else sum(text not in corpus for text in kept)
    return {
        "method": method,
        "requested": int(requested),
        "candidates": int(candidates),
        "decoded": int(decoded),
        "valid": int(valid),
        "unique": int(unique),
        "kept": len(kept),
        "novel": novel,
        "validity": valid / decoded if decoded else None,
        "uniqueness": unique / valid if valid else None,
        "novelty": None if novel is None or not kept else novel / len(kept),
        "shortfall": shortfall,
    }

"""The fill-tuning response: how similar a model's nearby outputs are.

For a model with a decoder, the response at a latent sample is the mean
Tanimoto similarity (Morgan radius 3, 2048 bits) of two molecules: the one
decoded at the sample and each one decoded at its neighbours on a small
sphere (:mod:`topograph.filltune.sampling`). An invalid decoding
counts 0. A smooth, well-embedded region decodes to similar molecules and
scores near 1, and a rough one scores near 0.

A model without a decoder cannot be probed at arbitrary points. Its
response is computed at the embeddings of a pool of known molecules
instead: the mean similarity of each pool molecule to the molecules of its
``n_neighbours`` nearest embeddings (Euclidean distance, the molecule
itself left out).

Either way the result is a data table whose rows are the latent points
followed by the response, the layout that the ``rbf_interpolant`` potential
reads (``.npy``, ``.npz`` or ``.csv``).
"""

from __future__ import annotations

import csv
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from sklearn.neighbors import NearestNeighbors

from topograph.database.atomic import atomic_write
from topograph.filltune.sampling import LatentSamples
from topograph.filltune.similarity import mean_neighbour_similarity

logger = logging.getLogger(__name__)

TABLE_SUFFIXES = (".npy", ".npz", ".csv")


@dataclass(frozen=True)
class ResponseTable:
    """Latent points, their response and the molecules behind it.

    Attributes
    ----------
    points : ndarray, shape (n, d)
        Latent samples (decoder models) or pool embeddings.
    response : ndarray, shape (n,)
        Mean neighbour similarity in [0, 1].
    smiles : list of str or None
        The molecule decoded at each point, or the pool molecule.
    """

    points: np.ndarray
    response: np.ndarray
    smiles: list

    def save(self, path, molecules_path=None) -> None:
        """Write the table; optionally the molecules as CSV (index, smiles, response)."""
        write_response_table(path, self.points, self.response)
        if molecules_path is not None:
            write_molecules(molecules_path, self.smiles, self.response)


def decode_in_batches(model, latents: np.ndarray, batch_size: int = 512) -> list:
    """Decode ``latents (n, d)`` with ``model.decode`` in batches of ``batch_size``."""
    if not getattr(model, "has_decoder", False):
        raise ValueError(
            f"model {getattr(model, 'name', model)!r} has no decoder; compute its "
            "response on a pool of molecules with embedding_response instead"
        )
    decoded = []
    for start in range(0, latents.shape[0], batch_size):
        batch = model.decode(latents[start : start + batch_size])
        if len(batch) != min(batch_size, latents.shape[0] - start):
            raise ValueError(
                f"model {model.name!r} returned {len(batch)} molecules for "
                f"{min(batch_size, latents.shape[0] - start)} latent vectors"
            )
        decoded.extend(batch)
    return decoded


def decoder_response(
    model, samples: LatentSamples, batch_size: int = 512
) -> ResponseTable:
    """Decode every sample and neighbour and compute the response of each sample.

    Parameters
    ----------
    model
        A model with ``has_decoder`` true, ``latent_dim`` and ``decode``.
    samples : LatentSamples
    batch_size : int
        Latent vectors per ``decode`` call.

    Returns
    -------
    ResponseTable
    """
    if samples.dimension != model.latent_dim:
        raise ValueError(
            f"the samples have dimension {samples.dimension} but model "
            f"{model.name!r} has latent_dim {model.latent_dim}; draw them with "
            f"--dimension {model.latent_dim}"
        )
    n, k = samples.n_samples, samples.n_neighbours
    latents = np.concatenate(
        [samples.samples, samples.neighbours.reshape(n * k, samples.dimension)]
    )
    decoded = decode_in_batches(model, latents, batch_size)
    sample_smiles = decoded[:n]
    neighbour_smiles = [decoded[n + i * k : n + (i + 1) * k] for i in range(n)]
    response = mean_neighbour_similarity(sample_smiles, neighbour_smiles)

    invalid = sum(text is None for text in decoded)
    logger.info(
        "decoded %d latent vectors with %s: %d invalid (%.1f %%); mean response %.4f",
        len(decoded), model.name, invalid, 100.0 * invalid / len(decoded), response.mean(),
    )  # fmt: skip
    return ResponseTable(samples.samples.copy(), response, list(sample_smiles))


def embedding_response(
    model, pool_smiles: Sequence[str], n_neighbours: int = 10
) -> ResponseTable:
    """Compute the response at the embeddings of a pool of molecules.

    Parameters
    ----------
    model
        Any model with ``encode_checked``; a decoder is not needed.
    pool_smiles : sequence of str
        The pool. Molecules the model rejects are left out and logged.
    n_neighbours : int
        Nearest embeddings each molecule is compared with.

    Returns
    -------
    ResponseTable
        One row per accepted pool molecule, in pool order.
    """
    if n_neighbours < 1:
        raise ValueError(f"n_neighbours must be at least 1; got {n_neighbours}")
    embeddings, valid_indices, rejected = model.encode_checked(list(pool_smiles))
    embeddings = np.asarray(embeddings, dtype=np.float64)
    if rejected:
        first_index, first_reason = rejected[0]
        logger.warning(
            "model %s rejected %d of %d pool molecules (first: index %d, %s)",
            model.name, len(rejected), len(pool_smiles), first_index, first_reason,
        )  # fmt: skip
    if embeddings.shape[0] <= n_neighbours:
        raise ValueError(
            f"only {embeddings.shape[0]} pool molecules were embedded, but each needs "
            f"{n_neighbours} neighbours; use a larger pool or fewer neighbours"
        )
    smiles = [pool_smiles[index] for index in valid_indices]

    # The nearest point of each embedding is itself (or an identical
    # embedding), so ask for one more and drop the row's own index.
    search = NearestNeighbors(n_neighbors=n_neighbours + 1).fit(embeddings)
    _, indices = search.kneighbors(embeddings)
    neighbour_smiles = []
    for row, candidates in enumerate(indices):
        others = [int(index) for index in candidates if index != row][:n_neighbours]
        neighbour_smiles.append([smiles[index] for index in others])
    response = mean_neighbour_similarity(smiles, neighbour_smiles)
    logger.info(
        "response of %d pool embeddings of %s: mean %.4f",
        len(smiles), model.name, response.mean(),
    )  # fmt: skip
    return ResponseTable(embeddings, response, smiles)


def write_response_table(path, points: np.ndarray, response: np.ndarray) -> None:
    """Write ``[points, response]`` as a table the ``rbf_interpolant`` potential reads.

    The suffix chooses the format: ``.npy``, ``.npz`` (one array ``table``)
    or ``.csv`` (a header ``x0, ..., x{d-1}, response``, full precision).
    """
    path = Path(path)
    points = np.asarray(points, dtype=np.float64)
    response = np.asarray(response, dtype=np.float64)
    if points.ndim != 2 or response.shape != (points.shape[0],):
        raise ValueError(
            f"points must have shape (n, d) and response (n,); got {points.shape} "
            f"and {response.shape}"
        )
    table = np.column_stack([points, response])
    suffix = path.suffix.lower()
    if suffix not in TABLE_SUFFIXES:
        raise ValueError(
            f"unsupported response table type '{path}'; use one of "
            f"{', '.join(TABLE_SUFFIXES)}"
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    if suffix == ".csv":
        header = [f"x{index}" for index in range(points.shape[1])] + ["response"]
        with atomic_write(path, "w") as handle:
            writer = csv.writer(handle)
            writer.writerow(header)
            writer.writerows([[repr(float(value)) for value in row] for row in table])
        return
    with atomic_write(path, "wb") as handle:
        if suffix == ".npy":
            np.save(handle, table)
        else:
            np.savez(handle, table=table)


def write_molecules(path, smiles: Sequence, response: np.ndarray) -> None:
    """Write ``index, smiles, response`` rows; an invalid molecule is an empty cell."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_write(path, "w") as handle:
        writer = csv.writer(handle)
        writer.writerow(["index", "smiles", "response"])
        for index, (text, value) in enumerate(zip(smiles, response, strict=True)):
            writer.writerow([index, text or "", repr(float(value))])

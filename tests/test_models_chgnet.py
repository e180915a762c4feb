"""CHGNet: structure reading, 64-d crystal features, checkpoints and training on energies and forces."""

from __future__ import annotations

import os

os.environ["HF_HUB_OFFLINE"] = "1"

import numpy as np
import pytest
import torch
from ase.build import bulk, molecule
from ase.calculators.emt import EMT
from ase.io import write
from pymatgen.core import Lattice, Structure

from topograph.models import load_model
from topograph.models.chgnet_model import load_chgnet, train_chgnet
from topograph.models.structures import MOLECULE_PADDING, read_structures

torch.set_num_threads(1)


@pytest.fixture(scope="module")
def model():
    return load_model("chgnet")


def rock_salt() -> Structure:
    return Structure.from_spacegroup("Fm-3m", Lattice.cubic(5.64), ["Na", "Cl"], [[0, 0, 0], [0.5, 0.5, 0.5]])


def labelled_copper_frames(path, count: int = 4):
    """Write rattled copper cells with EMT energies and forces (an independent potential) to extended XYZ."""
    frames = []
    rng = np.random.default_rng(0)
    for _ in range(count):
        atoms = bulk("Cu", "fcc", a=3.6, cubic=True)
        atoms.positions += rng.normal(0, 0.05, atoms.positions.shape)
        atoms.calc = EMT()
        atoms.get_potential_energy()
        atoms.get_forces()
        frames.append(atoms)
    write(path, frames, format="extxyz")
    return frames


def test_embedding_matches_predict_structure(model):
    embeddings, ids, invalid = model.encode_structures([rock_salt()])
    reference = model.network.predict_structure(rock_salt(), task="e", return_crystal_feas=True)["crystal_fea"]
    assert embeddings.shape == (1, 64)
    assert embeddings.dtype == np.float32
    assert invalid == []
    np.testing.assert_allclose(embeddings[0], reference, rtol=1e-6)


def test_formats_give_same_embedding(model, tmp_path):
    structure = rock_salt()
    structure.to(filename=str(tmp_path / "salt.cif"))
    structure.to(filename=str(tmp_path / "POSCAR"), fmt="poscar")
    write(tmp_path / "salt.extxyz", structure.to_ase_atoms(), format="extxyz")
    embeddings, ids, invalid = model.encode_structures([tmp_path / "salt.cif", tmp_path / "POSCAR", tmp_path / "salt.extxyz"])
    assert invalid == []
    assert ids == ["salt", "POSCAR", "salt"]
    np.testing.assert_allclose(embeddings[1], embeddings[0], atol=1e-4)
    np.testing.assert_allclose(embeddings[2], embeddings[0], atol=1e-4)


def test_molecule_is_placed_in_box(tmp_path):
    write(tmp_path / "water.xyz", molecule("H2O"), format="xyz")
    structures, invalid = read_structures(tmp_path / "water.xyz")
    assert invalid == []
    lattice = structures[0].structure.lattice
    assert lattice.abc[0] == pytest.approx(lattice.abc[1])
    assert min(lattice.abc) > 2 * MOLECULE_PADDING
    distances = structures[0].structure.distance_matrix
    assert distances[0, 1] == pytest.approx(np.linalg.norm(molecule("H2O").positions[0] - molecule("H2O").positions[1]))


def test_unparsable_cif_is_reported(model, tmp_path):
    (tmp_path / "broken.cif").write_text("data_broken\n_cell_length_a what\nloop_\n_atom_site_label\n")
    rock_salt().to(filename=str(tmp_path / "good.cif"))
    embeddings, ids, invalid = model.encode_structures([tmp_path])
    assert ids == ["good"]
    assert len(invalid) == 1
    assert invalid[0][0] == "broken.cif"
    assert "cannot parse" in invalid[0][1]


def test_encode_checked_reports_index(model, tmp_path):
    (tmp_path / "broken.cif").write_text("nonsense")
    embeddings, rows, invalid = model.encode_checked([rock_salt(), tmp_path / "broken.cif", "missing.cif"])
    assert rows == [0]
    assert [index for index, _ in invalid] == [1, 2]
    assert "not found" in invalid[1][1]


def test_extxyz_frames_keep_energy_and_forces(tmp_path):
    frames = labelled_copper_frames(tmp_path / "cu.extxyz", count=2)
    structures, invalid = read_structures(tmp_path / "cu.extxyz")
    assert [item.identifier for item in structures] == ["cu:0", "cu:1"]
    assert structures[1].energy == pytest.approx(frames[1].get_potential_energy())
    np.testing.assert_allclose(structures[1].forces, frames[1].get_forces())


def test_save_load_bit_identical(model, tmp_path):
    model.save(tmp_path / "chgnet")
    loaded = load_chgnet(tmp_path / "chgnet")
    first, _, _ = model.encode_structures([rock_salt()])
    second, _, _ = loaded.encode_structures([rock_salt()])
    assert np.array_equal(first, second)
    assert sorted(path.name for path in (tmp_path / "chgnet").iterdir()) == ["model.safetensors", "topograph_model.json"]


def test_corrupted_weights_raise(model, tmp_path):
    model.save(tmp_path)
    (tmp_path / "model.safetensors").write_bytes(b"\x00" * 64)
    with pytest.raises(ValueError, match="corrupted"):
        load_chgnet(tmp_path)


def test_training_fast_dev_run(model, tmp_path):
    labelled_copper_frames(tmp_path / "cu.extxyz")
    structures, _ = read_structures(tmp_path / "cu.extxyz")
    graphs, converted, _ = model.graphs_checked(structures)
    samples = [(graph, item.energy / len(item.structure), torch.tensor(item.forces, dtype=torch.float32))
               for graph, item in zip(graphs, converted)]  # fmt: skip
    before = {key: value.clone() for key, value in model.network.state_dict().items()}
    trained = train_chgnet(model.network, samples, epochs=1, batch_size=2, learning_rate=1e-3, seed=0,
                           accelerator="cpu", max_steps=None, precision="32-true", work_directory=tmp_path,
                           fast_dev_run=True)  # fmt: skip
    changed = [key for key, value in trained.state_dict().items() if not torch.equal(value, before[key])]
    assert changed
    assert all(torch.equal(value, before[key]) for key, value in model.network.state_dict().items())


def test_continue_training_lowers_energy_error(model, tmp_path):
    frames = labelled_copper_frames(tmp_path / "cu.extxyz")
    targets = np.array([atoms.get_potential_energy() / len(atoms) for atoms in frames])

    def energy_error(chgnet) -> float:
        structures, _ = read_structures(tmp_path / "cu.extxyz")
        predicted = [chgnet.network.predict_structure(item.structure, task="e")["e"] for item in structures]
        return float(np.mean((np.array(predicted).ravel() - targets) ** 2))

    result = model.continue_pretraining([tmp_path / "cu.extxyz"], str(tmp_path / "tuned"), epochs=5, batch_size=4,
                                        learning_rate=1e-3, accelerator="cpu")  # fmt: skip
    assert energy_error(result) < energy_error(model)
    with pytest.raises(ValueError, match="no structure with an energy"):
        model.continue_pretraining([rock_salt()], str(tmp_path / "unlabelled"), accelerator="cpu")

"""CHGNet crystal embeddings and continued training on energies and forces.

Embedding: the 64-d crystal feature that CHGNet pools from its atom
features before the energy head, from
``predict_structure(..., task="e", return_crystal_feas=True)``; the energy
task alone avoids the force and stress derivatives, which cost about 20×
more. The pretrained weights are the ``0.3.0`` model that ships inside
``chgnet`` (read by chgnet's own loader). Checkpoints written here store
``model_args`` as JSON and the weights as safetensors.

Continued training minimises the mean squared error of the energy per atom
(eV/atom) plus that of the forces (eV/Å), CHGNet's own loss terms with unit
weights, in a Lightning loop.
"""

from __future__ import annotations

import copy
import logging
from collections.abc import Sequence
from pathlib import Path

import lightning
import numpy as np
import torch
from lightning.pytorch.loggers import CSVLogger
from pymatgen.core import Structure
from safetensors.torch import save_file
from torch.utils.data import DataLoader

from topograph.models.base import MolecularModel
from topograph.models.checkpoint_files import MODEL_INFO_FILE, read_json, read_safetensors, write_json
from topograph.models.selfies_ted_training import linear_schedule
from topograph.models.structures import LabelledStructure, read_structures

logger = logging.getLogger(__name__)

PRETRAINED_VERSION = "0.3.0"
WEIGHTS_FILE = "model.safetensors"


def _as_labelled(item, index: int) -> tuple[list[LabelledStructure], list[tuple[str, str]]]:
    if isinstance(item, LabelledStructure):
        return [item], []
    if isinstance(item, Structure):
        return [LabelledStructure(str(index), item)], []
    if isinstance(item, (str, Path)):
        return read_structures(item)
    return [], [(str(index), f"input {index} of type {type(item).__name__} is not a structure or a structure file")]


class ChgnetModel(MolecularModel):
    """CHGNet behind the :class:`MolecularModel` interface (no decoder).

    Inputs are pymatgen ``Structure`` objects, :class:`LabelledStructure`
    objects or paths of structure files.
    """

    name = "chgnet"
    has_decoder = False

    def __init__(self, network, device: str = "cpu"):
        self.network = network.to(device).eval()
        self.device = device
        self.latent_dim = int(network.model_args.get("atom_fea_dim", 64))

    def graphs_checked(self, inputs: Sequence) -> tuple[list, list[LabelledStructure], list[tuple[str, str]]]:
        """Convert inputs to CHGNet crystal graphs; return graphs, their structures and failures."""
        graphs, converted, invalid = [], [], []
        for index, item in enumerate(inputs):
            structures, failed = _as_labelled(item, index)
            invalid.extend(failed)
            for labelled in structures:
                try:
                    graphs.append(self.network.graph_converter(labelled.structure, graph_id=labelled.identifier))
                except (ValueError, RuntimeError) as error:
                    invalid.append((labelled.identifier, f"CHGNet cannot build a graph: {error}"))
                    continue
                converted.append(labelled)
        return graphs, converted, invalid

    def encode_checked(self, inputs: Sequence) -> tuple[np.ndarray, list[int], list[tuple[int, str]]]:
        """Return 64-d crystal features, the indices of embedded inputs and the failures.

        A file holding several structures contributes several rows; their
        index is that of the file. Use :meth:`encode_structures` for identifiers.
        """
        embeddings, rows, invalid = [], [], []
        for index, item in enumerate(inputs):
            values, _, failed = self.encode_structures([item])
            embeddings.append(values)
            rows.extend([index] * len(values))
            invalid.extend((index, reason) for _, reason in failed)
        stacked = np.concatenate(embeddings) if embeddings else np.zeros((0, self.latent_dim), dtype=np.float32)
        return stacked.astype(np.float32), rows, invalid

    @torch.no_grad()
    def encode_structures(self, inputs: Sequence) -> tuple[np.ndarray, list[str], list[tuple[str, str]]]:
        """Return crystal features, the identifiers of the embedded structures and failures by identifier."""
        graphs, converted, invalid = self.graphs_checked(inputs)
        if not graphs:
            return np.zeros((0, self.latent_dim), dtype=np.float32), [], invalid
        predictions = self.network.predict_graph(graphs, task="e", return_crystal_feas=True, batch_size=16)
        if isinstance(predictions, dict):
            predictions = [predictions]
        embeddings = np.stack([np.asarray(prediction["crystal_fea"], dtype=np.float32) for prediction in predictions])
        return embeddings, [labelled.identifier for labelled in converted], invalid

    def continue_pretraining(
        self,
        smiles: Sequence,
        output_directory: str,
        *,
        epochs: int = 1,
        batch_size: int = 16,
        learning_rate: float = 5e-5,
        seed: int = 0,
        accelerator: str = "auto",
        max_steps: int | None = None,
        precision: str = "32-true",
    ) -> ChgnetModel:
        """Continue training on structures that carry energies and forces, save and reload.

        ``smiles`` contains the training structures here (``LabelledStructure`` objects
        or extended XYZ files with energies and forces); the name follows the interface.
        """
        graphs, converted, invalid = self.graphs_checked(smiles)
        samples = []
        for graph, labelled in zip(graphs, converted):
            if labelled.energy is None or labelled.forces is None:
                invalid.append((labelled.identifier, "structure carries no energy or no forces"))
                continue
            samples.append((graph, labelled.energy / len(labelled.structure), torch.tensor(labelled.forces, dtype=torch.float32)))
        if invalid:
            logger.warning("skipped %d structures for training; the first: %s", len(invalid), invalid[0])
        if not samples:
            raise ValueError("no structure with an energy and forces to train on; give extended XYZ frames with energy and forces")
        network = train_chgnet(
            self.network, samples, epochs=epochs, batch_size=batch_size, learning_rate=learning_rate, seed=seed,
            accelerator=accelerator, max_steps=max_steps, precision=precision, work_directory=Path(output_directory) / "training",
        )
        ChgnetModel(network.cpu()).save(output_directory)
        return load_chgnet(output_directory, self.device)

    def save(self, directory: str | Path) -> None:
        """Write ``model.safetensors`` and ``topograph_model.json`` (with CHGNet's ``model_args``)."""
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        state = {key: value.detach().cpu().contiguous() for key, value in self.network.state_dict().items()}
        save_file(state, str(directory / WEIGHTS_FILE))
        write_json(directory, MODEL_INFO_FILE, {"model": self.name, "model_args": self.network.model_args})


class ChgnetTraining(lightning.LightningModule):
    """Energy-per-atom plus force mean squared error of CHGNet."""

    def __init__(self, network, learning_rate: float, total_steps: int):
        super().__init__()
        self.network = network
        self.learning_rate = learning_rate
        self.total_steps = total_steps

    def transfer_batch_to_device(self, batch, device, dataloader_idx):
        graphs, energies, forces = batch
        return [graph.to(device) for graph in graphs], energies.to(device), [force.to(device) for force in forces]

    def training_step(self, batch, batch_index: int) -> torch.Tensor:
        graphs, energies, forces = batch
        prediction = self.network(graphs, task="ef")
        energy_loss = torch.nn.functional.mse_loss(prediction["e"], energies)
        force_loss = torch.nn.functional.mse_loss(torch.cat(prediction["f"]), torch.cat(forces))
        loss = energy_loss + force_loss
        self.log("train_loss", loss, batch_size=len(graphs))
        return loss

    def configure_optimizers(self):
        optimizer = torch.optim.AdamW(self.parameters(), lr=self.learning_rate, weight_decay=0.0)
        schedule = torch.optim.lr_scheduler.LambdaLR(optimizer, linear_schedule(0, self.total_steps))
        return {"optimizer": optimizer, "lr_scheduler": {"scheduler": schedule, "interval": "step"}}


def _collate(samples):
    graphs = [sample[0] for sample in samples]
    energies = torch.tensor([sample[1] for sample in samples], dtype=torch.float32)
    return graphs, energies, [sample[2] for sample in samples]


def train_chgnet(
    network, samples: list, *, epochs: int, batch_size: int, learning_rate: float, seed: int, accelerator: str,
    max_steps: int | None, precision: str, work_directory: Path, fast_dev_run: bool = False,
):
    """Train a copy of CHGNet on ``(graph, energy per atom, forces)`` samples."""
    lightning.seed_everything(seed, workers=True, verbose=False)
    steps_per_epoch = -(-len(samples) // batch_size)
    total_steps = steps_per_epoch * epochs if max_steps is None else min(max_steps, steps_per_epoch * epochs)
    module = ChgnetTraining(copy.deepcopy(network).train(), learning_rate, total_steps)
    loader = DataLoader(samples, batch_size=batch_size, shuffle=True, collate_fn=_collate,
                        generator=torch.Generator().manual_seed(seed))  # fmt: skip
    trainer = lightning.Trainer(
        accelerator=accelerator, devices=1, precision=precision, max_epochs=epochs, max_steps=total_steps,
        logger=False if fast_dev_run else CSVLogger(work_directory, name="logs"), enable_checkpointing=False,
        enable_progress_bar=False, enable_model_summary=False, fast_dev_run=fast_dev_run, log_every_n_steps=1,
    )
    trainer.fit(module, train_dataloaders=loader)
    return module.network.eval()


def load_chgnet(directory: str | Path | None = None, device: str = "cpu") -> ChgnetModel:
    """Load the pretrained CHGNet shipped in ``chgnet`` (``directory=None``) or a saved checkpoint."""
    from chgnet.model import CHGNet

    if directory is None:
        return ChgnetModel(CHGNet.load(model_name=PRETRAINED_VERSION, use_device=device, verbose=False), device)
    directory = Path(directory)
    info = read_json(directory, MODEL_INFO_FILE)
    if info.get("model") != "chgnet":
        raise ValueError(f"{directory / MODEL_INFO_FILE} describes model {info.get('model')!r}, not chgnet")
    state = read_safetensors(directory, WEIGHTS_FILE)
    network = CHGNet(**info["model_args"])
    try:
        network.load_state_dict(state)
    except RuntimeError as error:
        raise ValueError(f"CHGNet weights in {directory / WEIGHTS_FILE} do not match its model_args: {error}") from None
    return ChgnetModel(network, device)

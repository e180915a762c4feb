"""Check that SELFIES-TED trains and embeds on CUDA with bf16, and time it against CPU.

The script builds the default SELFIES-TED architecture (random weights, the
vocabulary of the QM9 corpus), then on each device

- trains ``--steps`` steps of the pretraining objective with a Lightning
  Trainer (``bf16-mixed`` on CUDA, ``32-true`` on CPU) and reports
  molecules per second after one warm-up step;
- embeds ``--embed`` molecules and decodes their latents greedily, and
  reports molecules per second for each.

It also checks that the CUDA run produced finite losses and that CUDA and
CPU latents of the same weights agree within bf16 tolerance. On a machine
without CUDA it prints a message and exits with status 0. Run it as
``python benchmarks/model_gpu_check.py`` (a minute or two on one GPU).
"""

from __future__ import annotations

import argparse
import copy
import json
import sys
import time

import lightning
import numpy as np
import torch
from lightning.pytorch.callbacks import Callback

from topograph.models.corpus import read_corpus, split_corpus
from topograph.models.selfies_ted import SelfiesTedModel
from topograph.models.selfies_ted_network import ProjectorConfig, default_bart_config
from topograph.models.selfies_ted_training import SelfiesTedPretraining, token_loader
from topograph.models.selfies_tokenizer import SelfiesTokenizer


class StepTimer(Callback):
    """Record the wall time of each training step and its loss."""

    def __init__(self):
        self.starts: list[float] = []
        self.ends: list[float] = []
        self.losses: list[float] = []

    def on_train_batch_start(self, trainer, module, batch, batch_index):
        if torch.cuda.is_available():
            torch.cuda.synchronize()
        self.starts.append(time.perf_counter())

    def on_train_batch_end(self, trainer, module, outputs, batch, batch_index):
        if torch.cuda.is_available():
            torch.cuda.synchronize()
        self.ends.append(time.perf_counter())
        self.losses.append(float(outputs["loss"]))


def train_rate(module, sequences, pad_id: int, batch_size: int, steps: int, accelerator: str, precision: str) -> tuple[float, list[float]]:
    """Return training molecules per second (the first step excluded) and the losses."""
    timer = StepTimer()
    trainer = lightning.Trainer(
        accelerator=accelerator, devices=1, precision=precision, max_steps=steps, logger=False,
        enable_checkpointing=False, enable_progress_bar=False, enable_model_summary=False, callbacks=[timer],
    )  # fmt: skip
    trainer.fit(module, train_dataloaders=token_loader(sequences, pad_id, batch_size, True, 0))
    seconds = sum(end - start for start, end in zip(timer.starts[1:], timer.ends[1:]))
    return batch_size * (len(timer.ends) - 1) / seconds, timer.losses


def inference_rates(model: SelfiesTedModel, smiles: list[str], device: str, dtype: torch.dtype) -> tuple[float, float, np.ndarray]:
    """Return embedding and greedy decoding rates (molecules per second) and the latents."""

    def synchronize():
        if device == "cuda":
            torch.cuda.synchronize()

    with torch.autocast(device_type=device, dtype=dtype, enabled=dtype != torch.float32):
        model.encode(smiles[:64])
        synchronize()
        start = time.perf_counter()
        latents = model.encode(smiles)
        synchronize()
        embed_rate = len(smiles) / (time.perf_counter() - start)
        start = time.perf_counter()
        model.decode(latents)
        synchronize()
        decode_rate = len(smiles) / (time.perf_counter() - start)
    return embed_rate, decode_rate, latents


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=30, help="training steps per device (default: 30)")
    parser.add_argument("--batch-size", type=int, default=128, help="molecules per training step (default: 128)")
    parser.add_argument("--embed", type=int, default=2048, help="molecules to embed and decode (default: 2048)")
    parser.add_argument("--cpu-threads", type=int, default=1, help="torch threads of the CPU run (default: 1)")
    parser.add_argument("--output", help="JSON file for the measured rates")
    parser.add_argument("--cpu-in-place-of-cuda", action="store_true",
                        help="run the CUDA half on the CPU with bf16, to test this script on a machine without a GPU")  # fmt: skip
    arguments = parser.parse_args()

    accelerator, device = "gpu", "cuda"
    if arguments.cpu_in_place_of_cuda:
        accelerator, device = "cpu", "cpu"
    elif not torch.cuda.is_available():
        print("No CUDA device is available; this check needs a GPU and was skipped.")
        return 0
    elif not torch.cuda.is_bf16_supported():
        print(f"{torch.cuda.get_device_name()} does not support bf16; this check was skipped.")
        return 0

    torch.set_num_threads(arguments.cpu_threads)
    lightning.seed_everything(0, verbose=False)
    train, test = split_corpus(read_corpus("qm9"), 0.1, 0, 20000)
    tokenizer = SelfiesTokenizer.from_corpus(train)
    sequences = [tokenizer.encode(smiles, 64) for smiles in train]
    smiles = test[: arguments.embed]

    bart = default_bart_config(len(tokenizer), tokenizer.pad_id, tokenizer.bos_id, tokenizer.eos_id)
    template = SelfiesTedPretraining(
        bart_config=bart.to_dict(), projector_config=ProjectorConfig().to_dict(), learning_rate=5e-4,
        total_steps=arguments.steps, pad_id=tokenizer.pad_id, mask_id=tokenizer.mask_id,
    )  # fmt: skip

    device_name = torch.cuda.get_device_name() if device == "cuda" else "cpu (standing in for CUDA)"
    results = {"device": device_name, "batch_size": arguments.batch_size, "cpu_threads": arguments.cpu_threads}
    gpu_rate, gpu_losses = train_rate(copy.deepcopy(template), sequences, tokenizer.pad_id, arguments.batch_size,
                                      arguments.steps, accelerator, "bf16-mixed")  # fmt: skip
    cpu_rate, _ = train_rate(copy.deepcopy(template), sequences, tokenizer.pad_id, arguments.batch_size,
                             min(arguments.steps, 6), "cpu", "32-true")  # fmt: skip
    results["train_molecules_per_second"] = {"cuda_bf16": gpu_rate, "cpu_fp32": cpu_rate}

    network = copy.deepcopy(template.network).eval()
    gpu_model = SelfiesTedModel(copy.deepcopy(network), tokenizer, device)
    cpu_model = SelfiesTedModel(copy.deepcopy(network), tokenizer, "cpu")
    gpu_embed, gpu_decode, gpu_latents = inference_rates(gpu_model, smiles, device, torch.bfloat16)
    cpu_embed, cpu_decode, cpu_latents = inference_rates(cpu_model, smiles[:256], "cpu", torch.float32)
    results["embed_molecules_per_second"] = {"cuda_bf16": gpu_embed, "cpu_fp32": cpu_embed}
    results["decode_molecules_per_second"] = {"cuda_bf16": gpu_decode, "cpu_fp32": cpu_decode}
    # bf16 keeps 8 bits of mantissa, so latents agree to about 1e-2.
    difference = float(np.abs(gpu_latents[:256] - cpu_latents).max())
    results["max_latent_difference_cuda_bf16_vs_cpu"] = difference

    print(json.dumps(results, indent=2))
    if arguments.output:
        with open(arguments.output, "w") as handle:
            json.dump(results, handle, indent=2)
    failures = []
    if not all(np.isfinite(gpu_losses)):
        failures.append("non-finite training loss on CUDA")
    if difference > 0.1:
        failures.append(f"CUDA and CPU latents differ by {difference:.3f}")
    for failure in failures:
        print(f"FAILED: {failure}", file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())

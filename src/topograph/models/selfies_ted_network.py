"""SELFIES-TED network: a BART encoder-decoder with a bounded latent bottleneck.

The reference SELFIES-TED small model (IBM) is a BART with d_model 256,
feed-forward width 256, 4 heads and 2 encoder plus 2 decoder layers. Its
encoder state of 64 positions × 256 is flattened and mapped by an MLP
16384→512→512→512→128 to a latent vector, and an inverse MLP maps the
latent back to an encoder state that the decoder attends to.

The compact projector used here first projects every position down to
``position_dim`` features (256→16 by default), flattens the fixed
``latent_positions`` positions (64×16 = 1024) and maps them through
``projector_hidden`` (one layer of 512) to the latent, with a final tanh so
that the latent lies in (-1, 1)^latent_dim. The inverse mirrors it. This
keeps the projector near 1.2 M parameters instead of the reference's 9 M,
so a checkpoint stays a few megabytes. ``projector="reference"`` builds the
reference layout (no per-position down-projection, hidden 512, 512, 512)
for checkpoints trained with it.

Encoder positions beyond a molecule's length are set to zero before the
projection, so the latent does not depend on how a batch was padded.
"""

from __future__ import annotations

import inspect
from dataclasses import asdict, dataclass, field

import torch
from torch import nn
from transformers import BartConfig, BartForConditionalGeneration, DynamicCache, EncoderDecoderCache
from transformers.models.bart.modeling_bart import BartDecoder

# transformers 5 renamed the decoder's `past_key_values` argument to `cache`.
CACHE_ARGUMENT = "cache" if "cache" in inspect.signature(BartDecoder.forward).parameters else "past_key_values"


@dataclass
class ProjectorConfig:
    """Shape of the latent bottleneck between encoder and decoder."""

    latent_dim: int = 128
    latent_positions: int = 64
    position_dim: int = 16
    hidden: list[int] = field(default_factory=lambda: [512])

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, values: dict) -> ProjectorConfig:
        known = {key: values[key] for key in ("latent_dim", "latent_positions", "position_dim", "hidden") if key in values}
        return cls(**known)


def default_bart_config(vocab_size: int, pad_id: int, bos_id: int, eos_id: int, dropout: float = 0.0) -> BartConfig:
    """Return the SELFIES-TED small BART configuration for a vocabulary."""
    return BartConfig(
        vocab_size=vocab_size,
        d_model=256,
        encoder_ffn_dim=256,
        decoder_ffn_dim=256,
        encoder_attention_heads=4,
        decoder_attention_heads=4,
        encoder_layers=2,
        decoder_layers=2,
        max_position_embeddings=128,
        dropout=dropout,
        attention_dropout=dropout,
        activation_dropout=dropout,
        pad_token_id=pad_id,
        bos_token_id=bos_id,
        eos_token_id=eos_id,
        decoder_start_token_id=bos_id,
        forced_eos_token_id=None,
        scale_embedding=False,
    )


def _mlp(sizes: list[int], final_tanh: bool) -> nn.Sequential:
    layers: list[nn.Module] = []
    for index, (width_in, width_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        layers.append(nn.Linear(width_in, width_out))
        if index < len(sizes) - 2:
            layers.append(nn.GELU())
    if final_tanh:
        layers.append(nn.Tanh())
    return nn.Sequential(*layers)


class SelfiesTedNetwork(nn.Module):
    """BART plus the projector to a latent in (-1, 1)^latent_dim and its inverse."""

    def __init__(self, bart_config: BartConfig, projector_config: ProjectorConfig):
        super().__init__()
        self.bart = BartForConditionalGeneration(bart_config)
        self.projector_config = projector_config
        d_model = bart_config.d_model
        positions = projector_config.latent_positions
        if positions > bart_config.max_position_embeddings:
            raise ValueError(
                f"latent_positions {positions} exceeds the model's max_position_embeddings "
                f"{bart_config.max_position_embeddings}; lower latent_positions"
            )
        position_dim = projector_config.position_dim
        flat = positions * position_dim
        self.down = nn.Linear(d_model, position_dim)
        self.up = nn.Linear(position_dim, d_model)
        self.to_latent = _mlp([flat, *projector_config.hidden, projector_config.latent_dim], final_tanh=True)
        self.from_latent = _mlp([projector_config.latent_dim, *reversed(projector_config.hidden), flat], final_tanh=False)

    @property
    def max_length(self) -> int:
        """Maximum number of tokens of one molecule, ``[bos]`` and ``[eos]`` included."""
        return self.projector_config.latent_positions

    def projector_state_dict(self) -> dict[str, torch.Tensor]:
        """Weights of the projector and its inverse (everything except BART)."""
        return {key: value for key, value in self.state_dict().items() if not key.startswith("bart.")}

    def encoder_states(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        """Return the encoder's last hidden state, zero at padded positions."""
        hidden = self.bart.model.encoder(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
        return hidden * attention_mask.unsqueeze(-1).to(hidden.dtype)

    def latent(self, hidden: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        """Project an encoder state (batch, length, d_model) to the latent (batch, latent_dim)."""
        batch, length, _ = hidden.shape
        positions = self.projector_config.latent_positions
        if length > positions:
            raise ValueError(f"sequence of {length} tokens exceeds latent_positions {positions}")
        reduced = self.down(hidden) * attention_mask.unsqueeze(-1).to(hidden.dtype)
        padded = torch.zeros(batch, positions, reduced.shape[-1], dtype=reduced.dtype, device=reduced.device)
        padded[:, :length] = reduced
        return self.to_latent(padded.flatten(1))

    def memory(self, latent: torch.Tensor) -> torch.Tensor:
        """Map a latent back to the encoder state the decoder attends to."""
        positions = self.projector_config.latent_positions
        flat = self.from_latent(latent)
        return self.up(flat.view(latent.shape[0], positions, self.projector_config.position_dim))

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor, decoder_input_ids: torch.Tensor) -> torch.Tensor:
        """Return the decoder logits of a reconstruction through the latent."""
        latent = self.latent(self.encoder_states(input_ids, attention_mask), attention_mask)
        return self.decode_logits(latent, decoder_input_ids)

    def decode_logits(self, latent: torch.Tensor, decoder_input_ids: torch.Tensor) -> torch.Tensor:
        """Return the logits of ``decoder_input_ids`` given a latent (teacher forcing)."""
        memory = self.memory(latent)
        decoder_mask = (decoder_input_ids != self.bart.config.pad_token_id).long()
        decoder_mask[:, 0] = 1
        hidden = self.bart.model.decoder(
            input_ids=decoder_input_ids,
            attention_mask=decoder_mask,
            encoder_hidden_states=memory,
            use_cache=False,
        ).last_hidden_state
        return self.bart.lm_head(hidden) + self.bart.final_logits_bias

    @torch.no_grad()
    def greedy_decode(self, latent: torch.Tensor, max_length: int | None = None) -> torch.Tensor:
        """Decode latents greedily; return token ids (batch, steps) after ``[bos]``."""
        config = self.bart.config
        max_length = max_length or self.max_length
        memory = self.memory(latent)
        batch = latent.shape[0]
        tokens = torch.full((batch, 1), config.decoder_start_token_id, dtype=torch.long, device=latent.device)
        finished = torch.zeros(batch, dtype=torch.bool, device=latent.device)
        # Keys and values of earlier steps are cached (the cache object is
        # updated in place), so each step runs the decoder on one token.
        cache = EncoderDecoderCache(DynamicCache(), DynamicCache())
        for _ in range(max_length - 1):
            output = self.bart.model.decoder(
                input_ids=tokens[:, -1:], encoder_hidden_states=memory, use_cache=True, **{CACHE_ARGUMENT: cache}
            )
            hidden = output.last_hidden_state[:, -1]
            logits = self.bart.lm_head(hidden) + self.bart.final_logits_bias
            # Special tokens other than [eos] never belong inside a molecule.
            logits[:, [config.pad_token_id, config.bos_token_id]] = float("-inf")
            following = logits.argmax(-1)
            following = torch.where(finished, torch.full_like(following, config.pad_token_id), following)
            tokens = torch.cat([tokens, following.unsqueeze(1)], dim=1)
            finished |= following == config.eos_token_id
            if bool(finished.all()):
                break
        return tokens[:, 1:]

"""SELFIES tokenizer with special tokens and a vocabulary stored as JSON.

A molecule is turned into canonical SMILES with RDKit, then into SELFIES
with the ``selfies`` package, split into bracket tokens and mapped to ids:
``[bos] t1 ... tn [eos]``, right-padded with ``[pad]``. The vocabulary is
the union of the tokens seen in a training corpus and SELFIES's semantically
robust alphabet, so common elements outside the corpus (Cl, Br, S, P, ...)
still have ids. Their embeddings are trained only when the corpus contains them.

Stereochemistry: a vocabulary without stereo tokens (``@`` chirality or
``/``, ``\\`` double-bond geometry) cannot represent it. The QM9 corpus has
none, for example. Such a tokenizer (``isomeric`` is False) encodes each
molecule without its stereochemistry, and the model counts those molecules
in a warning. A vocabulary with stereo tokens keeps it.

A SELFIES token outside the vocabulary is never mapped silently to
``[unk]``: :meth:`SelfiesTokenizer.encode` raises ``ValueError`` naming the
token, and :meth:`SelfiesTokenizer.encode_checked` returns the reason so a
caller can count and report the skip. ``[unk]`` exists so that a vocabulary
imported from elsewhere keeps its layout.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from pathlib import Path

import selfies
from rdkit import Chem, RDLogger

PAD, BOS, EOS, MASK, UNK = "[pad]", "[bos]", "[eos]", "[mask]", "[unk]"
SPECIAL_TOKENS = (PAD, BOS, EOS, MASK, UNK)
# Special tokens of a Hugging Face BART tokenizer, as in a vocab.json saved
# beside a SELFIES-TED checkpoint that was trained elsewhere.
BART_SPECIAL_TOKENS = ("<pad>", "<s>", "</s>", "<mask>", "<unk>")
VOCABULARY_FILE = "vocab.json"

RDLogger.DisableLog("rdApp.*")


def canonical_smiles(smiles: str, isomeric: bool = True) -> str | None:
    """Return RDKit's canonical SMILES, or ``None`` if RDKit cannot parse it.

    ``isomeric=False`` drops stereochemistry.
    """
    if not isinstance(smiles, str) or not smiles.strip():
        return None
    molecule = Chem.MolFromSmiles(smiles.strip())
    if molecule is None:
        return None
    return Chem.MolToSmiles(molecule, isomericSmiles=isomeric)


def is_stereo_token(token: str) -> bool:
    """Return whether a SELFIES token carries chirality or double-bond geometry."""
    return "@" in token or token.startswith(("[/", "[\\"))


def smiles_to_selfies_tokens(smiles: str, isomeric: bool = True) -> tuple[list[str] | None, str]:
    """Convert SMILES to a list of SELFIES tokens.

    Returns
    -------
    tokens, reason
        The tokens and an empty reason, or ``None`` and why it failed.
    """
    canonical = canonical_smiles(smiles, isomeric)
    if canonical is None:
        return None, f"invalid SMILES {smiles!r}: RDKit cannot parse it"
    try:
        encoded = selfies.encoder(canonical)
    except selfies.EncoderError as error:
        return None, f"SMILES {smiles!r} has no SELFIES form: {error}"
    if encoded is None:
        return None, f"SMILES {smiles!r} has no SELFIES form"
    return list(selfies.split_selfies(encoded)), ""


class SelfiesTokenizer:
    """Map molecules to SELFIES token ids and back.

    Parameters
    ----------
    tokens
        The vocabulary in id order. It contains the special tokens
        ``[pad] [bos] [eos] [mask] [unk]`` (first, in a vocabulary built here)
        or BART's ``<pad> <s> </s> <mask> <unk>``.
    """

    def __init__(self, tokens: Sequence[str]):
        tokens = list(tokens)
        if len(set(tokens)) != len(tokens):
            raise ValueError("the SELFIES vocabulary contains a token twice; each token needs one id")
        if all(token in tokens for token in SPECIAL_TOKENS):
            specials = SPECIAL_TOKENS
        elif all(token in tokens for token in BART_SPECIAL_TOKENS):
            specials = BART_SPECIAL_TOKENS
        else:
            raise ValueError(
                f"a SELFIES vocabulary needs the special tokens {SPECIAL_TOKENS} or BART's "
                f"{BART_SPECIAL_TOKENS}; it starts with {tokens[:8]}"
            )
        self.tokens = tokens
        self.special_tokens = set(specials)
        self.token_to_id = {token: index for index, token in enumerate(tokens)}
        self.pad_id, self.bos_id, self.eos_id, self.mask_id, self.unk_id = (self.token_to_id[token] for token in specials)
        self.isomeric = any(is_stereo_token(token) for token in tokens)

    def __len__(self) -> int:
        return len(self.tokens)

    @classmethod
    def from_corpus(cls, smiles: Iterable[str]) -> SelfiesTokenizer:
        """Build the vocabulary from a corpus plus SELFIES's robust alphabet.

        Unparsable SMILES in the corpus are skipped here; the corpus loader
        reports them.
        """
        seen = set(selfies.get_semantic_robust_alphabet())
        for item in smiles:
            tokens, _ = smiles_to_selfies_tokens(item)
            if tokens is not None:
                seen.update(tokens)
        return cls(list(SPECIAL_TOKENS) + sorted(seen))

    def encode_checked(self, smiles: str, max_length: int) -> tuple[list[int] | None, str]:
        """Return the ids ``[bos] ... [eos]`` of one molecule, or ``None`` and the reason.

        ``max_length`` counts the ``[bos]`` and ``[eos]`` tokens.
        """
        tokens, reason = smiles_to_selfies_tokens(smiles, self.isomeric)
        if tokens is None:
            return None, reason
        unknown = sorted({token for token in tokens if token not in self.token_to_id})
        if unknown:
            return None, f"SELFIES tokens {unknown} of {smiles!r} are not in the model's vocabulary"
        if len(tokens) + 2 > max_length:
            return None, (
                f"{smiles!r} has {len(tokens)} SELFIES tokens; the model takes at most "
                f"{max_length - 2}"
            )
        return [self.bos_id] + [self.token_to_id[token] for token in tokens] + [self.eos_id], ""

    def encode(self, smiles: str, max_length: int) -> list[int]:
        """Return the ids of one molecule; raise ``ValueError`` if it cannot be encoded."""
        ids, reason = self.encode_checked(smiles, max_length)
        if ids is None:
            raise ValueError(reason)
        return ids

    def decode_to_selfies(self, ids: Iterable[int]) -> str:
        """Join the tokens up to the first ``[eos]``, dropping special tokens."""
        parts = []
        for index in ids:
            index = int(index)
            if index == self.eos_id:
                break
            if 0 <= index < len(self.tokens) and self.tokens[index] not in self.special_tokens:
                parts.append(self.tokens[index])
        return "".join(parts)

    def decode(self, ids: Iterable[int]) -> str | None:
        """Return canonical SMILES of the decoded tokens, or ``None`` if no valid molecule."""
        text = self.decode_to_selfies(ids)
        if not text:
            return None
        try:
            smiles = selfies.decoder(text)
        except selfies.DecoderError:
            return None
        if not smiles:
            return None
        return canonical_smiles(smiles, self.isomeric)

    def save(self, directory: str | Path) -> None:
        """Write ``vocab.json`` (token to id) into ``directory``."""
        path = Path(directory) / VOCABULARY_FILE
        path.write_text(json.dumps(self.token_to_id, indent=1) + "\n")

    @classmethod
    def load(cls, directory: str | Path) -> SelfiesTokenizer:
        """Read ``vocab.json`` from ``directory``."""
        path = Path(directory) / VOCABULARY_FILE
        if not path.is_file():
            raise ValueError(f"missing SELFIES vocabulary {path}; a checkpoint directory needs {VOCABULARY_FILE}")
        try:
            mapping = json.loads(path.read_text())
        except json.JSONDecodeError as error:
            raise ValueError(f"corrupted SELFIES vocabulary {path}: {error}") from None
        if not isinstance(mapping, dict) or sorted(mapping.values()) != list(range(len(mapping))):
            raise ValueError(f"corrupted SELFIES vocabulary {path}: ids must be 0..n-1, one per token")
        tokens = sorted(mapping, key=mapping.get)
        return cls(tokens)

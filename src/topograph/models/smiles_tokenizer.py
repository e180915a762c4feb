"""SMILES tokenizer for the rxnfp BERT, a regular expression over its ``vocab.txt``.

The tokenizer shipped in ``rxnfp`` 0.1.0 maps every token to ``[UNK]`` under
transformers 5, so SMILES are split here with a regular expression. It keeps
bracket atoms whole and matches the two-letter organic-subset atoms (Br, Cl)
before one-letter ones, then bonds, branches, ring-closure digits and
``%nn`` labels. Each
molecule is canonicalised with RDKit first, as rxnfp's training data were.
Sequences are ``[CLS] tokens [SEP]``, as in BERT.

A token missing from ``vocab.txt`` is reported (``encode_checked`` returns
the reason; ``encode`` raises ``ValueError``) instead of becoming ``[UNK]``.
"""

from __future__ import annotations

import re
from pathlib import Path

from topograph.models.selfies_tokenizer import canonical_smiles

VOCABULARY_FILE = "vocab.txt"

SMILES_TOKEN_PATTERN = re.compile(
    r"\[[^\[\]]+\]"  # bracket atom such as [nH], [C@@H], [N+]
    r"|%\d{2}"  # two-digit ring closure
    r"|Br|Cl"  # two-letter organic-subset atoms, matched before B and C
    r"|[BCNOPSFIbcnops*]"  # one-letter atoms and the wildcard
    r"|[=#\-+\\/:~@?$().\d]"  # bonds, charges, branches, dots and ring digits
    r"|>>?"  # reaction arrows
)


def split_smiles(smiles: str) -> list[str] | None:
    """Split SMILES into tokens; ``None`` if some characters match no token."""
    tokens = SMILES_TOKEN_PATTERN.findall(smiles)
    if "".join(tokens) != smiles:
        return None
    return tokens


class SmilesTokenizer:
    """Map SMILES to the token ids of a BERT ``vocab.txt`` (one token per line)."""

    def __init__(self, tokens: list[str]):
        self.tokens = list(tokens)
        self.token_to_id = {token: index for index, token in enumerate(self.tokens)}
        missing = [token for token in ("[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]") if token not in self.token_to_id]
        if missing:
            raise ValueError(f"the SMILES vocabulary lacks the special tokens {missing}; use a BERT vocab.txt")
        self.pad_id = self.token_to_id["[PAD]"]
        self.unk_id = self.token_to_id["[UNK]"]
        self.cls_id = self.token_to_id["[CLS]"]
        self.sep_id = self.token_to_id["[SEP]"]
        self.mask_id = self.token_to_id["[MASK]"]

    def __len__(self) -> int:
        return len(self.tokens)

    @classmethod
    def load(cls, directory: str | Path) -> SmilesTokenizer:
        path = Path(directory) / VOCABULARY_FILE
        if not path.is_file():
            raise ValueError(f"missing SMILES vocabulary {path}; a BERT checkpoint directory needs {VOCABULARY_FILE}")
        return cls([line.rstrip("\n") for line in path.read_text().splitlines()])

    def save(self, directory: str | Path) -> None:
        (Path(directory) / VOCABULARY_FILE).write_text("\n".join(self.tokens) + "\n")

    def special_ids(self) -> set[int]:
        """Return the ids of ``[PAD] [UNK] [CLS] [SEP] [MASK]``, which are never masked or predicted."""
        return {self.pad_id, self.unk_id, self.cls_id, self.sep_id, self.mask_id}

    def encode_checked(self, smiles: str, max_length: int) -> tuple[list[int] | None, str]:
        """Return ``[CLS] ... [SEP]`` ids of one molecule, or ``None`` and the reason."""
        canonical = canonical_smiles(smiles)
        if canonical is None:
            return None, f"invalid SMILES {smiles!r}: RDKit cannot parse it"
        tokens = split_smiles(canonical)
        if tokens is None:
            return None, f"SMILES {canonical!r} contains characters that form no SMILES token"
        unknown = sorted({token for token in tokens if token not in self.token_to_id})
        if unknown:
            return None, f"SMILES tokens {unknown} of {smiles!r} are not in the model's vocabulary"
        if len(tokens) + 2 > max_length:
            return None, f"{smiles!r} has {len(tokens)} SMILES tokens; the model takes at most {max_length - 2}"
        return [self.cls_id] + [self.token_to_id[token] for token in tokens] + [self.sep_id], ""

    def encode(self, smiles: str, max_length: int) -> list[int]:
        ids, reason = self.encode_checked(smiles, max_length)
        if ids is None:
            raise ValueError(reason)
        return ids

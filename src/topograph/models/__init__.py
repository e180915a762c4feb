"""Materials foundation models behind one interface.

- ``selfies_ted``: a SELFIES-TED-architecture BART with a bounded 128-d
  latent, encoder and decoder; the default checkpoint ships in ``models/``.
- ``rxnfp_bert``: the masked-language SMILES BERT shipped in ``rxnfp`` (256-d, no decoder).
- ``chgnet``: CHGNet crystal features (64-d, no decoder).

``load_model(name_or_directory)`` returns a :class:`MolecularModel`.
"""

from topograph.models.base import MolecularModel
from topograph.models.registry import MODEL_NAMES, load_model

__all__ = ["MODEL_NAMES", "MolecularModel", "load_model"]

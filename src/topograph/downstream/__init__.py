"""Downstream evaluation of molecular embeddings.

Task data that ship offline (``datasets``), fixed heads on frozen
embeddings over seeded splits (``heads``), paired comparison against a base
model with confidence intervals (``comparison``) and the ROGI-XD roughness
of task labels over embeddings (``rogi``).
"""

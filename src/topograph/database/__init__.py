"""Stationary-point database: storage, persistence, merging and pair selection."""

from topograph.database.alignment import (
    PermutationAligner,
    aligner_from_spec,
    aligner_to_spec,
    identity_aligner,
)
from topograph.database.atomic import atomic_write
from topograph.database.merge import merge_databases, merge_files, merge_into
from topograph.database.pairs import (
    component_joining_pairs,
    connected_components,
    connected_pairs,
    select_pairs,
)
from topograph.database.store import (
    MinimaTable,
    StationaryPointDatabase,
    TransitionStateTable,
)

__all__ = [
    "MinimaTable",
    "PermutationAligner",
    "StationaryPointDatabase",
    "TransitionStateTable",
    "aligner_from_spec",
    "aligner_to_spec",
    "atomic_write",
    "component_joining_pairs",
    "connected_components",
    "connected_pairs",
    "identity_aligner",
    "merge_databases",
    "merge_files",
    "merge_into",
    "select_pairs",
]

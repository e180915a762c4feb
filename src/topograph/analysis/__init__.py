"""Analyses of a stationary-point database: frustration, disconnectivity
graphs and PATHSAMPLE interchange."""

from topograph.analysis.disconnectivity import (
    DisconnectivityTree,
    disconnectivity_tree,
    plot_disconnectivity,
)
from topograph.analysis.frustration import frustration
from topograph.analysis.pathsample import read_pathsample, write_pathsample

__all__ = [
    "DisconnectivityTree",
    "disconnectivity_tree",
    "frustration",
    "plot_disconnectivity",
    "read_pathsample",
    "write_pathsample",
]

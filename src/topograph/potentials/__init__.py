"""Potentials: energy functions with analytic derivatives, on NumPy or torch."""

from topograph.potentials.base import BackendPotential, Potential
from topograph.potentials.lennard_jones import LennardJonesCluster
from topograph.potentials.muller_brown import MullerBrown
from topograph.potentials.rbf_interpolant import RBFInterpolant
from topograph.potentials.registry import (
    POTENTIAL_NAMES,
    build_potential,
    load_potential_file,
    read_data_table,
)
from topograph.potentials.scaling import MinMaxScaling
from topograph.potentials.schwefel import Schwefel

__all__ = [
    "BackendPotential",
    "LennardJonesCluster",
    "MinMaxScaling",
    "MullerBrown",
    "POTENTIAL_NAMES",
    "Potential",
    "RBFInterpolant",
    "Schwefel",
    "build_potential",
    "load_potential_file",
    "read_data_table",
]

"""Kinetics on a stationary-point database.

Harmonic transition-state-theory rate constants (:mod:`.rates`), rates and
mean first-passage times between sets of minima by graph transformation
(:mod:`.ngt`, :mod:`.graph_transformation`), committors (:mod:`.committor`),
regrouping into kinetic groups (:mod:`.regroup`), the kinetic similarity
(:mod:`.similarity`) and CSV tables of rates (:mod:`.table`).
"""

from topograph.kinetics.committor import (
    Committors,
    committor_probabilities,
    database_committors,
)
from topograph.kinetics.ngt import NGTResult, database_ngt_rates, ngt_rates
from topograph.kinetics.rates import (
    RateNetwork,
    build_rate_network,
    database_rate_network,
    harmonic_free_energies,
    log_equilibrium_occupations,
    log_htst_rate,
)
from topograph.kinetics.regroup import (
    Regrouping,
    database_regroup,
    group_network,
    regroup,
    regroup_by_energy,
)
from topograph.kinetics.similarity import (
    adjacent_similarities,
    kinetic_similarity,
    set_similarity,
)
from topograph.kinetics.table import group_rates_table, rates_table, write_rates_table

__all__ = [
    "Committors",
    "NGTResult",
    "RateNetwork",
    "Regrouping",
    "adjacent_similarities",
    "build_rate_network",
    "committor_probabilities",
    "database_committors",
    "database_ngt_rates",
    "database_rate_network",
    "database_regroup",
    "group_network",
    "group_rates_table",
    "harmonic_free_energies",
    "kinetic_similarity",
    "log_equilibrium_occupations",
    "log_htst_rate",
    "ngt_rates",
    "rates_table",
    "regroup",
    "regroup_by_energy",
    "set_similarity",
    "write_rates_table",
]

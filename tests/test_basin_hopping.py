"""Tests of basin-hopping chains, their checkpoints and the lockstep population."""

from __future__ import annotations

import json

import numpy as np
import pytest

from topograph.potentials.lennard_jones import LennardJonesCluster
from topograph.potentials.muller_brown import MullerBrown
from topograph.search.basin_hopping import (
    BasinHoppingChain,
    advance_chains,
    basin_hop_population,
)

# Müller–Brown minima (Müller and Brown, Theor. Chim. Acta 53, 75, 1979).
MULLER_BROWN_MINIMA = np.array([[-0.558, 1.442], [0.623, 0.028], [-0.050, 0.467]])
MULLER_BROWN_MINIMUM_ENERGIES = np.array([-146.699, -108.167, -80.768])
# LJ13 global minimum in reduced units (Cambridge Cluster Database).
LJ13_GLOBAL_MINIMUM = -44.326801


def record_into(records):
    def callback(coordinates, energy, on_bounds):
        records.append((tuple(coordinates.tolist()), energy, tuple(on_bounds.tolist())))

    return callback


def distinct_minima(coordinates, energies, distance_tolerance=1e-4):
    """Return one row index per distinct minimum, by coordinate distance."""
    distinct = []
    for row in range(len(energies)):
        if all(
            np.linalg.norm(coordinates[row] - coordinates[other]) > distance_tolerance
            for other in distinct
        ):
            distinct.append(row)
    return distinct


def test_chain_finds_all_muller_brown_minima():
    chain = BasinHoppingChain(
        MullerBrown(), [0.6, 0.0], seed=1, temperature=20.0, step_size=0.5
    )
    records = []

    chain.run(150, callback=record_into(records))

    coordinates = np.array([record[0] for record in records])
    energies = np.array([record[1] for record in records])
    distinct = distinct_minima(coordinates, energies)
    assert len(distinct) == 3
    order = np.argsort(energies[distinct])
    np.testing.assert_allclose(
        energies[distinct][order], MULLER_BROWN_MINIMUM_ENERGIES, atol=1e-3
    )
    np.testing.assert_allclose(
        coordinates[distinct][order], MULLER_BROWN_MINIMA, atol=1e-3
    )
    assert chain.best_energy == pytest.approx(-146.699, abs=1e-3)
    # The start quench plus one callback per converged step.
    assert len(records) == 1 + chain.step - chain.failed_quenches


def test_chain_resumes_bit_for_bit_from_checkpoint():
    options = {
        "seed": 7,
        "temperature": 20.0,
        "step_size": 0.3,
        "adjust_interval": 5,
        "target_acceptance": 0.5,
    }
    potential = MullerBrown()
    uninterrupted = BasinHoppingChain(potential, [-0.5, 1.4], **options)
    expected = []
    uninterrupted.run(40, callback=record_into(expected))

    first_part = BasinHoppingChain(potential, [-0.5, 1.4], **options)
    observed = []
    first_part.run(17, callback=record_into(observed))
    checkpoint = json.dumps(first_part.state_dict(), allow_nan=False)
    del first_part

    resumed = BasinHoppingChain.from_state(potential, json.loads(checkpoint))
    resumed.run(23, callback=record_into(observed))

    assert observed == expected
    assert resumed.state_dict() == uninterrupted.state_dict()
    assert resumed.step_size == uninterrupted.step_size
    assert resumed.step == 40


def test_chain_state_before_first_step_round_trips():
    chain = BasinHoppingChain(MullerBrown(), [0.0, 0.5], seed=3)
    state = json.loads(json.dumps(chain.state_dict(), allow_nan=False))

    restored = BasinHoppingChain.from_state(MullerBrown(), state)

    assert not restored.initialised
    assert restored.state_dict() == chain.state_dict()


def test_chain_from_state_rejects_other_dimension():
    state = BasinHoppingChain(MullerBrown(), [0.0, 0.5], seed=3).state_dict()

    with pytest.raises(ValueError, match="dimension 2"):
        BasinHoppingChain.from_state(LennardJonesCluster(3), state)


def test_chain_requires_seed():
    with pytest.raises(ValueError, match="seed"):
        BasinHoppingChain(MullerBrown(), [0.0, 0.5], seed=None)


def test_zero_temperature_never_goes_uphill():
    chain = BasinHoppingChain(
        MullerBrown(), [-0.05, 0.47], seed=2, temperature=0.0, step_size=0.6
    )
    chain.run(0)
    assert chain.energy == pytest.approx(-80.768, abs=1e-3)
    energies = [chain.energy]
    for _ in range(30):
        chain.run(1)
        energies.append(chain.energy)

    assert all(later <= earlier for earlier, later in zip(energies, energies[1:]))
    assert energies[-1] < -100.0
    assert chain.accepted < chain.step


def test_step_size_grows_when_every_step_is_accepted():
    chain = BasinHoppingChain(
        MullerBrown(),
        [0.6, 0.0],
        seed=4,
        temperature=1e9,
        step_size=0.1,
        adjust_interval=5,
        adjust_factor=0.9,
        max_step_size=0.115,
    )

    chain.run(5)
    assert chain.accepted == 5
    assert chain.step_size == pytest.approx(0.1 / 0.9)
    chain.run(5)
    assert chain.step_size == pytest.approx(0.115)


def test_step_size_fixed_without_adjust_interval():
    chain = BasinHoppingChain(
        MullerBrown(), [0.6, 0.0], seed=4, step_size=0.2, adjust_interval=0
    )

    chain.run(12)

    assert chain.step_size == 0.2


def test_population_finds_muller_brown_minima_in_order():
    rng = np.random.default_rng(0)
    starts = rng.uniform([-1.5, -0.5], [1.2, 2.0], size=(6, 2))

    result = basin_hop_population(
        MullerBrown(), starts, steps=10, seed=12, temperature=20.0, step_size=0.5
    )

    distinct = distinct_minima(result.coordinates, result.energies)
    assert len(distinct) == 3
    np.testing.assert_allclose(
        np.sort(result.energies[distinct]), MULLER_BROWN_MINIMUM_ENERGIES, atol=1e-3
    )
    # Ordered by step, then chain. Step 0 contains the quenched starts.
    keys = list(zip(result.steps.tolist(), result.chains.tolist()))
    assert keys == sorted(keys)
    assert (result.steps[:6] == 0).all()
    assert len(result.states) == 6


def test_population_is_deterministic():
    starts = np.random.default_rng(1).uniform(-1.0, 1.5, size=(5, 2))
    options = {"steps": 8, "seed": 3, "temperature": 15.0, "step_size": 0.4}

    first = basin_hop_population(MullerBrown(), starts, **options)
    second = basin_hop_population(MullerBrown(), starts, **options)

    np.testing.assert_array_equal(first.coordinates, second.coordinates)
    np.testing.assert_array_equal(first.energies, second.energies)
    np.testing.assert_array_equal(first.chains, second.chains)


def test_population_chain_matches_standalone_chain():
    starts = np.random.default_rng(6).uniform(-1.0, 1.5, size=(4, 2))
    options = {"temperature": 15.0, "step_size": 0.4}
    result = basin_hop_population(MullerBrown(), starts, steps=12, seed=9, **options)

    seeds = np.random.SeedSequence(9).spawn(4)
    chain = BasinHoppingChain(MullerBrown(), starts[2], seed=seeds[2], **options)
    records = []
    chain.run(12, callback=record_into(records))

    rows = result.chains == 2
    # Müller–Brown evaluates each row on its own and so does the batched
    # L-BFGS, so a chain gives the same numbers in a population as alone.
    np.testing.assert_array_equal(
        result.coordinates[rows], [record[0] for record in records]
    )
    assert result.states[2]["step"] == chain.step


def test_advance_chains_resumes_population_from_states():
    starts = np.random.default_rng(8).uniform(-1.0, 1.5, size=(3, 2))
    options = {"temperature": 15.0, "step_size": 0.4}
    full = basin_hop_population(MullerBrown(), starts, steps=10, seed=5, **options)
    half = basin_hop_population(MullerBrown(), starts, steps=4, seed=5, **options)

    potential = MullerBrown()
    chains = [BasinHoppingChain.from_state(potential, state) for state in half.states]
    found = []
    advance_chains(
        chains, 6, callback=lambda index, step, x, energy, bounds: found.append(energy)
    )

    np.testing.assert_array_equal(found, full.energies[full.steps > 4])


def test_lennard_jones_13_global_minimum():
    potential = LennardJonesCluster(13)
    start = np.random.default_rng(0).uniform(-1.2, 1.2, size=39)
    chain = BasinHoppingChain(
        potential, start, seed=0, temperature=0.8, step_size=0.4, adjust_interval=50
    )

    while chain.step < 2000 and chain.best_energy > LJ13_GLOBAL_MINIMUM + 1e-5:
        chain.run(50)

    assert chain.best_energy == pytest.approx(LJ13_GLOBAL_MINIMUM, abs=1e-5)

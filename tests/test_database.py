"""Tests of the stationary-point database: duplicates, alignment, persistence
and merging."""

import itertools
import math
import os
import time

import numpy as np
import pytest

from topograph.database import (
    PermutationAligner,
    StationaryPointDatabase,
    merge_databases,
    merge_files,
)
from topograph.database import persistence


def brute_force_insert(energies, coordinates, energy_tolerance, distance_tolerance):
    """Index each point would get, by comparing it with every stored point."""
    stored = []
    indices = []
    for energy, x in zip(energies, coordinates):
        match = None
        for index, (stored_energy, stored_x) in enumerate(stored):
            close_energy = abs(energy - stored_energy) <= energy_tolerance
            close_position = np.linalg.norm(x - stored_x) <= distance_tolerance
            if close_energy and close_position:
                match = index
                break
        if match is None:
            stored.append((energy, x))
            match = len(stored) - 1
        indices.append(match)
    return indices


def random_database(seed, n_minima=30, n_states=40, dimension=3):
    rng = np.random.default_rng(seed)
    database = StationaryPointDatabase(dimension, metadata={"seed": seed})
    for _ in range(n_minima):
        database.add_minimum(
            rng.normal(),
            rng.normal(size=dimension),
            log_product=rng.normal() if rng.random() < 0.7 else math.nan,
            on_bounds=bool(rng.random() < 0.3),
        )
    for _ in range(n_states):
        i, j = rng.choice(n_minima, size=2, replace=False)
        database.add_transition_state(
            rng.normal() + 2.0,
            rng.normal(size=dimension),
            int(i),
            int(j),
            log_product=rng.normal(),
            negative_eigenvalue=-rng.exponential(),
        )
    database.set_property("accuracy", rng.random(n_minima))
    return database


def assert_same_contents(first, second):
    assert first.dimension == second.dimension
    assert first.n_minima == second.n_minima
    assert first.n_transition_states == second.n_transition_states
    for name in ("energies", "coordinates", "log_products", "on_bounds"):
        np.testing.assert_array_equal(
            getattr(first.minima, name), getattr(second.minima, name), err_msg=name
        )
    for name in (
        "energies",
        "coordinates",
        "log_products",
        "negative_eigenvalues",
        "minimum1",
        "minimum2",
    ):
        np.testing.assert_array_equal(
            getattr(first.transition_states, name),
            getattr(second.transition_states, name),
            err_msg=name,
        )
    assert sorted(first.minima.properties) == sorted(second.minima.properties)
    for name, values in first.minima.properties.items():
        np.testing.assert_array_equal(values, second.minima.properties[name])


# ----------------------------------------------------------------------
# Duplicates


def test_duplicate_within_both_tolerances():
    database = StationaryPointDatabase(
        2, energy_tolerance=1e-3, distance_tolerance=1e-2
    )
    first, is_new = database.add_minimum(1.0, [0.0, 0.0])
    assert (first, is_new) == (0, True)

    index, is_new = database.add_minimum(1.0 + 9e-4, [6e-3, 6e-3])
    assert index == 0
    assert not is_new
    assert database.n_minima == 1


def test_energy_outside_tolerance_is_new():
    database = StationaryPointDatabase(
        2, energy_tolerance=1e-3, distance_tolerance=1e-2
    )
    database.add_minimum(1.0, [0.0, 0.0])
    index, is_new = database.add_minimum(1.0 + 1.1e-3, [0.0, 0.0])
    assert index == 1
    assert is_new


def test_distance_outside_tolerance_is_new():
    database = StationaryPointDatabase(
        2, energy_tolerance=1e-3, distance_tolerance=1e-2
    )
    database.add_minimum(1.0, [0.0, 0.0])
    # Distance sqrt(2) * 8e-3 = 1.13e-2 exceeds the tolerance.
    index, is_new = database.add_minimum(1.0, [8e-3, 8e-3])
    assert index == 1
    assert is_new


def test_duplicates_match_brute_force():
    rng = np.random.default_rng(7)
    base_energies = rng.uniform(-1, 1, size=60)
    base_points = rng.normal(size=(60, 4))
    picks = rng.integers(0, 60, size=600)
    energies = base_energies[picks] + rng.uniform(-2e-6, 2e-6, size=600)
    points = base_points[picks] + rng.normal(scale=6e-4, size=(600, 4))

    database = StationaryPointDatabase(
        4, energy_tolerance=1e-6, distance_tolerance=1e-3
    )
    indices = [database.add_minimum(e, x)[0] for e, x in zip(energies, points)]
    expected = brute_force_insert(energies, points, 1e-6, 1e-3)

    assert indices == expected
    assert database.n_minima == max(expected) + 1
    # The noise makes some near-copies miss, so both outcomes occur.
    assert 60 < database.n_minima < 600


def test_zero_energy_tolerance_needs_equal_energy():
    database = StationaryPointDatabase(1, energy_tolerance=0.0, distance_tolerance=0.1)
    database.add_minimum(0.5, [0.0])
    assert database.add_minimum(0.5, [0.05]) == (0, False)
    assert database.add_minimum(0.5 + 1e-12, [0.0]) == (1, True)


def test_duplicate_fills_missing_values():
    database = StationaryPointDatabase(1)
    database.add_minimum(0.0, [0.0])
    index, is_new = database.add_minimum(
        0.0, [0.0], log_product=2.5, properties={"accuracy": 0.75}
    )
    assert (index, is_new) == (0, False)
    assert database.minima.log_products[0] == 2.5
    assert database.minima.properties["accuracy"][0] == 0.75

    database.add_minimum(0.0, [0.0], log_product=9.0)
    assert database.minima.log_products[0] == 2.5


def test_properties_pad_with_nan():
    database = StationaryPointDatabase(1)
    database.add_minimum(0.0, [0.0])
    database.set_property("accuracy", [0.5])
    database.add_minimum(1.0, [1.0])
    database.add_minimum(2.0, [2.0], properties={"accuracy": 0.25, "ari": 0.1})

    accuracy = database.minima.properties["accuracy"]
    ari = database.minima.properties["ari"]
    np.testing.assert_array_equal(accuracy, [0.5, np.nan, 0.25])
    np.testing.assert_array_equal(ari, [np.nan, np.nan, 0.1])


def test_many_minima_insert_quickly():
    rng = np.random.default_rng(3)
    n = 100_000
    energies = rng.normal(size=n)
    points = rng.normal(size=(n, 8))
    database = StationaryPointDatabase(8)

    start = time.perf_counter()
    for energy, x in zip(energies, points):
        database.add_minimum(energy, x)
    elapsed = time.perf_counter() - start

    assert database.n_minima == n
    np.testing.assert_array_equal(database.minima.energies, energies)
    # About 0.6 s on 2 cores; the bound only catches quadratic behaviour.
    assert elapsed < 15.0


def test_views_are_read_only():
    database = StationaryPointDatabase(1)
    database.add_minimum(0.0, [0.0])
    with pytest.raises(ValueError):
        database.minima.energies[0] = 5.0


# ----------------------------------------------------------------------
# Validation


@pytest.mark.parametrize("energy", [math.nan, math.inf, -math.inf])
def test_non_finite_energy_rejected(energy):
    database = StationaryPointDatabase(2)
    with pytest.raises(ValueError, match=str(energy)):
        database.add_minimum(energy, [0.0, 0.0])
    assert database.n_minima == 0


def test_non_finite_coordinate_rejected():
    database = StationaryPointDatabase(3)
    with pytest.raises(ValueError, match="nan at index 1"):
        database.add_minimum(0.0, [0.0, math.nan, 1.0])
    database.add_minimum(0.0, [0.0, 0.0, 0.0])
    database.add_minimum(1.0, [1.0, 0.0, 0.0])
    with pytest.raises(ValueError, match="inf at index 2"):
        database.add_transition_state(2.0, [0.5, 0.0, math.inf], 0, 1)


def test_wrong_shape_rejected():
    database = StationaryPointDatabase(3)
    with pytest.raises(ValueError, match=r"shape \(2,\)"):
        database.add_minimum(0.0, [0.0, 0.0])


def test_transition_state_needs_stored_minima():
    database = StationaryPointDatabase(1)
    database.add_minimum(0.0, [0.0])
    with pytest.raises(ValueError, match="minimum2=1"):
        database.add_transition_state(1.0, [0.5], 0, 1)


def test_positive_negative_eigenvalue_rejected():
    database = StationaryPointDatabase(1)
    database.add_minimum(0.0, [0.0])
    database.add_minimum(0.0, [1.0])
    with pytest.raises(ValueError, match="negative_eigenvalue"):
        database.add_transition_state(1.0, [0.5], 0, 1, negative_eigenvalue=0.3)


# ----------------------------------------------------------------------
# Transition states


def test_distinct_transition_states_same_pair_kept():
    database = StationaryPointDatabase(2)
    database.add_minimum(0.0, [0.0, 0.0])
    database.add_minimum(0.0, [2.0, 0.0])

    first = database.add_transition_state(1.0, [1.0, 1.0], 0, 1)
    second = database.add_transition_state(1.0, [1.0, -1.0], 1, 0)
    third = database.add_transition_state(1.5, [1.0, 1.0], 0, 1)
    repeat = database.add_transition_state(1.0 + 1e-8, [1.0, 1.0 + 1e-5], 1, 0)

    assert first == (0, True)
    assert second == (1, True)
    assert third == (2, True)
    assert repeat == (0, False)
    assert database.n_transition_states == 3
    np.testing.assert_array_equal(database.transition_states.minimum1, [0, 1, 0])
    np.testing.assert_array_equal(database.transition_states.minimum2, [1, 0, 1])


# ----------------------------------------------------------------------
# Alignment


def test_permutation_aligner_matches_brute_force():
    rng = np.random.default_rng(11)
    aligner = PermutationAligner(4, 3)
    for _ in range(20):
        reference = rng.normal(size=12)
        candidate = rng.normal(size=12)
        aligned = aligner(reference, candidate)

        blocks = candidate.reshape(4, 3)
        best = min(
            np.sum((blocks[list(order)].ravel() - reference) ** 2)
            for order in itertools.permutations(range(4))
        )
        assert np.sum((aligned - reference) ** 2) == pytest.approx(best, rel=1e-12)
        assert sorted(map(tuple, aligned.reshape(4, 3))) == sorted(map(tuple, blocks))


def test_relabelled_centres_are_one_minimum():
    rng = np.random.default_rng(5)
    centres = rng.normal(size=(3, 2))
    relabelled = centres[[2, 0, 1]] + 1e-5

    aligned = StationaryPointDatabase(6, aligner=PermutationAligner(3, 2))
    aligned.add_minimum(78.85, centres.ravel())
    assert aligned.add_minimum(78.85, relabelled.ravel()) == (0, False)

    plain = StationaryPointDatabase(6)
    plain.add_minimum(78.85, centres.ravel())
    assert plain.add_minimum(78.85, relabelled.ravel()) == (1, True)


def test_permutation_aligner_checks_length():
    aligner = PermutationAligner(3, 2)
    with pytest.raises(ValueError, match=r"shape \(6,\)"):
        aligner(np.zeros(6), np.zeros(5))


# ----------------------------------------------------------------------
# Persistence


def test_save_load_round_trip_exact(tmp_path):
    database = StationaryPointDatabase(
        4,
        energy_tolerance=1e-5,
        distance_tolerance=2e-3,
        aligner=PermutationAligner(2, 2),
        metadata={"landscape": "kmeans", "k": 2},
    )
    rng = np.random.default_rng(2)
    for _ in range(25):
        database.add_minimum(
            rng.normal(), rng.normal(size=4), log_product=rng.normal(), on_bounds=True
        )
    database.add_minimum(0.1234, rng.normal(size=4))
    database.add_transition_state(3.0, rng.normal(size=4), 0, 5, -1.5, -0.25)
    database.add_transition_state(3.5, rng.normal(size=4), 5, 25)
    database.set_property("accuracy", rng.random(26))

    path = tmp_path / "landscape.npz"
    database.save(path)
    loaded = StationaryPointDatabase.load(path)

    assert_same_contents(database, loaded)
    assert loaded.energy_tolerance == 1e-5
    assert loaded.distance_tolerance == 2e-3
    assert loaded.metadata == {"landscape": "kmeans", "k": 2}
    assert isinstance(loaded.aligner, PermutationAligner)
    assert (loaded.aligner.n_groups, loaded.aligner.group_size) == (2, 2)


def test_loaded_database_finds_duplicates(tmp_path):
    database = random_database(1)
    path = tmp_path / "db.npz"
    database.save(path)
    loaded = StationaryPointDatabase.load(path)

    x = database.minima.coordinates[7]
    assert loaded.add_minimum(database.minima.energies[7], x) == (7, False)
    assert loaded.n_minima == database.n_minima


def test_empty_database_round_trip(tmp_path):
    database = StationaryPointDatabase(5)
    database.save(tmp_path / "empty.npz")
    loaded = StationaryPointDatabase.load(tmp_path / "empty.npz")
    assert loaded.n_minima == 0
    assert loaded.n_transition_states == 0
    assert loaded.minima.coordinates.shape == (0, 5)


def test_truncated_file_names_path(tmp_path):
    path = tmp_path / "shard.npz"
    random_database(4).save(path)
    data = path.read_bytes()
    for keep in (len(data) // 2, 100, 0):
        path.write_bytes(data[:keep])
        with pytest.raises(ValueError, match="shard.npz") as error:
            StationaryPointDatabase.load(path)
        assert "rerun" in str(error.value)


def test_missing_file_names_path(tmp_path):
    with pytest.raises(ValueError, match="absent.npz.*not found"):
        StationaryPointDatabase.load(tmp_path / "absent.npz")


def test_foreign_archive_rejected(tmp_path):
    path = tmp_path / "other.npz"
    np.savez(path, values=np.arange(3))
    with pytest.raises(ValueError, match="other.npz has no header"):
        StationaryPointDatabase.load(path)

    text = tmp_path / "notes.npz"
    text.write_text("not an archive\n")
    with pytest.raises(ValueError, match="notes.npz"):
        StationaryPointDatabase.load(text)


def test_wrong_format_version_rejected(tmp_path):
    path = tmp_path / "future.npz"
    header = {"format": persistence.FILE_FORMAT, "format_version": 99}
    persistence.write_archive(path, header, {})
    with pytest.raises(ValueError, match="format version 99"):
        StationaryPointDatabase.load(path)


def test_failed_save_keeps_old_file(tmp_path, monkeypatch):
    path = tmp_path / "landscape.npz"
    original = random_database(8)
    original.save(path)
    old_bytes = path.read_bytes()

    def write_half_then_fail(handle, arrays):
        handle.write(old_bytes[: len(old_bytes) // 2])
        raise RuntimeError("writer killed")

    monkeypatch.setattr(persistence, "_write_npz", write_half_then_fail)
    with pytest.raises(RuntimeError, match="writer killed"):
        random_database(9).save(path)

    assert path.read_bytes() == old_bytes
    assert_same_contents(StationaryPointDatabase.load(path), original)
    assert os.listdir(tmp_path) == ["landscape.npz"]


def test_custom_aligner_needs_passing_on_load(tmp_path, caplog):
    def reverse_coordinates(reference, candidate):
        return candidate[::-1]

    database = StationaryPointDatabase(2, aligner=reverse_coordinates)
    database.add_minimum(0.0, [0.0, 1.0])
    database.save(tmp_path / "db.npz")

    loaded = StationaryPointDatabase.load(tmp_path / "db.npz")
    assert loaded.aligner is None
    assert "custom aligner" in caplog.text
    restored = StationaryPointDatabase.load(tmp_path / "db.npz", aligner=reverse_coordinates)
    assert restored.aligner is reverse_coordinates


def test_metadata_must_be_json(tmp_path):
    with pytest.raises(ValueError, match="JSON"):
        StationaryPointDatabase(2, metadata={"array": np.zeros(2)})

    database = StationaryPointDatabase(2)
    database.metadata["array"] = np.zeros(2)
    with pytest.raises(ValueError, match="not JSON-serialisable"):
        database.save(tmp_path / "db.npz")
    assert list(tmp_path.iterdir()) == []


def test_none_means_not_computed():
    database = StationaryPointDatabase(1)
    database.add_minimum(0.0, [0.0], log_product=None)
    database.add_minimum(1.0, [1.0])
    database.add_transition_state(2.0, [0.5], 0, 1, None, None)
    assert np.isnan(database.minima.log_products[0])
    assert np.isnan(database.transition_states.negative_eigenvalues[0])


# ----------------------------------------------------------------------
# Merging


def shards_with_overlap(count, seed):
    """Shards that share some minima and transition states."""
    rng = np.random.default_rng(seed)
    shared_minima = [(rng.normal(), rng.normal(size=3)) for _ in range(8)]
    shared_states = [(rng.normal() + 3, rng.normal(size=3)) for _ in range(4)]
    shards = []
    for _ in range(count):
        shard = StationaryPointDatabase(3)
        for _ in range(12):
            if rng.random() < 0.5:
                energy, x = shared_minima[rng.integers(8)]
                noise = rng.normal(scale=1e-5, size=3)
                shard.add_minimum(energy, x + noise, log_product=rng.normal())
            else:
                shard.add_minimum(rng.normal(), rng.normal(size=3))
        shard.set_property("accuracy", rng.random(shard.n_minima))
        for _ in range(6):
            i, j = rng.choice(shard.n_minima, size=2, replace=False)
            if rng.random() < 0.5:
                energy, x = shared_states[rng.integers(4)]
            else:
                energy, x = rng.normal() + 3, rng.normal(size=3)
            shard.add_transition_state(energy, x, int(i), int(j), rng.normal())
        shards.append(shard)
    return shards


def insert_in_order(shards):
    """One database built by inserting every shard's points, shard by shard."""
    database = StationaryPointDatabase(3)
    for shard in shards:
        mapping = []
        properties = shard.minima.properties
        for i in range(shard.n_minima):
            values = {name: column[i] for name, column in properties.items()}
            index, _ = database.add_minimum(
                shard.minima.energies[i],
                shard.minima.coordinates[i],
                shard.minima.log_products[i],
                shard.minima.on_bounds[i],
                properties=values,
            )
            mapping.append(index)
        states = shard.transition_states
        for s in range(shard.n_transition_states):
            database.add_transition_state(
                states.energies[s],
                states.coordinates[s],
                mapping[states.minimum1[s]],
                mapping[states.minimum2[s]],
                states.log_products[s],
                states.negative_eigenvalues[s],
            )
    return database


def test_merge_equals_ordered_insertion():
    shards = shards_with_overlap(5, seed=21)
    merged = merge_databases(shards)
    assert_same_contents(merged, insert_in_order(shards))
    assert merged.n_minima < sum(shard.n_minima for shard in shards)


def test_merge_is_lossless():
    shards = shards_with_overlap(4, seed=22)
    merged = merge_databases(shards)
    for shard in shards:
        for i in range(shard.n_minima):
            energy, x = shard.minima.energies[i], shard.minima.coordinates[i]
            match = merged.match_minimum(energy, x)
            assert match is not None
        states = shard.transition_states
        for s in range(shard.n_transition_states):
            energy, x = states.energies[s], states.coordinates[s]
            match = merged.match_transition_state(energy, x)
            assert match is not None


def test_merge_remaps_transition_states():
    first = StationaryPointDatabase(1)
    first.add_minimum(0.0, [0.0])
    first.add_minimum(1.0, [1.0])
    second = StationaryPointDatabase(1)
    second.add_minimum(2.0, [2.0])
    second.add_minimum(1.0, [1.0])
    second.add_transition_state(3.0, [1.5], 0, 1)

    merged = merge_databases([first, second])
    np.testing.assert_array_equal(merged.minima.energies, [0.0, 1.0, 2.0])
    assert merged.transition_states.minimum1.tolist() == [2]
    assert merged.transition_states.minimum2.tolist() == [1]


def test_merge_rejects_other_dimension():
    with pytest.raises(ValueError, match="dimension 2 into one of dimension 1"):
        merge_databases([StationaryPointDatabase(1), StationaryPointDatabase(2)])


def test_merge_files_sorted_by_name(tmp_path):
    shards = shards_with_overlap(3, seed=23)
    paths = []
    for position, shard in enumerate(shards):
        path = tmp_path / f"chain_{position:03d}.npz"
        shard.save(path)
        paths.append(path)

    out = tmp_path / "merged.npz"
    merge_files([paths[2], paths[0], paths[1]], out)
    assert_same_contents(StationaryPointDatabase.load(out), merge_databases(shards))


def test_merge_files_needs_paths(tmp_path):
    with pytest.raises(ValueError, match="at least one"):
        merge_files([], tmp_path / "out.npz")

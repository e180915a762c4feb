"""Tests of the PATHSAMPLE export and import."""

import math

import numpy as np
import pytest

from topograph.analysis import read_pathsample, write_pathsample
from topograph.database import StationaryPointDatabase


def tiny_database():
    database = StationaryPointDatabase(2)
    database.add_minimum(-1.5, [0.0, 1.0], log_product=2.25)
    database.add_minimum(0.125, [2.0, -1.0])
    database.add_transition_state(
        3.0, [1.0, 0.0], 1, 0, log_product=1.0, negative_eigenvalue=-0.5
    )
    return database


def random_database(seed, n_minima=15, n_states=25, dimension=4):
    rng = np.random.default_rng(seed)
    database = StationaryPointDatabase(dimension)
    for _ in range(n_minima):
        database.add_minimum(
            rng.normal(), rng.normal(size=dimension), log_product=rng.normal()
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
    return database


def test_tiny_example_text_layout(tmp_path, caplog):
    write_pathsample(tiny_database(), tmp_path)

    ones = "        1.0000000000" * 3
    assert (tmp_path / "min.data").read_text() == (
        "       -1.5000000000        2.2500000000     1" + ones + "\n"
        "        0.1250000000        0.0000000000     1" + ones + "\n"
    )
    assert (tmp_path / "ts.data").read_text() == (
        "        3.0000000000        1.0000000000         1         2         1"
        + ones
        + "\n"
    )
    assert "1 of 2 minima have no log product" in caplog.text


def test_tiny_example_points_records(tmp_path):
    write_pathsample(tiny_database(), tmp_path)

    # Direct-access records: little-endian float64 values, no markers.
    raw = (tmp_path / "points.min").read_bytes()
    assert len(raw) == 2 * 2 * 8
    np.testing.assert_array_equal(np.frombuffer(raw, "<f8"), [0.0, 1.0, 2.0, -1.0])
    raw = (tmp_path / "points.ts").read_bytes()
    np.testing.assert_array_equal(np.frombuffer(raw, "<f8"), [1.0, 0.0])


def test_negative_eigenvalue_column(tmp_path):
    write_pathsample(
        tiny_database(), tmp_path, decimals=4, include_negative_eigenvalues=True
    )
    fields = (tmp_path / "ts.data").read_text().split()
    assert fields == [
        "3.0000",
        "1.0000",
        "1",
        "2",
        "1",
        "1.0000",
        "1.0000",
        "1.0000",
        "-0.5000",
    ]
    loaded = read_pathsample(tmp_path, 2)
    assert loaded.transition_states.negative_eigenvalues.tolist() == [-0.5]


def test_negative_eigenvalue_column_needs_values(tmp_path):
    database = tiny_database()
    database.add_transition_state(4.0, [3.0, 3.0], 0, 1)
    with pytest.raises(ValueError, match="1 transition states have no negative"):
        write_pathsample(database, tmp_path, include_negative_eigenvalues=True)


def test_round_trip(tmp_path):
    database = random_database(3)
    write_pathsample(database, tmp_path)
    loaded = read_pathsample(tmp_path, database.dimension)

    assert loaded.n_minima == database.n_minima
    assert loaded.n_transition_states == database.n_transition_states
    # Coordinates are binary and exact; the text columns have 10 decimals.
    np.testing.assert_array_equal(
        loaded.minima.coordinates, database.minima.coordinates
    )
    np.testing.assert_array_equal(
        loaded.transition_states.coordinates, database.transition_states.coordinates
    )
    np.testing.assert_allclose(
        loaded.minima.energies, database.minima.energies, atol=5e-11
    )
    np.testing.assert_allclose(
        loaded.minima.log_products, database.minima.log_products, atol=5e-11
    )
    np.testing.assert_allclose(
        loaded.transition_states.energies,
        database.transition_states.energies,
        atol=5e-11,
    )
    np.testing.assert_array_equal(
        loaded.transition_states.minimum1, database.transition_states.minimum1
    )
    np.testing.assert_array_equal(
        loaded.transition_states.minimum2, database.transition_states.minimum2
    )
    assert np.isnan(loaded.transition_states.negative_eigenvalues).all()


def test_nan_log_product_written_as_zero(tmp_path):
    write_pathsample(tiny_database(), tmp_path)
    loaded = read_pathsample(tmp_path, 2)
    assert loaded.minima.log_products.tolist() == [2.25, 0.0]


def test_missing_log_product_value(tmp_path):
    log_two_pi = math.log(2 * math.pi)
    write_pathsample(tiny_database(), tmp_path, missing_log_product=log_two_pi)
    loaded = read_pathsample(tmp_path, 2)
    assert loaded.minima.log_products[1] == pytest.approx(log_two_pi, abs=1e-10)


def test_reads_fortran_exponents(tmp_path):
    (tmp_path / "min.data").write_text(
        " -0.15D+01 0.225D+01 1 1.0 1.0 1.0\n 0.125D+00 0.0 2 1.0 1.0 1.0\n"
    )
    (tmp_path / "ts.data").write_text(" 0.3D+01 0.1D+01 1 2 1 1.0 1.0 1.0\n")
    np.array([0.0, 1.0, 2.0, -1.0], "<f8").tofile(tmp_path / "points.min")
    np.array([1.0, 0.0], "<f8").tofile(tmp_path / "points.ts")

    loaded = read_pathsample(tmp_path, 2)
    assert loaded.minima.energies.tolist() == [-1.5, 0.125]
    assert loaded.minima.log_products.tolist() == [2.25, 0.0]
    assert loaded.transition_states.minimum1.tolist() == [1]
    assert loaded.transition_states.minimum2.tolist() == [0]


def test_empty_transition_states(tmp_path):
    database = StationaryPointDatabase(3)
    database.add_minimum(0.0, [1.0, 2.0, 3.0], log_product=0.5)
    write_pathsample(database, tmp_path)
    assert (tmp_path / "ts.data").read_text() == ""
    assert (tmp_path / "points.ts").read_bytes() == b""
    loaded = read_pathsample(tmp_path, 3)
    assert loaded.n_minima == 1
    assert loaded.n_transition_states == 0


def test_wrong_dimension_rejected(tmp_path):
    write_pathsample(tiny_database(), tmp_path)
    with pytest.raises(ValueError, match="points.min contains 4 float64 values"):
        read_pathsample(tmp_path, 3)


def test_missing_file_rejected(tmp_path):
    write_pathsample(tiny_database(), tmp_path)
    (tmp_path / "ts.data").unlink()
    with pytest.raises(ValueError, match="ts.data not found"):
        read_pathsample(tmp_path, 2)

"""Tests of building potentials from descriptions and reading data files."""

import numpy as np
import pytest

from topograph.potentials import (
    LennardJonesCluster,
    MullerBrown,
    RBFInterpolant,
    Schwefel,
    build_potential,
    load_potential_file,
    read_data_table,
)


def make_table(n_points=40, dimension=3, seed=0):
    rng = np.random.default_rng(seed)
    points = rng.uniform(-2.0, 5.0, size=(n_points, dimension))
    values = 10.0 + np.sin(points).sum(axis=1) + 0.1 * rng.normal(size=n_points)
    return np.column_stack([points, values])


def write_csv(path, table, header=True):
    lines = []
    if header:
        columns = [f"x{i}" for i in range(table.shape[1] - 1)] + ["response"]
        lines.append(",".join(columns))
    lines += [",".join(repr(float(cell)) for cell in row) for row in table]
    path.write_text("\n".join(lines) + "\n")


def test_builds_each_analytic_potential():
    muller_brown = build_potential({"potential": "muller_brown"})
    schwefel = build_potential(
        {"potential": "schwefel", "parameters": {"dimension": 5}}
    )
    cluster = build_potential(
        {"potential": "lennard_jones", "parameters": {"n_atoms": 7}, "backend": "torch"}
    )
    assert isinstance(muller_brown, MullerBrown)
    assert isinstance(schwefel, Schwefel)
    assert schwefel.dimension == 5
    assert isinstance(cluster, LennardJonesCluster)
    assert cluster.dimension == 21
    assert cluster.backend == "torch"
    assert cluster.device == "cpu"


def test_rbf_from_csv_matches_direct_fit(tmp_path):
    table = make_table()
    write_csv(tmp_path / "data.csv", table)
    potential = build_potential(
        {
            "potential": "rbf_interpolant",
            "parameters": {"data": "data.csv", "smoothing": 1e-4},
            "backend": "numpy",
            "device": "cpu",
        },
        base_directory=tmp_path,
    )
    direct = RBFInterpolant(table[:, :-1], table[:, -1], smoothing=1e-4)
    queries = np.random.default_rng(1).uniform(-2, 5, size=(20, 3))
    np.testing.assert_allclose(
        potential.energies(queries), direct.energies(queries), rtol=1e-12
    )
    # The default bounds are the bounding box of the inputs.
    np.testing.assert_array_equal(potential.lower_bounds, table[:, :-1].min(axis=0))
    np.testing.assert_array_equal(potential.upper_bounds, table[:, :-1].max(axis=0))
    assert potential.scaling is None


def test_rbf_from_npy_npz_and_inline_agree(tmp_path):
    table = make_table(seed=2)
    np.save(tmp_path / "data.npy", table)
    np.savez(tmp_path / "single.npz", table=table)
    np.savez(tmp_path / "several.npz", table=table, other=np.zeros(3))
    specs = [
        {"data": str(tmp_path / "data.npy")},
        {"data": str(tmp_path / "single.npz")},
        {"data": str(tmp_path / "several.npz"), "key": "table"},
        {"points": table[:, :-1].tolist(), "values": table[:, -1].tolist()},
    ]
    queries = np.random.default_rng(3).uniform(-2, 5, size=(10, 3))
    energies = [
        build_potential({"potential": "rbf_interpolant", "parameters": spec}).energies(
            queries
        )
        for spec in specs
    ]
    for other in energies[1:]:
        np.testing.assert_array_equal(other, energies[0])


def test_rbf_scaling_maps_data_to_unit_box(tmp_path):
    table = make_table(seed=4)
    write_csv(tmp_path / "data.csv", table, header=False)
    potential = build_potential(
        {
            "potential": "rbf_interpolant",
            "parameters": {"data": "data.csv", "scale": True},
        },
        base_directory=tmp_path,
    )
    scaling = potential.scaling
    points, values = table[:, :-1], table[:, -1]
    scaled_points = scaling.transform_inputs(points)
    np.testing.assert_allclose(scaled_points.min(axis=0), 0.0, atol=1e-15)
    np.testing.assert_allclose(scaled_points.max(axis=0), 1.0, atol=1e-15)
    np.testing.assert_allclose(potential.lower_bounds, 0.0, atol=1e-15)
    np.testing.assert_allclose(potential.upper_bounds, 1.0, atol=1e-15)
    # With zero smoothing the landscape interpolates the scaled response.
    expected = (values - values.min()) / (values.max() - values.min())
    np.testing.assert_allclose(potential.energies(scaled_points), expected, atol=1e-9)
    np.testing.assert_allclose(
        scaling.inverse_transform_response(potential.energies(scaled_points)),
        values,
        atol=1e-8,
    )
    np.testing.assert_allclose(scaling.inverse_transform_inputs(scaled_points), points)


def test_rbf_bounds_options():
    table = make_table(seed=5)
    inline = {"points": table[:, :-1].tolist(), "values": table[:, -1].tolist()}
    unbounded = build_potential(
        {"potential": "rbf_interpolant", "parameters": {**inline, "bounds": "none"}}
    )
    boxed = build_potential(
        {"potential": "rbf_interpolant", "parameters": {**inline, "bounds": [-3, 6]}}
    )
    assert not unbounded.bounded
    np.testing.assert_array_equal(boxed.lower_bounds, [-3.0] * 3)
    np.testing.assert_array_equal(boxed.upper_bounds, [6.0] * 3)
    with pytest.raises(ValueError, match="bounds must be 'data', 'none'"):
        build_potential(
            {"potential": "rbf_interpolant", "parameters": {**inline, "bounds": "box"}}
        )


def test_torch_backend_from_description_matches_numpy():
    table = make_table(seed=6)
    parameters = {"points": table[:, :-1].tolist(), "values": table[:, -1].tolist()}
    numpy_potential = build_potential(
        {"potential": "rbf_interpolant", "parameters": parameters}
    )
    torch_potential = build_potential(
        {"potential": "rbf_interpolant", "parameters": parameters, "backend": "torch"}
    )
    queries = np.random.default_rng(7).uniform(-2, 5, size=(10, 3))
    np.testing.assert_allclose(
        torch_potential.energies(queries), numpy_potential.energies(queries), rtol=1e-10
    )


def test_misspelled_potential_suggests_name():
    with pytest.raises(ValueError, match="did you mean 'muller_brown'") as error:
        build_potential({"potential": "mueller_brown"})
    assert "'mueller_brown'" in str(error.value)


def test_misspelled_parameter_suggests_key():
    with pytest.raises(ValueError, match="did you mean 'dimension'") as error:
        build_potential({"potential": "schwefel", "parameters": {"dimensions": 3}})
    assert "'dimensions'" in str(error.value)
    with pytest.raises(ValueError, match="did you mean 'smoothing'"):
        build_potential(
            {
                "potential": "rbf_interpolant",
                "parameters": {"data": "x.csv", "smoothng": 1},
            }
        )


def test_misspelled_top_level_key_and_backend():
    with pytest.raises(ValueError, match="did you mean 'parameters'"):
        build_potential({"potential": "schwefel", "parameter": {"dimension": 2}})
    with pytest.raises(ValueError, match="did you mean 'torch'"):
        build_potential({"potential": "muller_brown", "backend": "pytorch"})


def test_missing_or_extra_parameters_rejected():
    with pytest.raises(ValueError, match="requires the parameter 'dimension'"):
        build_potential({"potential": "schwefel"})
    with pytest.raises(ValueError, match="takes no parameters; remove 'dimension'"):
        build_potential({"potential": "muller_brown", "parameters": {"dimension": 2}})
    with pytest.raises(ValueError, match="no 'potential' key"):
        build_potential({"parameters": {}})
    with pytest.raises(ValueError, match="either 'data'"):
        build_potential({"potential": "rbf_interpolant", "parameters": {}})
    with pytest.raises(ValueError, match="without 'values'"):
        build_potential(
            {"potential": "rbf_interpolant", "parameters": {"points": [[0.0, 1.0]]}}
        )
    with pytest.raises(ValueError, match="requires backend 'torch'"):
        build_potential({"potential": "muller_brown", "device": "cuda"})


def test_nan_in_csv_names_file_and_line(tmp_path):
    table = make_table(seed=8)
    table[2, 1] = np.nan
    path = tmp_path / "broken.csv"
    write_csv(path, table)
    with pytest.raises(ValueError) as error:
        build_potential(
            {"potential": "rbf_interpolant", "parameters": {"data": str(path)}}
        )
    message = str(error.value)
    # Line 1 is the header, so table row 2 is on line 4.
    assert "broken.csv" in message
    assert "in line 4;" in message
    assert "remove or impute" in message


def test_nan_in_npy_names_row(tmp_path):
    table = make_table(seed=9)
    table[[5, 7], -1] = np.inf
    path = tmp_path / "broken.npy"
    np.save(path, table)
    with pytest.raises(ValueError, match=r"broken.npy.*rows 5, 7 \(counting from 0\)"):
        read_data_table(path)


def test_nan_in_inline_data_names_row():
    table = make_table(seed=10)
    table[3, 0] = np.nan
    spec = {
        "potential": "rbf_interpolant",
        "parameters": {
            "points": table[:, :-1].tolist(),
            "values": table[:, -1].tolist(),
        },
    }
    with pytest.raises(ValueError, match="row 3 "):
        build_potential(spec)
    spec["parameters"]["scale"] = True
    with pytest.raises(ValueError, match="row 3 "):
        build_potential(spec)


def test_unreadable_data_files_rejected(tmp_path):
    with pytest.raises(ValueError, match="cannot read data file .*missing.csv"):
        read_data_table(tmp_path / "missing.csv")
    garbage = tmp_path / "garbage.npy"
    garbage.write_bytes(b"\x00\x01 not an array")
    with pytest.raises(ValueError, match="cannot read data file .*garbage.npy"):
        read_data_table(garbage)
    binary = tmp_path / "binary.csv"
    binary.write_bytes(b"\xff\xfe\x00\x81\x00")
    with pytest.raises(ValueError, match="binary.csv"):
        read_data_table(binary)
    with pytest.raises(ValueError, match="unsupported data file type"):
        read_data_table(tmp_path / "data.xlsx")


def test_malformed_csv_rejected(tmp_path):
    path = tmp_path / "words.csv"
    path.write_text("a,b,y\n1,2,3\n4,five,6\n")
    with pytest.raises(ValueError, match="line 3 has 'five', not a number"):
        read_data_table(path)
    missing = tmp_path / "missing_value.csv"
    missing.write_text("1,,3\n4,5,6\n")
    with pytest.raises(ValueError, match="line 1 has an empty cell"):
        read_data_table(missing)
    ragged = tmp_path / "ragged.csv"
    ragged.write_text("1,2,3\n4,5\n")
    with pytest.raises(ValueError, match="line 2 has 2 columns but line 1 has 3"):
        read_data_table(ragged)
    single = tmp_path / "single.csv"
    single.write_text("y\n1\n2\n")
    with pytest.raises(ValueError, match="at least one row and two columns"):
        read_data_table(single)


def test_csv_comments_and_blank_lines_skipped(tmp_path):
    path = tmp_path / "commented.csv"
    path.write_text("# measured response\nx,y\n\n0.5,1.5\n# note\n2.0,3.0\n")
    np.testing.assert_array_equal(read_data_table(path), [[0.5, 1.5], [2.0, 3.0]])


def test_npz_with_several_arrays_needs_key(tmp_path):
    path = tmp_path / "several.npz"
    np.savez(path, first=np.ones((3, 2)), second=np.zeros((3, 2)))
    with pytest.raises(ValueError, match="set the parameter 'key'"):
        read_data_table(path)
    with pytest.raises(ValueError, match="did you mean 'first'"):
        read_data_table(path, key="frist")
    np.testing.assert_array_equal(read_data_table(path, key="second"), np.zeros((3, 2)))


def test_load_potential_file_resolves_relative_data(tmp_path):
    table = make_table(seed=11)
    folder = tmp_path / "study"
    folder.mkdir()
    write_csv(folder / "data.csv", table)
    description = folder / "potential.yaml"
    description.write_text(
        "potential: rbf_interpolant\n"
        "parameters:\n"
        "  data: data.csv\n"
        "  smoothing: 1.0e-4\n"
        "  bounds: none\n"
        "backend: numpy\n"
        "device: cpu\n"
    )
    potential = load_potential_file(description)
    direct = RBFInterpolant(table[:, :-1], table[:, -1], smoothing=1e-4)
    queries = np.random.default_rng(12).uniform(-2, 5, size=(5, 3))
    np.testing.assert_allclose(
        potential.energies(queries), direct.energies(queries), rtol=1e-12
    )
    assert not potential.bounded


def test_load_potential_file_errors_name_file(tmp_path):
    with pytest.raises(ValueError, match="cannot read potential file .*absent.yaml"):
        load_potential_file(tmp_path / "absent.yaml")
    invalid = tmp_path / "invalid.yaml"
    invalid.write_text("potential: [unclosed\n")
    with pytest.raises(ValueError, match="invalid.yaml' is not valid YAML"):
        load_potential_file(invalid)
    typo = tmp_path / "typo.yaml"
    typo.write_text("potential: schwefl\nparameters: {dimension: 2}\n")
    with pytest.raises(ValueError, match="typo.yaml.*did you mean 'schwefel'"):
        load_potential_file(typo)
    listed = tmp_path / "listed.yaml"
    listed.write_text("- potential: schwefel\n")
    with pytest.raises(ValueError, match="must be a mapping"):
        load_potential_file(listed)

"""Validation of landscape descriptions."""

import pytest
import yaml

from conftest import REPOSITORY
from topograph.landscape.spec import check_configuration, load_spec, validate_spec

MINIMAL = {"potential": {"potential": "muller_brown"}}


def test_defaults_filled():
    spec = validate_spec(MINIMAL)
    assert spec["explore"]["steps"] == 50
    assert spec["connect"]["neighbours"] == 5
    assert spec["potential"]["backend"] == "numpy"
    assert spec["analysis"]["temperatures"] == [1.0]


def test_given_values_kept():
    spec = validate_spec({**MINIMAL, "explore": {"steps": 7, "seed": 11}})
    assert spec["explore"]["steps"] == 7
    assert spec["explore"]["seed"] == 11
    assert spec["explore"]["shards"] == 2


def test_input_not_modified():
    original = {"potential": {"potential": "muller_brown"}}
    validate_spec(original)
    assert original == {"potential": {"potential": "muller_brown"}}


def test_typo_in_potential_name_suggests_fix():
    with pytest.raises(ValueError, match="did you mean 'muller_brown'"):
        validate_spec({"potential": {"potential": "muller_brwn"}})


def test_typo_in_key_suggests_fix():
    with pytest.raises(ValueError, match="unknown key 'stpes' in explore: did you mean 'steps'"):
        validate_spec({**MINIMAL, "explore": {"stpes": 3}})


def test_out_of_range_value_named():
    with pytest.raises(ValueError, match="explore.temperature"):
        validate_spec({**MINIMAL, "explore": {"temperature": 0}})


def test_missing_potential_rejected():
    with pytest.raises(ValueError, match="missing key 'potential' in \\(top level\\)"):
        validate_spec({"explore": {}})


def test_non_finite_value_rejected():
    with pytest.raises(ValueError, match="invalid value inf for explore.step_size"):
        validate_spec({**MINIMAL, "explore": {"step_size": float("inf")}})


def test_potential_parameter_typo_rejected():
    spec = {"potential": {"potential": "lennard_jones", "parameters": {"natoms": 13}}}
    with pytest.raises(ValueError, match="did you mean 'n_atoms'"):
        validate_spec(spec)


def test_empty_list_names_the_valid_values():
    with pytest.raises(ValueError) as raised:
        check_configuration({"studies": []}, REPOSITORY / "config" / "schema.yaml")
    assert "studies is empty; list at least 1 of: landscapes, kmeans, gp, models, filltune" in str(raised.value)


@pytest.mark.parametrize(
    ("configuration", "message"),
    [
        ({"filltune": {"evaluation": {"seeds": [0, 0, 1]}}}, "filltune.evaluation.seeds repeats 0; list each value once"),
        ({"filltune": {"tasks": ["freesolv", "freesolv"]}}, "filltune.tasks repeats 'freesolv'; list each value once"),
        ({"filltune": {"tasks": []}}, "filltune.tasks is empty; list at least 1 item"),
    ],
)
def test_repeated_or_empty_filltune_lists(configuration, message):
    with pytest.raises(ValueError) as raised:
        check_configuration(configuration, REPOSITORY / "config" / "schema.yaml")
    assert message in str(raised.value)


def test_load_missing_file(tmp_path):
    with pytest.raises(ValueError, match="not found"):
        load_spec(tmp_path / "absent.yaml")


def test_load_invalid_yaml(tmp_path):
    path = tmp_path / "broken.yaml"
    path.write_text("potential: [unclosed\n")
    with pytest.raises(ValueError, match="not valid YAML"):
        load_spec(path)


def test_load_round_trip(tmp_path):
    path = tmp_path / "landscape.yaml"
    path.write_text(yaml.safe_dump({**MINIMAL, "connect": {"rounds": 1}}))
    assert load_spec(path)["connect"]["rounds"] == 1

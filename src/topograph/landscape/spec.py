"""Landscape descriptions: YAML files validated against a JSON schema.

A description names the potential and the settings of exploration,
connection and analysis (see ``landscape.schema.yaml`` beside this file for
every key, its unit and default). Validation fills in the defaults, so code
downstream reads every key without fallbacks.
"""

from __future__ import annotations

import copy
import difflib
import math
from importlib import resources
from pathlib import Path

import jsonschema
import yaml

from topograph.potentials.registry import check_potential_spec


def schema() -> dict:
    """Return the JSON schema of a landscape description."""
    text = resources.files("topograph.landscape").joinpath("landscape.schema.yaml").read_text()
    return yaml.safe_load(text)


def _extend_with_defaults(validator_class):
    """Return a validator class that fills in each property's default before checking it."""
    validate_properties = validator_class.VALIDATORS["properties"]

    def set_defaults(validator, properties, instance, subschema):
        if isinstance(instance, dict):
            for name, property_schema in properties.items():
                if "default" in property_schema and name not in instance:
                    instance[name] = copy.deepcopy(property_schema["default"])
        yield from validate_properties(validator, properties, instance, subschema)

    return jsonschema.validators.extend(validator_class, {"properties": set_defaults})


_DefaultFillingValidator = _extend_with_defaults(jsonschema.Draft7Validator)


def _describe_error(error: jsonschema.ValidationError) -> str:
    """Turn a schema error into a message that names the key, the value and the fix."""
    where = ".".join(str(part) for part in error.absolute_path) or "(top level)"
    if error.validator == "additionalProperties":
        allowed = sorted(error.schema.get("properties", {}))
        unknown = sorted(set(error.instance) - set(allowed))
        hints = []
        for key in unknown:
            close = difflib.get_close_matches(key, allowed, n=1)
            hint = f"did you mean '{close[0]}'?" if close else f"valid keys: {', '.join(allowed)}"
            hints.append(f"unknown key '{key}' in {where}: {hint}")
        return "; ".join(hints)
    if error.validator == "enum":
        close = difflib.get_close_matches(str(error.instance), [str(v) for v in error.validator_value], n=1)
        hint = f"did you mean '{close[0]}'?" if close else ""
        valid = ", ".join(str(v) for v in error.validator_value)
        return f"invalid value {error.instance!r} for {where} (valid: {valid}) {hint}".strip()
    if error.validator == "minItems":
        count, needed = len(error.instance), error.validator_value
        size = f"has {count} item{'' if count == 1 else 's'}" if count else "is empty"
        choices = error.schema.get("items", {}).get("enum")
        valid = f" of: {', '.join(str(choice) for choice in choices)}" if choices else f" item{'' if needed == 1 else 's'}"
        return f"{where} {size}; list at least {needed}{valid}"
    if error.validator == "uniqueItems" and error.validator_value:
        seen, repeated = [], []
        for item in error.instance:
            if item in seen and item not in repeated:
                repeated.append(item)
            seen.append(item)
        listed = ", ".join(repr(item) for item in repeated)
        return f"{where} repeats {listed}; list each value once"
    if error.validator == "required":
        missing = [key for key in error.validator_value if key not in error.instance]
        return f"missing key {', '.join(repr(key) for key in missing)} in {where}"
    return f"invalid value {error.instance!r} for {where}: {error.message}"


def _non_finite_numbers(value, path=()):
    """Yield the dotted paths of NaN or infinite numbers in a nested description."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _non_finite_numbers(item, (*path, str(key)))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _non_finite_numbers(item, (*path, str(index)))
    elif isinstance(value, float) and not math.isfinite(value):
        yield ".".join(path), value


def validate_spec(spec: dict, source: str = "landscape description") -> dict:
    """Validate a landscape description and return a copy with defaults filled in.

    Raises
    ------
    ValueError
        naming every invalid key or value, with the nearest valid key or value.
    """
    if not isinstance(spec, dict):
        raise ValueError(f"{source} must be a mapping with at least a 'potential' key, got {type(spec).__name__}")
    filled = copy.deepcopy(spec)
    errors = sorted(_DefaultFillingValidator(schema()).iter_errors(filled), key=lambda e: list(e.absolute_path))
    details = [_describe_error(error) for error in errors]
    details += [
        f"invalid value {value} for {where}: use a finite number"
        for where, value in _non_finite_numbers(spec)
    ]
    if not details and isinstance(filled.get("potential"), dict):
        try:
            check_potential_spec(filled["potential"])
        except ValueError as error:
            details.append(f"invalid potential: {error}")
    if details:
        raise ValueError(f"{source} is invalid:\n  " + "\n  ".join(details))
    return filled


def check_configuration(config: dict, schema_path: str | Path, source: str = "the configuration") -> None:
    """Check a workflow configuration against its JSON schema, without filling defaults.

    Raises
    ------
    ValueError
        naming every invalid key or value, with the nearest valid key or
        value, in place of the schema library's dump of the whole schema.
    """
    with open(schema_path, encoding="utf-8") as handle:
        config_schema = yaml.safe_load(handle)
    validator_class = jsonschema.validators.validator_for(config_schema)
    errors = sorted(
        validator_class(config_schema).iter_errors(config),
        key=lambda error: list(map(str, error.absolute_path)),
    )
    if errors:
        details = [_describe_error(error) for error in errors]
        raise ValueError(f"{source} is invalid:\n  " + "\n  ".join(details))


def load_spec(path: str | Path) -> dict:
    """Read a landscape description from a YAML file and validate it."""
    path = Path(path)
    try:
        spec = yaml.safe_load(path.read_text())
    except FileNotFoundError:
        raise ValueError(f"landscape description {path} not found; pass the path of an existing YAML file") from None
    except yaml.YAMLError as error:
        raise ValueError(f"landscape description {path} is not valid YAML: {error}") from None
    return validate_spec(spec, source=f"landscape description {path}")

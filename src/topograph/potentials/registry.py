"""Build potentials from YAML-style descriptions.

A description is a mapping such as::

    # potential: muller_brown | schwefel | lennard_jones | rbf_interpolant | kmeans
    potential: rbf_interpolant
    parameters: {data: points.csv, smoothing: 1.0e-4, bounds: data, scale: true}
    backend: numpy                 # or torch
    device: cpu

Parameters by potential:

- ``muller_brown``: none.
- ``schwefel``: ``dimension`` (required), ``chunk_size``.
- ``lennard_jones``: ``n_atoms`` (required), ``chunk_size``.
- ``rbf_interpolant``:

  - ``data``, a .csv, .npy or .npz file whose last column is the response,
    or inline ``points`` and ``values``;
  - ``smoothing`` (default 0);
  - ``bounds``: ``data`` (default, the bounding box of the inputs),
    ``none``, or ``[low, high]``;
  - ``scale`` (default false): scale each input column and the response to
    [0, 1] before fitting. Bounds given as ``[low, high]`` are then in
    scaled units;
  - ``key``: the array to use from an .npz file that contains several;
  - ``chunk_size``.

- ``roughness_surface``: ``gaussians`` (required), an .npz file written by
  ``topograph filltune roughness``; ``bounds``: ``gaussians`` (default, the
  box stored with them), ``none`` or ``[low, high]``; ``chunk_size``.

- ``kmeans``: ``n_clusters`` (required); ``data``, a CSV file with a header
  whose columns ``label`` and ``outlier`` (if present) are not features, or
  inline ``points``; ``smoothing`` (default 0.01) or ``temperature``, the
  soft-min temperature of :class:`~topograph.potentials.kmeans.KMeansCost`;
  ``chunk_size``.

- ``gp_likelihood``: the negative log marginal likelihood of a Matérn GP
  over log hyperparameters (:mod:`topograph.potentials.gp_likelihood`).
  ``data`` (required) is a .csv, .npy or .npz file whose last column is
  the target; ``nu`` is a positive number, ``inf`` or ``free`` (default:
  ``log ν`` is a coordinate); ``ard`` (default false); ``bounds`` in
  natural units per hyperparameter; ``standardize`` (default true: inputs
  and target to zero mean and unit variance); ``alpha``; ``hessian_step``.

Unknown names and keys raise ValueError naming the value and the closest
valid one. Relative data paths are resolved against ``base_directory``,
which :func:`load_potential_file` sets to the YAML file's folder.
"""

from __future__ import annotations

import csv
import difflib
import logging
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import yaml

from topograph.potentials.backend import BACKEND_NAMES
from topograph.potentials.base import Potential
from topograph.potentials.kmeans import KMeansCost
from topograph.potentials.lennard_jones import LennardJonesCluster
from topograph.potentials.messages import describe_rows
from topograph.potentials.muller_brown import MullerBrown
from topograph.potentials.rbf_interpolant import RBFInterpolant
from topograph.potentials.scaling import MinMaxScaling
from topograph.potentials.schwefel import Schwefel

logger = logging.getLogger(__name__)

SPEC_KEYS = ("potential", "parameters", "backend", "device")

# Valid parameter keys of each potential; the required ones come first.
PARAMETER_KEYS = {
    "muller_brown": (),
    "schwefel": ("dimension", "chunk_size"),
    "lennard_jones": ("n_atoms", "chunk_size"),
    "rbf_interpolant": (
        "data",
        "points",
        "values",
        "smoothing",
        "bounds",
        "scale",
        "key",
        "chunk_size",
    ),
    "kmeans": ("n_clusters", "data", "points", "smoothing", "temperature", "chunk_size"),
    "roughness_surface": ("gaussians", "bounds", "chunk_size"),
    "gp_likelihood": (
        "data",
        "nu",
        "ard",
        "bounds",
        "standardize",
        "alpha",
        "hessian_step",
    ),
}
POTENTIAL_NAMES = tuple(PARAMETER_KEYS)
DATA_SUFFIXES = (".csv", ".npy", ".npz")


def closest_match(value, options) -> str | None:
    """Return the entry of ``options`` most similar to ``value`` (difflib ratio)."""
    matches = difflib.get_close_matches(str(value), list(options), n=1, cutoff=0.0)
    return matches[0] if matches else None


def _unknown(kind: str, value, options, context: str = "") -> ValueError:
    """Return a ValueError naming an unknown ``value`` and the closest option."""
    suggestion = closest_match(value, options)
    return ValueError(
        f"unknown {kind} {value!r}{context}; did you mean {suggestion!r}? "
        f"Valid values: {', '.join(options)}"
    )


def build_potential(spec: Mapping, base_directory=None) -> Potential:
    """Build the potential that ``spec`` describes.

    Parameters
    ----------
    spec : mapping
        Keys ``potential`` (required), ``parameters``, ``backend``
        (``numpy`` by default) and ``device``; see the module docstring.
    base_directory : str or Path, optional
        Folder against which relative data paths are resolved; the current
        directory by default.

    Returns
    -------
    Potential

    Raises
    ------
    ValueError
        For an unknown potential, parameter key or backend (naming the
        closest valid one), a missing required parameter, or data that
        cannot be read or contain NaN or infinite values.
    """
    check_potential_spec(spec)
    name = spec["potential"]
    parameters = spec.get("parameters") or {}
    backend = spec.get("backend", "numpy")
    device = spec.get("device")
    options = {"backend": backend, "device": device}

    if name == "muller_brown":
        return MullerBrown(**options)
    if name == "schwefel":
        return Schwefel(**parameters, **options)
    if name == "lennard_jones":
        return LennardJonesCluster(**parameters, **options)
    base_directory = Path.cwd() if base_directory is None else Path(base_directory)
    if name == "kmeans":
        return _build_kmeans(parameters, options, base_directory)
    if name == "roughness_surface":
        return _build_roughness_surface(parameters, options, base_directory)
    if name == "gp_likelihood":
        return _build_gp_likelihood(parameters, options, base_directory)
    return _build_rbf_interpolant(parameters, options, base_directory)


def check_potential_spec(spec: Mapping) -> None:
    """Check the names, keys and required parameters of a potential description.

    Reads no data, so a workflow can check every description before any job
    runs. Raises ValueError naming the invalid value and the closest valid
    one.
    """
    if not isinstance(spec, Mapping):
        raise ValueError(
            "a potential description must be a mapping with the key 'potential'; "
            f"got {type(spec).__name__}"
        )
    for key in spec:
        if key not in SPEC_KEYS:
            raise _unknown("key", key, SPEC_KEYS, " in the potential description")
    if "potential" not in spec:
        raise ValueError(
            "the potential description has no 'potential' key; set it to one of "
            f"{', '.join(POTENTIAL_NAMES)}"
        )
    name = spec["potential"]
    if not isinstance(name, str) or name not in PARAMETER_KEYS:
        raise _unknown("potential", name, POTENTIAL_NAMES)

    parameters = spec.get("parameters") or {}
    if not isinstance(parameters, Mapping):
        raise ValueError(
            f"parameters of potential {name!r} must be a mapping; "
            f"got {type(parameters).__name__}"
        )
    valid_keys = PARAMETER_KEYS[name]
    for key in parameters:
        if key not in valid_keys:
            if not valid_keys:
                raise ValueError(
                    f"potential {name!r} takes no parameters; remove {key!r}"
                )
            raise _unknown("parameter", key, valid_keys, f" for potential {name!r}")

    backend = spec.get("backend", "numpy")
    if backend not in BACKEND_NAMES:
        raise _unknown("backend", backend, BACKEND_NAMES)
    device = spec.get("device")
    if backend == "numpy" and device not in (None, "cpu"):
        raise ValueError(
            f"device {device!r} requires backend 'torch'; set backend: torch or "
            "device: cpu"
        )
    if name == "schwefel":
        _require(parameters, "dimension", name, "a positive integer")
    if name == "lennard_jones":
        _require(parameters, "n_atoms", name, "an integer of at least 2")
    if name == "roughness_surface":
        _require(parameters, "gaussians", name, "an .npz file of roughness Gaussians")
    if name == "gp_likelihood":
        _require(parameters, "data", name, "a .csv, .npy or .npz file, target last")
        if backend != "numpy":
            raise ValueError(
                "potential 'gp_likelihood' runs on the numpy backend only; set "
                "backend: numpy"
            )
    if name == "rbf_interpolant" and not {"data", "points", "values"} & set(parameters):
        raise ValueError(
            "potential 'rbf_interpolant' needs either 'data' (a .csv, .npy or .npz "
            "file) or both 'points' and 'values'; got neither"
        )
    if name == "kmeans":
        _require(parameters, "n_clusters", name, "the number of clusters K")
        if ("data" in parameters) == ("points" in parameters):
            raise ValueError(
                "potential 'kmeans' needs exactly one of 'data' (a CSV file) and "
                "'points' (inline rows)"
            )


def _require(parameters: Mapping, key: str, name: str, description: str) -> None:
    if key not in parameters:
        raise ValueError(
            f"potential {name!r} requires the parameter {key!r} ({description})"
        )


def _build_rbf_interpolant(parameters: Mapping, options: dict, base_directory: Path):
    """Build an RBFInterpolant from a data file or inline points and values."""
    has_file = "data" in parameters
    has_inline = "points" in parameters or "values" in parameters
    if has_file == has_inline:
        raise ValueError(
            "potential 'rbf_interpolant' needs either 'data' (a .csv, .npy or .npz "
            "file) or both 'points' and 'values'; got "
            + ("both" if has_file else "neither")
        )
    if "key" in parameters and not has_file:
        raise ValueError(
            "the parameter 'key' selects an array of an .npz 'data' file; remove it "
            "or give 'data'"
        )

    if has_file:
        path = Path(parameters["data"])
        if not path.is_absolute():
            path = base_directory / path
        table = read_data_table(path, key=parameters.get("key"))
        points, values = table[:, :-1], table[:, -1]
        source = f"data file '{path}'"
    else:
        if "points" not in parameters or "values" not in parameters:
            missing = "values" if "points" in parameters else "points"
            raise ValueError(
                f"potential 'rbf_interpolant' got inline data without {missing!r}; "
                "give both 'points' and 'values'"
            )
        points = _inline_array(parameters["points"], "points")
        values = _inline_array(parameters["values"], "values")
        source = "the inline points and values"

    scale = parameters.get("scale", False)
    if not isinstance(scale, bool):
        raise ValueError(f"scale must be true or false; got {scale!r}")
    scaling = None
    if scale:
        _check_finite_inline(points, values, source)
        scaling = MinMaxScaling.fit(points, values, source)
        points = scaling.transform_inputs(points)
        values = scaling.transform_response(values)

    bounds = parameters.get("bounds", "data")
    if isinstance(bounds, str) and bounds.lower() == "none":
        bounds = None
    elif isinstance(bounds, str) and bounds != "data":
        raise ValueError(
            f"bounds must be 'data', 'none' or [low, high]; got {bounds!r}"
        )

    smoothing = parameters.get("smoothing", 0.0)
    try:
        potential = RBFInterpolant(
            points,
            values,
            smoothing=smoothing,
            bounds=bounds,
            chunk_size=parameters.get("chunk_size"),
            **options,
        )
    except ValueError as error:
        raise ValueError(f"{source}: {error}") from None
    potential.scaling = scaling
    logger.info(
        "built an RBF interpolant of %d points in %d dimensions from %s",
        points.shape[0],
        points.shape[1],
        source,
    )
    return potential


def _build_kmeans(parameters: Mapping, options: dict, base_directory: Path):
    """Build a KMeansCost from a CSV file or inline points."""
    from topograph.kmeans.datasets import read_clustering_csv

    if "data" in parameters:
        path = Path(parameters["data"])
        if not path.is_absolute():
            path = base_directory / path
        data = read_clustering_csv(path)
        points, spread = data.points, data.spread()
        source = f"data file '{path}'"
    else:
        points, spread = _inline_array(parameters["points"], "points"), None
        source = "the inline points"
    smoothing = {
        key: parameters[key] for key in ("smoothing", "temperature") if key in parameters
    }
    try:
        return KMeansCost(
            points,
            parameters["n_clusters"],
            chunk_size=parameters.get("chunk_size"),
            spread=spread,
            **smoothing,
            **options,
        )
    except ValueError as error:
        raise ValueError(f"{source}: {error}") from None


def _build_roughness_surface(parameters: Mapping, options: dict, base_directory: Path):
    """Build a RoughnessSurface from a file of Gaussians (``topograph filltune roughness``)."""
    # Imported here because the fill-tuning package imports this module.
    from topograph.filltune.gaussians import RoughnessGaussians
    from topograph.filltune.roughness_surface import RoughnessSurface

    path = Path(parameters["gaussians"])
    if not path.is_absolute():
        path = base_directory / path
    bounds = parameters.get("bounds", "gaussians")
    if isinstance(bounds, str) and bounds.lower() == "none":
        bounds = None
    elif isinstance(bounds, str) and bounds != "gaussians":
        raise ValueError(
            f"bounds must be 'gaussians', 'none' or [low, high]; got {bounds!r}"
        )
    gaussians = RoughnessGaussians.load(path)
    return RoughnessSurface(
        gaussians, bounds=bounds, chunk_size=parameters.get("chunk_size"), **options
    )


def _build_gp_likelihood(parameters: Mapping, options: dict, base_directory: Path):
    """Build a GP likelihood potential from a data file, standardised by default."""
    from topograph.gp.data import Standardiser
    from topograph.potentials.gp_likelihood import GPLikelihoodPotential

    path = Path(parameters["data"])
    if not path.is_absolute():
        path = base_directory / path
    table = read_data_table(path)
    inputs, targets = table[:, :-1], table[:, -1]
    standardize = parameters.get("standardize", True)
    if not isinstance(standardize, bool):
        raise ValueError(f"standardize must be true or false; got {standardize!r}")
    nu = parameters.get("nu", "free")
    try:
        if standardize:
            standardiser = Standardiser.fit(inputs, targets)
            inputs = standardiser.inputs(inputs)
            targets = standardiser.targets(targets)
        return GPLikelihoodPotential(
            inputs,
            targets,
            nu=None if nu == "free" else nu,
            ard=bool(parameters.get("ard", False)),
            bounds=parameters.get("bounds"),
            alpha=parameters.get("alpha", 0.0),
            hessian_step=parameters.get("hessian_step", 1e-4),
        )
    except ValueError as error:
        raise ValueError(f"data file '{path}': {error}") from None


def _inline_array(values, name: str) -> np.ndarray:
    try:
        return np.array(values, dtype=np.float64)
    except (TypeError, ValueError) as error:
        raise ValueError(
            f"inline {name!r} must be numbers ({error}); write them as a list"
            + (" of rows" if name == "points" else "")
        ) from None


def _check_finite_inline(points, values, source: str) -> None:
    """Raise ValueError naming rows with NaN or infinity, before scaling hides them."""
    points = np.asarray(points, dtype=np.float64)
    values = np.asarray(values, dtype=np.float64)
    if points.ndim != 2 or values.shape != (points.shape[0],):
        raise ValueError(
            f"{source}: points must have shape (N, d) and values (N,); got "
            f"{points.shape} and {values.shape}"
        )
    bad = np.flatnonzero(~(np.isfinite(points).all(axis=1) & np.isfinite(values)))
    if bad.size:
        raise ValueError(
            f"{source} contains NaN or infinite values in {describe_rows(bad)} "
            "(counting from 0); remove or impute these rows"
        )


def read_data_table(path, key: str | None = None) -> np.ndarray:
    """Read a numeric table ``(N, columns)`` from a .csv, .npy or .npz file.

    A CSV file may start with one header row (with no numbers in it) and
    may contain blank lines and lines starting with ``#``. An .npz file must
    contain one array, or ``key`` names the one to use.

    Raises
    ------
    ValueError
        If the file is missing or unreadable, of another type, not a 2-D
        table of numbers with at least two columns, or if any row contains
        NaN or infinity. The message names the file and the row (CSV: the
        line number; arrays: the row counting from 0).
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in DATA_SUFFIXES:
        raise ValueError(
            f"unsupported data file type '{path}'; use one of "
            f"{', '.join(DATA_SUFFIXES)}"
        )
    if suffix == ".csv":
        table, row_labels = _read_csv(path)
        noun = "line"
    else:
        table = _read_array(path, key)
        row_labels = np.arange(table.shape[0])
        noun = "row"
    if table.ndim != 2 or table.shape[1] < 2 or table.shape[0] == 0:
        raise ValueError(
            f"data file '{path}' must contain a table with at least one row and two "
            f"columns (inputs, then the response); got shape {table.shape}"
        )
    bad = np.flatnonzero(~np.isfinite(table).all(axis=1))
    if bad.size:
        counting = "" if suffix == ".csv" else " (counting from 0)"
        raise ValueError(
            f"data file '{path}' contains NaN or infinite values in "
            f"{describe_rows(row_labels[bad], noun)}{counting}; remove or impute "
            "these rows"
        )
    return table


def _read_csv(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """Return the numbers of a CSV file and the line number of each row."""
    rows = []
    line_numbers = []
    try:
        with open(path, newline="", encoding="utf-8") as handle:
            lines = list(csv.reader(handle))
    except (OSError, UnicodeDecodeError, csv.Error) as error:
        raise ValueError(
            f"cannot read data file '{path}' ({error}); check the path and that it is "
            "a text CSV file"
        ) from None

    header_allowed = True
    for line_number, cells in enumerate(lines, start=1):
        cells = [cell.strip() for cell in cells]
        if not any(cells) or cells[0].startswith("#"):
            continue
        numeric = [_is_number(cell) for cell in cells]
        # Only the first row may be a header, and a header has no numbers.
        if header_allowed and not any(numeric):
            header_allowed = False
            continue
        if not all(numeric):
            bad_cell = cells[numeric.index(False)]
            problem = (
                "an empty cell" if bad_cell == "" else f"{bad_cell!r}, not a number"
            )
            raise ValueError(
                f"data file '{path}', line {line_number} has {problem}; fill in or "
                "fix the value, or remove the row"
            )
        numbers = [float(cell) for cell in cells]
        header_allowed = False
        if rows and len(numbers) != len(rows[0]):
            raise ValueError(
                f"data file '{path}', line {line_number} has {len(numbers)} columns "
                f"but line {line_numbers[0]} has {len(rows[0])}; every row needs the "
                "same columns"
            )
        rows.append(numbers)
        line_numbers.append(line_number)
    if not rows:
        raise ValueError(f"data file '{path}' contains no rows of numbers")
    return np.array(rows, dtype=np.float64), np.array(line_numbers)


def _is_number(cell: str) -> bool:
    try:
        float(cell)
    except ValueError:
        return False
    return True


def _read_array(path: Path, key: str | None) -> np.ndarray:
    """Return the array of an .npy file, or one array of an .npz file."""
    try:
        loaded = np.load(path, allow_pickle=False)
    except (OSError, ValueError, EOFError) as error:
        raise ValueError(
            f"cannot read data file '{path}' ({error}); check the path and that it "
            "was written by numpy.save or numpy.savez"
        ) from None
    if isinstance(loaded, np.ndarray):
        if key is not None:
            raise ValueError(
                f"the parameter 'key' applies to .npz files but '{path}' is .npy; "
                "remove 'key'"
            )
        array = loaded
    else:
        with loaded:
            names = list(loaded.files)
            if key is None and len(names) == 1:
                key = names[0]
            if key is None:
                raise ValueError(
                    f"data file '{path}' contains the arrays {names}; set the "
                    "parameter 'key' to the one to use"
                )
            if key not in names:
                raise _unknown("array", key, names, f" in data file '{path}'")
            try:
                array = loaded[key]
            except (OSError, ValueError) as error:
                raise ValueError(
                    f"cannot read array {key!r} of data file '{path}' ({error})"
                ) from None
    if not np.issubdtype(array.dtype, np.number):
        raise ValueError(
            f"data file '{path}' contains an array of {array.dtype}, not numbers; "
            "save a numeric array"
        )
    return np.asarray(array, dtype=np.float64)


def load_potential_file(path) -> Potential:
    """Read a YAML potential description and build the potential.

    Relative data paths in the file are resolved against the file's folder.

    Raises
    ------
    ValueError
        If the file cannot be read or parsed, or the description is
        invalid; the message starts with the file's path.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise ValueError(
            f"cannot read potential file '{path}' ({error}); check the path"
        ) from None
    try:
        spec = yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise ValueError(
            f"potential file '{path}' is not valid YAML: {error}"
        ) from None
    try:
        return build_potential(spec, base_directory=path.parent)
    except ValueError as error:
        raise ValueError(f"{path}: {error}") from None

"""``topograph gp ...``: the Gaussian-process loss-landscape study.

Settings arrive as one JSON object per command (``--settings``), which the
workflow fills from the ``gp`` section of its configuration. Every key has
a default, listed in ``DEFAULTS``.
"""

from __future__ import annotations

import argparse
import json
import logging
import math

logger = logging.getLogger(__name__)

# Defaults of every key a command reads from --settings.
DEFAULTS = {
    "seed": 0,
    "splits": 3,
    "test_fraction": 0.3,
    "restarts": 3,
    "fixed_nus": [0.5, 1.5, 2.5, "inf"],
    "ard": False,
    "bounds": {},
    "search": {},
    "sweep_nus": [0.5, 1.0, 1.5, 2.0, 3.0, 5.0],
    "max_jump": 0.5,
    "fold_distance": 0.5,
    "nu": "free",
    "temperature": 1.0,
    "energy_window": 5.0,
    "max_members": 8,
}


def _settings(text: str) -> dict:
    try:
        value = json.loads(text)
    except json.JSONDecodeError as error:
        raise argparse.ArgumentTypeError(
            f"invalid --settings {text!r}: not JSON ({error}); pass an object such as "
            '\'{"splits": 3}\''
        ) from None
    if not isinstance(value, dict):
        raise argparse.ArgumentTypeError(f"--settings must be a JSON object; got {text!r}")
    return value


def _merged(settings: dict) -> dict:
    unknown = sorted(set(settings) - set(DEFAULTS))
    if unknown:
        raise ValueError(
            f"unknown settings {unknown}; valid keys: {', '.join(sorted(DEFAULTS))}"
        )
    return {**DEFAULTS, **settings}


def _nu(value):
    """Return a fixed ν as float (``inf`` allowed) or ``None`` for ``free``."""
    if value in (None, "free"):
        return None
    return float(value)


def add_parsers(parser: argparse.ArgumentParser) -> None:
    commands = parser.add_subparsers(dest="command", required=True)

    data = commands.add_parser("data", help="write a synthetic or real data set as CSV")
    data.add_argument("name", help="name of the data set")
    data.add_argument("--settings", type=_settings, required=True, help="JSON object: source (synthetic, sklearn, statsmodels) and its options")
    data.add_argument("--seed", type=int, default=0, help="seed of the synthetic draw or row subsample")
    data.add_argument("--output", required=True, help="CSV file; the target is the last column")
    data.set_defaults(handler=_data)

    performance = commands.add_parser("performance", help="fixed against optimised nu over train/test splits")
    performance.add_argument("data", help="CSV data file, target last")
    performance.add_argument("--name", required=True, help="data set name for the table")
    performance.add_argument("--settings", type=_settings, default={}, help="JSON object: splits, test_fraction, restarts, fixed_nus, ard, bounds, seed")
    performance.add_argument("--output", required=True, help="CSV table, one row per split and kernel")
    performance.set_defaults(handler=_performance)

    summary = commands.add_parser("summarise", help="mean and 95%% interval per data set and kernel")
    summary.add_argument("tables", nargs="+", help="CSV tables of 'gp performance'")
    summary.add_argument("--output", required=True, help="CSV summary table")
    summary.add_argument("--figure", help="figure of RMSE and NLPD (.png, .pdf or .svg)")
    summary.set_defaults(handler=_summarise)

    sweep = commands.add_parser("sweep", help="follow stationary points over a grid of nu and detect folds")
    sweep.add_argument("data", help="CSV data file, target last")
    sweep.add_argument("--name", required=True, help="data set name for the tables")
    sweep.add_argument("--settings", type=_settings, default={}, help="JSON object: sweep_nus, search, max_jump, fold_distance, ard, bounds, seed")
    sweep.add_argument("--branches", required=True, help="CSV table of branch points")
    sweep.add_argument("--catastrophes", required=True, help="CSV table of folds and index changes")
    sweep.add_argument("--figure", required=True, help="figure of energy against nu")
    sweep.set_defaults(handler=_sweep)

    ensemble = commands.add_parser("ensemble", help="ensembles of low-lying minima: predicted and measured gain")
    ensemble.add_argument("data", help="CSV data file, target last")
    ensemble.add_argument("--name", required=True, help="data set name for the table")
    ensemble.add_argument("--settings", type=_settings, default={}, help="JSON object: nu, temperature, energy_window, max_members, search, splits, test_fraction, ard, bounds, seed")
    ensemble.add_argument("--output", required=True, help="CSV table, one row per split and scheme")
    ensemble.set_defaults(handler=_ensemble)

    ensemble_plot = commands.add_parser("plot-ensemble", help="predicted against measured ensemble gain")
    ensemble_plot.add_argument("tables", nargs="+", help="CSV tables of 'gp ensemble'")
    ensemble_plot.add_argument("--output", required=True, help="figure file")
    ensemble_plot.add_argument("--table", help="combined CSV table of all data sets")
    ensemble_plot.set_defaults(handler=_plot_ensemble)

    landscape = commands.add_parser("plot-landscape", help="disconnectivity graph of a nu-free landscape coloured by nu")
    landscape.add_argument("database", help="database (.npz) of a gp_likelihood landscape with nu free")
    landscape.add_argument("--levels", type=int, default=12, help="number of energy levels")
    landscape.add_argument("--output", required=True, help="figure file")
    landscape.add_argument("--table", help="CSV table of the minima: NLML and hyperparameters")
    landscape.set_defaults(handler=_plot_landscape)


def _load(path):
    from topograph.potentials.registry import read_data_table

    table = read_data_table(path)
    return table[:, :-1], table[:, -1]


def _search_settings(settings: dict):
    from topograph.gp.search import SearchSettings

    try:
        return SearchSettings(**{"seed": settings["seed"], **settings["search"]})
    except TypeError as error:
        raise ValueError(
            f"invalid search settings {settings['search']}: {error}; valid keys: "
            f"{', '.join(SearchSettings.__dataclass_fields__)}"
        ) from None


def _data(arguments):
    from topograph.gp.data import build_dataset
    from topograph.gp.tables import write_dataset_csv

    dataset = build_dataset(arguments.name, arguments.settings, arguments.seed)
    write_dataset_csv(arguments.output, dataset.inputs, dataset.targets)
    logger.info(
        "wrote %s (%s): %d rows, %d inputs", arguments.output, dataset.description,
        len(dataset.targets), dataset.inputs.shape[1],
    )  # fmt: skip


def _performance(arguments):
    from topograph.gp.performance import compare_kernels
    from topograph.gp.tables import write_rows

    settings = _merged(arguments.settings)
    inputs, targets = _load(arguments.data)
    rows = compare_kernels(
        arguments.name, inputs, targets, [float(nu) for nu in settings["fixed_nus"]],
        settings["splits"], settings["test_fraction"], settings["restarts"],
        settings["seed"], settings["ard"], settings["bounds"],
    )  # fmt: skip
    write_rows(arguments.output, rows)


def _summarise(arguments):
    from topograph.gp.performance import summarise
    from topograph.gp.tables import read_rows, write_rows

    rows = [row for path in arguments.tables for row in read_rows(path)]
    for row in rows:
        row["kernel"] = str(row["kernel"]) if not isinstance(row["kernel"], float) else (
            "inf" if math.isinf(row["kernel"]) else f"{row['kernel']:g}"
        )
    summary = summarise(rows)
    write_rows(arguments.output, summary)
    if arguments.figure:
        from topograph.gp.plots import plot_performance

        plot_performance(summary, arguments.figure)


def _sweep(arguments):
    import numpy as np

    from topograph.gp.data import Standardiser
    from topograph.gp.plots import plot_branches
    from topograph.gp.sweep import sweep_nu
    from topograph.gp.tables import write_rows

    settings = _merged(arguments.settings)
    inputs, targets = _load(arguments.data)
    standardiser = Standardiser.fit(inputs, targets)
    grid = sorted(float(nu) for nu in settings["sweep_nus"])
    result = sweep_nu(
        standardiser.inputs(inputs), standardiser.targets(targets), grid,
        _search_settings(settings), settings["ard"], settings["bounds"],
        settings["max_jump"], settings["fold_distance"],
    )  # fmt: skip

    points = []
    for number, branch in enumerate(result.branches):
        for k, nu in enumerate(branch.parameters):
            row = {
                "dataset": arguments.name, "branch": number, "kind": branch.kind,
                "direction": branch.direction, "nu": nu, "energy": branch.energies[k],
                "lowest_eigenvalue": branch.lowest_eigenvalues[k], "end": branch.end,
            }  # fmt: skip
            for d, value in enumerate(np.asarray(branch.coordinates[k])):
                row[f"theta_{d}"] = value
            points.append(row)
    write_rows(arguments.branches, points)
    columns = ["dataset", "kind", "nu_before", "nu_after", "estimated_nu", "energy", "distance", "branches"]
    write_rows(
        arguments.catastrophes,
        [
            {
                "dataset": arguments.name, "kind": item.kind, "nu_before": item.parameter_before,
                "nu_after": item.parameter_after, "estimated_nu": item.estimated_parameter,
                "energy": item.energy, "distance": item.distance,
                "branches": " ".join(str(b) for b in item.branches),
            }  # fmt: skip
            for item in result.catastrophes
        ],
        columns,
    )
    plot_branches(result.branches, result.catastrophes, arguments.figure, arguments.name)
    logger.info(
        "%s: %d branches, %d folds", arguments.name, len(result.branches),
        sum(item.kind == "fold" for item in result.catastrophes),
    )  # fmt: skip


def _ensemble(arguments):
    from topograph.gp.ensemble_study import ensemble_study
    from topograph.gp.tables import write_rows

    settings = _merged(arguments.settings)
    inputs, targets = _load(arguments.data)
    rows = ensemble_study(
        arguments.name, inputs, targets, settings["splits"], settings["test_fraction"],
        _search_settings(settings), settings["temperature"], settings["energy_window"],
        settings["max_members"], settings["seed"], _nu(settings["nu"]), settings["ard"],
        settings["bounds"],
    )  # fmt: skip
    write_rows(arguments.output, rows)


def _plot_ensemble(arguments):
    from topograph.gp.plots import plot_ensemble_gain
    from topograph.gp.tables import read_rows, write_rows

    rows = [row for path in arguments.tables for row in read_rows(path)]
    plot_ensemble_gain(rows, arguments.output)
    if arguments.table:
        write_rows(arguments.table, rows)


def _plot_landscape(arguments):
    import numpy as np

    from topograph.analysis.disconnectivity import plot_disconnectivity
    from topograph.database.store import StationaryPointDatabase
    from topograph.gp.tables import write_rows

    database = StationaryPointDatabase.load(arguments.database)
    if database.n_minima == 0:
        raise ValueError(f"{arguments.database} contains no minima; explore the landscape first")
    if arguments.levels < 2:
        raise ValueError(f"--levels must be at least 2; got {arguments.levels}")
    spec = database.metadata.get("landscape", {}).get("potential", {})
    parameters = spec.get("parameters", {})
    if spec.get("potential") != "gp_likelihood" or parameters.get("nu", "free") != "free":
        raise ValueError(
            f"{arguments.database} is not a gp_likelihood landscape with nu free; "
            "colour by nu needs log nu as the last coordinate"
        )
    coordinates = database.minima.coordinates
    nus = np.exp(coordinates[:, -1])
    plot_disconnectivity(
        database, arguments.output, levels=arguments.levels, colour_by=nus,
        colour_label="Matérn ν", energy_label="negative log marginal likelihood",
    )  # fmt: skip
    if arguments.table:
        rows = []
        for index in np.argsort(database.minima.energies):
            row = {"minimum": int(index), "nlml": database.minima.energies[index]}
            row.update({f"theta_{d}": value for d, value in enumerate(coordinates[index])})
            row["nu"] = nus[index]
            row["on_bounds"] = bool(database.minima.on_bounds[index])
            rows.append(row)
        write_rows(arguments.table, rows)

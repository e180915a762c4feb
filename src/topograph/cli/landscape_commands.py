"""``topograph landscape ...``: explore, merge, connect, plot, export and analyse."""

from __future__ import annotations

import argparse
import logging

logger = logging.getLogger(__name__)


def _float_list(text: str) -> list[float]:
    try:
        return [float(part) for part in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(f"invalid number list {text!r}; expected comma-separated numbers such as 0.5,1.0") from None


def _index_list(text: str) -> list[int]:
    try:
        return [int(part) for part in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(f"invalid minimum list {text!r}; expected comma-separated indices such as 0,3,4") from None


def add_parsers(parser: argparse.ArgumentParser) -> None:
    commands = parser.add_subparsers(dest="command", required=True)

    explore = commands.add_parser("explore", help="basin-hopping for one shard of a landscape's chains")
    explore.add_argument("spec", help="landscape description (YAML)")
    explore.add_argument("--shard", type=int, default=0, help="index of this shard, from 0")
    explore.add_argument("--shards", type=int, default=None, help="number of shards (default: explore.shards of the description)")
    explore.add_argument("--output", required=True, help="database file (.npz) of the minima found")
    explore.add_argument("--restart", action="store_true", help="ignore a checkpoint left by an interrupted run")
    explore.set_defaults(handler=_explore)

    merge = commands.add_parser("merge", help="merge shard databases in the order given")
    merge.add_argument("shards", nargs="+", help="shard databases (.npz)")
    merge.add_argument("--spec", help="landscape description, for the duplicate tolerances")
    merge.add_argument("--output", required=True, help="merged database (.npz)")
    merge.set_defaults(handler=_merge)

    connect = commands.add_parser("connect", help="transition-state searches between nearby minima")
    connect.add_argument("spec", help="landscape description (YAML)")
    connect.add_argument("--database", required=True, help="database of minima (.npz)")
    connect.add_argument("--output", required=True, help="database with transition states (.npz)")
    connect.add_argument("--restart", action="store_true", help="ignore a checkpoint left by an interrupted run")
    connect.set_defaults(handler=_connect)

    plot = commands.add_parser("plot", help="draw the disconnectivity graph")
    plot.add_argument("database", help="database (.npz)")
    plot.add_argument("--spec", help="landscape description, for the number of levels")
    plot.add_argument("--levels", type=int, help="number of energy levels")
    plot.add_argument("--colour-by", help="name of a per-minimum property to colour minima by")
    plot.add_argument("--output", required=True, help="image file (.png, .pdf or .svg)")
    plot.set_defaults(handler=_plot)

    frustration = commands.add_parser("frustration", help="frustration and its per-pair contributions")
    frustration.add_argument("database", help="database (.npz)")
    frustration.add_argument("--spec", help="landscape description, for the length scale")
    frustration.add_argument("--length-scale", type=float, help="length scale of the weights, in coordinate units")
    frustration.add_argument("--output", required=True, help="CSV table of contributions, largest first")
    frustration.set_defaults(handler=_frustration)

    rates = commands.add_parser("rates", help="rate constants and mean first-passage times between sets of minima")
    rates.add_argument("database", help="database (.npz)")
    rates.add_argument("--spec", help="landscape description, for the temperatures")
    rates.add_argument("--a", type=_index_list, help="minima of the product set A (default: the global minimum)")
    rates.add_argument("--b", type=_index_list, help="minima of the reactant set B (default: each other connected minimum in turn)")
    rates.add_argument("--temperatures", type=_float_list, help="temperatures, in the energy unit")
    rates.add_argument(
        "--lowest", type=int, default=10,
        help="without --b, the number of lowest other minima taken in turn as B (default 10)",
    )  # fmt: skip
    rates.add_argument(
        "--equal-prefactors", action="store_true",
        help="give every rate the same prefactor, for a database without Hessian log products",
    )  # fmt: skip
    rates.add_argument(
        "--group-threshold", type=float,
        help="regroup minima separated by free-energy barriers below this value and tabulate the rates "
        "between adjacent groups instead",
    )  # fmt: skip
    rates.add_argument("--output", required=True, help="CSV table of rates")
    rates.set_defaults(handler=_rates)

    export = commands.add_parser("export", help="write min.data, ts.data, points.min and points.ts for PATHSAMPLE")
    export.add_argument("database", help="database (.npz)")
    export.add_argument("--directory", required=True, help="folder to write the four files into")
    export.set_defaults(handler=_export)

    summary = commands.add_parser("summary", help="counts, global minimum and connectivity as JSON")
    summary.add_argument("database", help="database (.npz)")
    summary.add_argument(
        "--spec", action="append",
        help="landscape description copied into the summary; repeat it for stage files"
        " (explore.yaml, connect.yaml), whose sections are merged, later files first",
    )
    summary.add_argument("--length-scale", type=float, help="length scale of the frustration in the summary")
    summary.add_argument("--output", required=True, help="JSON file")
    summary.set_defaults(handler=_summary)


def _positive(value, default, option):
    value = default if value is None else value
    if not value > 0:
        raise ValueError(f"{option} must be a positive number, got {value}")
    return value


def _load_optional_spec(path):
    from topograph.landscape.spec import load_spec, validate_spec

    if path is None:
        return validate_spec({"potential": {"potential": "muller_brown"}}, source="default settings")
    return load_spec(path)


def _merged_specs(paths):
    """Validate each description and merge their sections, later files replacing earlier ones.

    Each stage file of the workflow contains only the sections its step reads,
    so the summary of a landscape merges them to record every setting used.
    """
    from pathlib import Path

    import yaml

    from topograph.landscape.spec import load_spec, validate_spec

    merged = {}
    for path in paths:
        load_spec(path)
        merged.update(yaml.safe_load(Path(path).read_text()))
    return validate_spec(merged, source=" + ".join(str(path) for path in paths))


def _explore(arguments):
    from topograph.landscape.explore import explore_shard
    from topograph.landscape.spec import load_spec

    spec = load_spec(arguments.spec)
    shards = spec["explore"]["shards"] if arguments.shards is None else arguments.shards
    explore_shard(spec, arguments.shard, shards, arguments.output, restart=arguments.restart)


def _merge(arguments):
    from topograph.landscape.merge import merge_shard_files

    spec = _load_optional_spec(arguments.spec)
    merge_shard_files(arguments.shards, arguments.output, spec)


def _connect(arguments):
    from topograph.landscape.connect import connect_landscape
    from topograph.landscape.spec import load_spec

    connect_landscape(load_spec(arguments.spec), arguments.database, arguments.output, restart=arguments.restart)


def _plot(arguments):
    from topograph.analysis.disconnectivity import plot_disconnectivity
    from topograph.database.store import StationaryPointDatabase

    spec = _load_optional_spec(arguments.spec)
    database = StationaryPointDatabase.load(arguments.database)
    levels = spec["analysis"]["levels"] if arguments.levels is None else arguments.levels
    if levels < 2:
        raise ValueError(f"--levels must be at least 2, got {levels}")
    colour_by = arguments.colour_by
    if colour_by is not None and colour_by not in database.minima.properties:
        known = ", ".join(sorted(database.minima.properties)) or "none"
        raise ValueError(f"property {colour_by!r} not found in {arguments.database}; stored properties: {known}")
    plot_disconnectivity(database, arguments.output, levels=levels, colour_by=colour_by)


def _frustration(arguments):
    from topograph.landscape.reports import write_frustration_table

    spec = _load_optional_spec(arguments.spec)
    length_scale = _positive(arguments.length_scale, spec["analysis"]["length_scale"], "--length-scale")
    write_frustration_table(arguments.database, length_scale, arguments.output)


def _rates(arguments):
    from topograph.landscape.reports import write_rates

    spec = _load_optional_spec(arguments.spec)
    temperatures = spec["analysis"]["temperatures"] if arguments.temperatures is None else arguments.temperatures
    if arguments.lowest < 1:
        raise ValueError(f"--lowest must be at least 1, got {arguments.lowest}")
    write_rates(
        arguments.database,
        arguments.a,
        arguments.b,
        temperatures,
        arguments.output,
        lowest=arguments.lowest,
        equal_prefactors=arguments.equal_prefactors,
        group_threshold=arguments.group_threshold,
    )


def _export(arguments):
    from topograph.analysis.pathsample import write_pathsample
    from topograph.database.store import StationaryPointDatabase

    write_pathsample(StationaryPointDatabase.load(arguments.database), arguments.directory)


def _summary(arguments):
    from topograph.landscape.reports import write_summary

    spec = _merged_specs(arguments.spec) if arguments.spec else None
    length_scale = arguments.length_scale
    if length_scale is None and spec is not None:
        length_scale = spec["analysis"]["length_scale"]
    if length_scale is not None:
        length_scale = _positive(length_scale, None, "--length-scale")
    write_summary(arguments.database, spec, arguments.output, length_scale)

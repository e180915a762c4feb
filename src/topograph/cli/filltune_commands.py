"""``topograph filltune ...``: the fill-tuning steps, each reading and writing files.

sample -> response -> (topograph landscape explore/connect on the response
table) -> roughness -> propose, then evaluate / compare, rogi and plots.
Models are loaded with ``topograph.models.load_model`` from a name or a
directory.
"""

from __future__ import annotations

import argparse
import csv
import json
import logging
from pathlib import Path

import numpy as np

logger = logging.getLogger(__name__)

# Data points kept as rough-region estimates when a landscape has no
# transition states: three times the default number of proposals, because
# decoding and de-duplication lose some.
FALLBACK_POINTS = 300

# Minimum --max-rows. At the default test fraction of 0.2, 10 molecules
# split into 8 training and 2 test molecules, the minimum with which a
# stratified split can put both classes of a classification task in the
# test split.
MIN_TASK_ROWS = 10
# Fewer test molecules than this still give a metric, but one so noisy that
# the evaluation logs a warning.
MIN_TEST_MOLECULES = 5

TASK_HELP = (
    "a built-in task (freesolv, solubility, bbb_logbb, bbb_class, qm9_gap, qm9_homo, ...) "
    "or a CSV task written as csv:path=FILE,smiles=COLUMN,label=COLUMN,type=regression|classification"
    "[,name=NAME]; repeat for several tasks"
)


def _seed_list(text: str) -> list[int]:
    try:
        return [int(part) for part in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"invalid seed list {text!r}; expected comma-separated integers such as 0,1,2"
        ) from None


def _model_pair(text: str) -> tuple[str, str]:
    name, separator, location = text.partition("=")
    if not separator:
        return text, text
    if not name or not location:
        raise argparse.ArgumentTypeError(
            f"invalid model {text!r}; write NAME=DIRECTORY or a model name"
        )
    return name, location


def _require_at_least(value: int, option: str, minimum: int, example: int) -> None:
    """Raise a ValueError naming ``option`` when ``value`` is below ``minimum``."""
    if value < minimum:
        kind = (
            "a non-negative integer"
            if minimum == 0
            else f"an integer of at least {minimum}"
        )
        raise ValueError(f"{option} {value} must be {kind}, such as {example}")


def _require_distinct_models(models: list[tuple[str, str]]) -> None:
    """Raise when two ``--model`` arguments share a name, because their rows would merge."""
    names = [name for name, _ in models]
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        raise ValueError(
            f"--model name {repeated[0]!r} is given more than once; give each model "
            "once, or name copies apart as NAME=DIRECTORY"
        )


def _require_max_rows(max_rows) -> None:
    if max_rows is not None and max_rows < MIN_TASK_ROWS:
        raise ValueError(
            f"--max-rows {max_rows} is too small; give at least {MIN_TASK_ROWS} so that "
            "each split has training and test molecules, or leave it out to use every row"
        )


def add_parsers(parser: argparse.ArgumentParser) -> None:
    commands = parser.add_subparsers(dest="command", required=True)

    sample = commands.add_parser(
        "sample", help="Latin-hypercube latent samples with neighbours on a sphere"
    )
    sample.add_argument("--output", required=True, help="samples file (.npz)")
    sample.add_argument(
        "--samples", type=int, default=5000, help="number of samples (default 5000)"
    )
    sample.add_argument(
        "--dimension", type=int, default=128, help="latent dimension (default 128)"
    )
    sample.add_argument(
        "--neighbours", type=int, default=10, help="neighbours per sample (default 10)"
    )
    sample.add_argument(
        "--radius",
        type=float,
        default=0.05,
        help="distance of each neighbour, latent units (default 0.05)",
    )
    sample.add_argument(
        "--box",
        type=float,
        nargs=2,
        default=[-1.0, 1.0],
        metavar=("LOW", "HIGH"),
        help="latent box (default -1 1)",
    )
    sample.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    sample.set_defaults(handler=_sample)

    response = commands.add_parser(
        "response", help="decode samples (or embed a pool) and write the response table"
    )
    response.add_argument("--model", required=True, help="model name or directory")
    response.add_argument(
        "--samples", help="samples file from `filltune sample` (models with a decoder)"
    )
    response.add_argument(
        "--pool", help="CSV of pool molecules (models without a decoder)"
    )
    response.add_argument(
        "--pool-column",
        default="smiles",
        help="SMILES column of --pool (default smiles)",
    )
    response.add_argument(
        "--neighbours",
        type=int,
        default=10,
        help="nearest pool embeddings per molecule (default 10)",
    )
    response.add_argument(
        "--batch-size",
        type=int,
        default=512,
        help="latent vectors per decode call (default 512)",
    )
    response.add_argument(
        "--device", default="cpu", help="torch device of the model (default cpu)"
    )
    response.add_argument(
        "--output",
        required=True,
        help="response table (.npy, .npz or .csv) for the rbf_interpolant potential",
    )
    response.add_argument(
        "--molecules", help="CSV of the molecule behind each row and its response"
    )
    response.set_defaults(handler=_response)

    roughness = commands.add_parser(
        "roughness",
        help="Gaussians on the rough regions and the minima of their surface",
    )
    roughness.add_argument(
        "--database",
        required=True,
        help="connected landscape database of the response (.npz)",
    )
    roughness.add_argument(
        "--table",
        required=True,
        help="the response table the landscape was fitted to, to map back to the latent box",
    )
    roughness.add_argument(
        "--gaussians",
        required=True,
        help="output: Gaussians of the roughness surface (.npz)",
    )
    roughness.add_argument(
        "--minima",
        required=True,
        help="output: CSV of surface minima below the cut, roughest first",
    )
    roughness.add_argument(
        "--contributions",
        help="output: CSV of frustration contributions, largest first",
    )
    roughness.add_argument(
        "--length-scale",
        type=float,
        default=0.8,
        help="length scale of the ranked contributions (default 0.8)",
    )
    roughness.add_argument(
        "--steps",
        type=int,
        default=5,
        help="basin-hopping steps per Gaussian (default 5)",
    )
    roughness.add_argument(
        "--temperature",
        type=float,
        default=1.0,
        help="Metropolis temperature, surface energy units (default 1)",
    )
    roughness.add_argument(
        "--step-size",
        type=float,
        default=0.05,
        help="basin-hopping step, scaled units (default 0.05)",
    )
    roughness.add_argument(
        "--cut",
        type=float,
        default=-0.1,
        help="keep minima below this energy (default -0.1)",
    )
    roughness.add_argument(
        "--seed", type=int, default=0, help="random seed (default 0)"
    )
    roughness.set_defaults(handler=_roughness)

    propose = commands.add_parser(
        "propose", help="decode (or retrieve) molecules at the surface minima"
    )
    propose.add_argument("--model", required=True, help="model name or directory")
    propose.add_argument(
        "--minima", required=True, help="surface minima CSV from `filltune roughness`"
    )
    propose.add_argument(
        "--count", type=int, default=100, help="molecules to propose (default 100)"
    )
    propose.add_argument(
        "--pool",
        help="CSV of pool molecules to retrieve from (models without a decoder)",
    )
    propose.add_argument(
        "--pool-column",
        default="smiles",
        help="SMILES column of --pool (default smiles)",
    )
    propose.add_argument("--corpus", help="CSV of the pretraining corpus, for novelty")
    propose.add_argument(
        "--corpus-column",
        default="smiles",
        help="SMILES column of --corpus (default smiles)",
    )
    propose.add_argument(
        "--device", default="cpu", help="torch device of the model (default cpu)"
    )
    propose.add_argument("--output", required=True, help="CSV of proposed molecules")
    propose.add_argument(
        "--statistics",
        required=True,
        help="JSON of validity, uniqueness, novelty and any shortfall",
    )
    propose.set_defaults(handler=_propose)

    evaluate = commands.add_parser(
        "evaluate", help="fixed heads on frozen embeddings over seeded splits"
    )
    evaluate.add_argument(
        "--model",
        type=_model_pair,
        action="append",
        required=True,
        help="NAME=DIRECTORY or a model name; repeat for several models",
    )
    evaluate.add_argument("--task", action="append", required=True, help=TASK_HELP)
    evaluate.add_argument(
        "--seeds",
        type=_seed_list,
        default=[0, 1, 2, 3, 4],
        help="split seeds (default 0,1,2,3,4)",
    )
    evaluate.add_argument(
        "--test-fraction",
        type=float,
        default=0.2,
        help="fraction of each task in the test split (default 0.2)",
    )
    evaluate.add_argument(
        "--max-rows",
        type=int,
        help=f"subsample each task to at most this many molecules, at least {MIN_TASK_ROWS} "
        "(QM9: 2000 by default)",
    )
    evaluate.add_argument(
        "--device", default="cpu", help="torch device of the models (default cpu)"
    )
    evaluate.add_argument(
        "--output", required=True, help="CSV of metrics per model, task and seed"
    )
    evaluate.add_argument(
        "--base", help="the base model; with --table, also write the comparison"
    )
    evaluate.add_argument(
        "--table", help="CSV of each task's metric and change against --base"
    )
    evaluate.set_defaults(handler=_evaluate)

    compare = commands.add_parser(
        "compare", help="per-task change against the base model with 95%% intervals"
    )
    compare.add_argument(
        "metrics", nargs="+", help="metric CSV files from `filltune evaluate`"
    )
    compare.add_argument("--base", required=True, help="name of the base model")
    compare.add_argument("--output", required=True, help="CSV of the comparison table")
    compare.set_defaults(handler=_compare)

    rogi = commands.add_parser(
        "rogi", help="ROGI-XD of task labels on a model's embeddings"
    )
    rogi.add_argument(
        "--model",
        type=_model_pair,
        action="append",
        required=True,
        help="NAME=DIRECTORY or a model name; repeat",
    )
    rogi.add_argument("--task", action="append", required=True, help=TASK_HELP)
    rogi.add_argument(
        "--max-rows",
        type=int,
        default=2000,
        help=f"subsample each task to at most this many molecules, at least {MIN_TASK_ROWS} "
        "(default 2000)",
    )
    rogi.add_argument(
        "--seed", type=int, default=0, help="seed of the subsample (default 0)"
    )
    rogi.add_argument(
        "--device", default="cpu", help="torch device of the models (default cpu)"
    )
    rogi.add_argument(
        "--output", required=True, help="CSV of model, task, molecules and ROGI-XD"
    )
    rogi.set_defaults(handler=_rogi)

    plots = commands.add_parser(
        "plots", help="figures of the fill-tuning steps; give any input with its output"
    )
    plots.add_argument("--response", help="response table")
    plots.add_argument("--response-plot", help="output: response histogram")
    plots.add_argument("--gaussians", help="Gaussians file from `filltune roughness`")
    plots.add_argument(
        "--contributions-plot", help="output: ranked frustration contributions"
    )
    plots.add_argument("--minima", help="surface minima CSV")
    plots.add_argument(
        "--cut",
        type=float,
        default=-0.1,
        help="the energy cut drawn with the minima (default -0.1)",
    )
    plots.add_argument("--minima-plot", help="output: surface minima with the cut")
    plots.add_argument("--proposals", help="proposals CSV")
    plots.add_argument("--grid-plot", help="output: PNG grid of proposed molecules")
    plots.add_argument("--comparison", help="comparison table CSV")
    plots.add_argument(
        "--base", help="base model of the comparison (left out of the bars)"
    )
    plots.add_argument(
        "--changes-plot", help="output: per-task change with 95%% intervals"
    )
    plots.set_defaults(handler=_plots)


def _load_model(location: str, device: str):
    try:
        from topograph.models import load_model
    except ImportError as error:
        raise ValueError(
            f"the model package cannot be imported ({error}); reinstall topograph"
        ) from None
    return load_model(location, device=device)


def read_smiles_column(path, column: str) -> list[str]:
    """Read one SMILES column of a CSV file with a header; empty cells are dropped."""
    path = Path(path)
    try:
        with open(path, newline="", encoding="utf-8") as handle:
            reader = csv.DictReader(handle)
            if not reader.fieldnames:
                raise ValueError(
                    f"the file {path} is empty; give a header row with a {column!r} "
                    "column and one SMILES per row"
                )
            if column not in reader.fieldnames:
                raise ValueError(
                    f"the column {column!r} is missing from {path}; columns present: "
                    f"{', '.join(reader.fieldnames)}. Pass the SMILES column's name"
                )
            return [
                row[column].strip() for row in reader if (row[column] or "").strip()
            ]
    except (OSError, UnicodeDecodeError, csv.Error) as error:
        raise ValueError(f"cannot read {path} ({error}); check the path") from None


def parse_task(text: str, max_rows, seed: int = 0):
    """Load the task that a ``--task`` argument names."""
    from topograph.downstream.datasets import load_csv_task, load_task

    if not text.startswith("csv:"):
        return load_task(text, max_rows=max_rows, seed=seed)
    fields = {}
    for part in text[4:].split(","):
        key, separator, value = part.partition("=")
        if not separator:
            raise ValueError(
                f"invalid CSV task {text!r}: {part!r} is not KEY=VALUE; {TASK_HELP}"
            )
        fields[key.strip()] = value.strip()
    missing = [key for key in ("path", "smiles", "label", "type") if key not in fields]
    if missing:
        raise ValueError(f"CSV task {text!r} lacks {missing}; {TASK_HELP}")
    unknown = set(fields) - {"path", "smiles", "label", "type", "name"}
    if unknown:
        raise ValueError(
            f"CSV task {text!r} has unknown keys {sorted(unknown)}; {TASK_HELP}"
        )
    return load_csv_task(
        fields["path"], fields["smiles"], fields["label"], fields["type"],
        name=fields.get("name"), max_rows=max_rows, seed=seed,
    )  # fmt: skip


def _sample(arguments) -> None:
    from topograph.filltune.sampling import sample_latent_box

    _require_at_least(arguments.samples, "--samples", 1, 5000)
    _require_at_least(arguments.dimension, "--dimension", 1, 128)
    _require_at_least(arguments.neighbours, "--neighbours", 1, 10)
    _require_at_least(arguments.seed, "--seed", 0, 0)
    samples = sample_latent_box(
        n_samples=arguments.samples,
        dimension=arguments.dimension,
        n_neighbours=arguments.neighbours,
        radius=arguments.radius,
        low=arguments.box[0],
        high=arguments.box[1],
        seed=arguments.seed,
    )
    Path(arguments.output).parent.mkdir(parents=True, exist_ok=True)
    samples.save(arguments.output)
    logger.info(
        "wrote %d samples with %d neighbours each in %d dimensions to %s",
        samples.n_samples, samples.n_neighbours, samples.dimension, arguments.output,
    )  # fmt: skip


def _response(arguments) -> None:
    from topograph.filltune.response import decoder_response, embedding_response
    from topograph.filltune.sampling import LatentSamples

    if (arguments.samples is None) == (arguments.pool is None):
        raise ValueError(
            "give exactly one of --samples (decode latent samples) and --pool (embed "
            "known molecules, for models without a decoder)"
        )
    _require_at_least(arguments.batch_size, "--batch-size", 1, 512)
    _require_at_least(arguments.neighbours, "--neighbours", 1, 10)
    model = _load_model(arguments.model, arguments.device)
    if arguments.samples is not None:
        table = decoder_response(
            model, LatentSamples.load(arguments.samples), arguments.batch_size
        )
    else:
        pool = read_smiles_column(arguments.pool, arguments.pool_column)
        table = embedding_response(model, pool, arguments.neighbours)
    table.save(arguments.output, arguments.molecules)
    logger.info(
        "wrote the response of %d points to %s", len(table.response), arguments.output
    )


def _roughness(arguments) -> None:
    from topograph.analysis.frustration import frustration
    from topograph.database.store import StationaryPointDatabase
    from topograph.filltune.gaussians import gaussians_from_database
    from topograph.filltune.surface_minima import find_surface_minima
    from topograph.potentials.registry import read_data_table
    from topograph.potentials.scaling import MinMaxScaling

    _require_at_least(arguments.seed, "--seed", 0, 0)
    database = StationaryPointDatabase.load(arguments.database)
    table = read_data_table(arguments.table)
    if table.shape[1] - 1 != database.dimension:
        raise ValueError(
            f"the response table {arguments.table} has {table.shape[1] - 1} input columns "
            f"but the database {arguments.database} has dimension {database.dimension}; "
            "pass the table the landscape was fitted to"
        )
    coordinates = database.minima.coordinates
    # A landscape fitted with `scale: true` lives in the unit cube; other
    # coordinates cannot be mapped back with the table's scaling.
    if coordinates.size and (coordinates.min() < -1e-9 or coordinates.max() > 1 + 1e-9):
        raise ValueError(
            f"the minima of {arguments.database} lie outside [0, 1], so the landscape "
            "was not fitted to the scaled table; map it with `scale: true` in the "
            "rbf_interpolant parameters"
        )
    scaling = MinMaxScaling.fit(table[:, :-1], table[:, -1], str(arguments.table))
    if database.n_transition_states == 0:
        _write_lowest_response_fallback(arguments, database, table, scaling)
        return
    gaussians = gaussians_from_database(
        database,
        ranking_length_scale=arguments.length_scale,
        input_minimum=scaling.input_minimum,
        input_range=scaling.input_range,
    )
    gaussians.save(arguments.gaussians)
    if arguments.contributions:
        from topograph.downstream.comparison import write_table

        _, contributions = frustration(database, arguments.length_scale)
        rows = [
            {name: (float(row[name]) if name in ("barrier", "weight", "contribution") else int(row[name]))
             for name in contributions.dtype.names}
            for row in contributions
        ]  # fmt: skip
        write_table(arguments.contributions, rows, contributions.dtype.names)
    minima = find_surface_minima(
        gaussians,
        steps=arguments.steps,
        temperature=arguments.temperature,
        step_size=arguments.step_size,
        seed=arguments.seed,
        cut=arguments.cut,
    )
    minima.save(arguments.minima)
    logger.info(
        "%d Gaussians written to %s; %d surface minima below %g written to %s",
        gaussians.n_gaussians, arguments.gaussians, len(minima), arguments.cut, arguments.minima,
    )  # fmt: skip


def _write_lowest_response_fallback(arguments, database, table, scaling) -> None:
    """Write empty Gaussians and, as surface minima, the lowest-response data points.

    A landscape without transition states has no barriers, so no frustration
    contributions and no roughness surface. The data points whose neighbours
    are least similar to them are then the best available estimate of the
    rough regions. The minima table gives each the response (0 to 1, lowest
    first) as its energy, and a warning in the log names the reason.
    """
    from topograph.filltune.gaussians import RoughnessGaussians
    from topograph.filltune.surface_minima import SurfaceMinima

    dimension = database.dimension
    logger.warning(
        "%s has %d minima and no transition states, so there is no roughness "
        "surface; the %d data points with the lowest response are written as "
        "the surface minima instead",
        arguments.database, database.n_minima, min(len(table), FALLBACK_POINTS),
    )  # fmt: skip
    empty = np.zeros((0, dimension))
    RoughnessGaussians(
        centres=empty, directions=empty, peaks=np.zeros(0),
        along_variances=np.zeros(0), across_variances=np.zeros(0),
        minima=np.zeros(0, dtype=int), transition_states=np.zeros(0, dtype=int),
        contributions=np.zeros(0), input_minimum=scaling.input_minimum,
        input_range=scaling.input_range,
    ).save(arguments.gaussians)  # fmt: skip
    if arguments.contributions:
        from topograph.downstream.comparison import write_table

        write_table(
            arguments.contributions, [],
            ("minimum", "transition_state", "barrier", "weight", "contribution"),
        )  # fmt: skip
    order = np.argsort(table[:, -1], kind="stable")[:FALLBACK_POINTS]
    latents = table[order, :-1]
    SurfaceMinima(
        coordinates=(latents - scaling.input_minimum) / scaling.input_range,
        energies=table[order, -1],
        latents=latents,
        quenches=0,
        cut=arguments.cut,
    ).save(arguments.minima)


def _propose(arguments) -> None:
    from topograph.filltune.proposal import (
        canonical_corpus,
        propose_by_decoding,
        propose_by_retrieval,
    )
    from topograph.filltune.surface_minima import (
        SurfaceMinima,
        is_lowest_response_fallback,
    )

    _require_at_least(arguments.count, "--count", 1, 100)
    energies, latents = SurfaceMinima.read_latents(arguments.minima)
    corpus = None
    if arguments.corpus:
        corpus = canonical_corpus(
            read_smiles_column(arguments.corpus, arguments.corpus_column)
        )
    model = _load_model(arguments.model, arguments.device)
    if model.has_decoder and arguments.pool is None:
        proposals = propose_by_decoding(
            model, latents, energies, arguments.count, corpus
        )
    else:
        if arguments.pool is None:
            raise ValueError(
                f"model {model.name!r} has no decoder; give --pool, a CSV of molecules "
                "to retrieve from"
            )
        pool = read_smiles_column(arguments.pool, arguments.pool_column)
        proposals = propose_by_retrieval(
            model, latents, energies, pool, arguments.count, corpus
        )
    if not proposals.smiles:
        _reject_empty_proposals(arguments, proposals.statistics)
    proposals.statistics["source"] = (
        "lowest-response data points, because the landscape has no transition states"
        if is_lowest_response_fallback(energies)
        else "minima of the roughness surface"
    )
    proposals.save(arguments.output, arguments.statistics)
    logger.info(
        "proposed %d molecules (%s) to %s",
        len(proposals.smiles), json.dumps(proposals.statistics), arguments.output,
    )  # fmt: skip


def _reject_empty_proposals(arguments, statistics: dict) -> None:
    """Raise the reason why no molecule was proposed, with the settings that fix it.

    Later jobs cannot use an empty proposals table, so the step fails here
    instead of writing one. A partial shortfall is only recorded.
    """
    more_samples = (
        "or more latent samples (filltune.models.<model>.samples in the workflow "
        "configuration, --samples of `topograph filltune sample`)"
    )
    if statistics["candidates"] == 0:
        raise ValueError(
            f"no molecule was proposed because {arguments.minima} has no surface "
            "minimum below the cut; use a higher (less negative) cut "
            f"(filltune.roughness.cut, --cut of `topograph filltune roughness`) {more_samples}"
        )
    if statistics["method"] == "decode":
        raise ValueError(
            f"no molecule was proposed because none of the {statistics['candidates']} "
            f"surface minima in {arguments.minima} decoded to a valid molecule; use a "
            f"higher (less negative) cut (filltune.roughness.cut) {more_samples}"
        )
    raise ValueError(
        f"no molecule was proposed because the pool {arguments.pool} has no molecule "
        f"that the model embeds; check the {arguments.pool_column!r} column of the pool"
    )


def _evaluate(arguments) -> None:
    from topograph.downstream.comparison import (
        METRIC_COLUMNS,
        compare_to_base,
        write_table,
    )
    from topograph.downstream.heads import SplitError, evaluate_embeddings

    # Every argument is checked before the tasks and models load, because
    # embedding every task with every model takes minutes.
    if (arguments.base is None) != (arguments.table is None):
        raise ValueError("give --base and --table together, or neither")
    if not 0 < arguments.test_fraction < 1:
        raise ValueError(
            f"--test-fraction {arguments.test_fraction} must lie strictly between 0 and 1, "
            "such as 0.2"
        )
    _require_distinct_models(arguments.model)
    _require_max_rows(arguments.max_rows)
    for seed in arguments.seeds:
        _require_at_least(seed, "--seeds entry", 0, 0)
    names = [name for name, _ in arguments.model]
    if arguments.base is not None and arguments.base not in names:
        raise ValueError(
            f"--base {arguments.base!r} is not the name of a --model; "
            f"pass one of {', '.join(names)}"
        )
    tasks = [parse_task(text, arguments.max_rows) for text in arguments.task]
    records = []
    for name, location in arguments.model:
        model = _load_model(location, arguments.device)
        for task in tasks:
            embeddings, valid, rejected = model.encode_checked(task.smiles)
            if rejected:
                logger.warning(
                    "model %s rejected %d of %d molecules of task %s",
                    name, len(rejected), len(task.smiles), task.name,
                )  # fmt: skip
            try:
                scores = evaluate_embeddings(
                    embeddings, task.labels[list(valid)], task.task_type,
                    arguments.seeds, arguments.test_fraction,
                )  # fmt: skip
            except SplitError as error:
                raise ValueError(
                    f"task {task.name!r} cannot be split for model {name!r}: {error}; give "
                    "the task more molecules (a larger --max-rows when it is subsampled), "
                    "or other --seeds or --test-fraction"
                ) from None
            smallest_test = min(score.n_test for score in scores)
            if smallest_test < MIN_TEST_MOLECULES:
                logger.warning(
                    "task %s has only %d test molecules in a split, so its %s is noisy; "
                    "give it more molecules or a larger --test-fraction",
                    task.name, smallest_test, scores[0].metric,
                )  # fmt: skip
            for score in scores:
                records.append(
                    {"model": name, "task": task.name, "metric": score.metric,
                     "seed": score.seed, "value": score.value}
                )  # fmt: skip
    write_table(arguments.output, records, METRIC_COLUMNS)
    if arguments.base is not None:
        from topograph.downstream.comparison import TABLE_COLUMNS

        write_table(
            arguments.table, compare_to_base(records, arguments.base), TABLE_COLUMNS
        )


def _compare(arguments) -> None:
    from topograph.downstream.comparison import (
        TABLE_COLUMNS,
        compare_to_base,
        read_metrics,
        write_table,
    )

    rows = compare_to_base(read_metrics(arguments.metrics), arguments.base)
    write_table(arguments.output, rows, TABLE_COLUMNS)


def _rogi(arguments) -> None:
    from topograph.downstream.comparison import write_table
    from topograph.downstream.rogi import rogi_xd

    _require_distinct_models(arguments.model)
    _require_max_rows(arguments.max_rows)
    _require_at_least(arguments.seed, "--seed", 0, 0)
    tasks = [
        parse_task(text, arguments.max_rows, arguments.seed) for text in arguments.task
    ]
    rows = []
    for name, location in arguments.model:
        model = _load_model(location, arguments.device)
        for task in tasks:
            embeddings, valid, _ = model.encode_checked(task.smiles)
            value = rogi_xd(embeddings, task.labels[list(valid)])
            rows.append(
                {
                    "model": name,
                    "task": task.name,
                    "molecules": len(valid),
                    "rogi_xd": value,
                }
            )
    write_table(arguments.output, rows, ("model", "task", "molecules", "rogi_xd"))


def _plots(arguments) -> None:
    from topograph.filltune import plots

    pairs = (
        ("response", "response_plot"),
        ("gaussians", "contributions_plot"),
        ("minima", "minima_plot"),
        ("proposals", "grid_plot"),
        ("comparison", "changes_plot"),
    )
    given = 0
    for source, target in pairs:
        if (getattr(arguments, source) is None) != (getattr(arguments, target) is None):
            raise ValueError(
                f"give --{source} and --{target.replace('_', '-')} together, or neither"
            )
        given += getattr(arguments, source) is not None
    if not given:
        raise ValueError("no figure requested; give at least one input with its output")

    if arguments.response:
        from topograph.potentials.registry import read_data_table

        plots.plot_response_histogram(
            read_data_table(arguments.response)[:, -1], arguments.response_plot
        )
    if arguments.gaussians:
        from topograph.filltune.gaussians import RoughnessGaussians

        gaussians = RoughnessGaussians.load(arguments.gaussians)
        plots.plot_contributions(gaussians.contributions, arguments.contributions_plot)
    if arguments.minima:
        from topograph.filltune.surface_minima import SurfaceMinima

        energies, _ = SurfaceMinima.read_latents(arguments.minima)
        plots.plot_surface_minima(energies, arguments.cut, arguments.minima_plot)
    if arguments.proposals:
        plots.draw_molecule_grid(
            read_smiles_column(arguments.proposals, "smiles"), arguments.grid_plot
        )
    if arguments.comparison:
        from topograph.downstream.comparison import read_comparison

        rows = read_comparison(arguments.comparison)
        models = list(dict.fromkeys(row["model"] for row in rows))
        if arguments.base is not None and arguments.base not in models:
            raise ValueError(
                f"--base {arguments.base!r} is not a model of {arguments.comparison}; "
                f"pass one of {', '.join(models) or '(the table has no rows)'}"
            )
        plots.plot_task_changes(rows, arguments.changes_plot, base=arguments.base)

"""``topograph data ...``: data sets that ship offline, written as CSV."""

from __future__ import annotations

import argparse


def _indices(text: str) -> list[int]:
    if text in ("", "all"):
        return []
    try:
        return [int(part) for part in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(f"invalid column list {text!r}; expected comma-separated integers such as 2,3 or 'all'") from None


def _optional_count(text: str) -> int | None:
    if text in ("all", "none"):
        return None
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"invalid row count {text!r}; expected an integer or 'all'") from None


def add_parsers(parser: argparse.ArgumentParser) -> None:
    commands = parser.add_subparsers(dest="command", required=True)
    sklearn = commands.add_parser("sklearn", help="write a data set bundled with scikit-learn")
    sklearn.add_argument("name", help="diabetes, iris, wine or breast_cancer")
    sklearn.add_argument("--features", type=_indices, default=[], help="input column indices to keep, e.g. 2,3 (default: all)")
    sklearn.add_argument("--max-rows", type=_optional_count, default=None, help="keep at most this many rows (default: all)")
    sklearn.add_argument("--seed", type=int, default=0, help="seed of the row subsample")
    sklearn.add_argument("--output", required=True, help="CSV file to write; the target is the last column")
    sklearn.set_defaults(handler=_write_sklearn)


def _write_sklearn(arguments: argparse.Namespace) -> None:
    from topograph.data.sklearn_datasets import load_sklearn_dataset, write_csv

    inputs, target, header = load_sklearn_dataset(
        arguments.name, arguments.features, arguments.max_rows, arguments.seed
    )
    write_csv(arguments.output, inputs, target, header)

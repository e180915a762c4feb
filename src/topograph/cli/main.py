"""The ``topograph`` command line.

Every workflow rule calls one of these commands, so each step also runs by
hand. Invalid input ends the command with exit status 2 and a one-line
message that names the value and the fix; ``--verbose`` adds debug logging.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys

from topograph import __version__
from topograph.cli import (
    data_commands,
    filltune_commands,
    gp_commands,
    kmeans_commands,
    landscape_commands,
    model_commands,
)

logger = logging.getLogger("topograph")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="topograph",
        description="Map and analyse energy landscapes of machine-learning models.",
    )
    parser.add_argument("--version", action="version", version=f"topograph {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="log debug messages")
    groups = parser.add_subparsers(dest="group", required=True, metavar="{landscape,data,kmeans,gp,model,filltune}")
    landscape_commands.add_parsers(
        groups.add_parser("landscape", help="explore, connect, merge, plot, export and analyse landscapes")
    )
    data_commands.add_parsers(groups.add_parser("data", help="write data sets that ship offline as CSV"))
    kmeans_commands.add_parsers(
        groups.add_parser("kmeans", help="K-means solution landscapes: data with outliers, analysis, study tables")
    )
    gp_commands.add_parsers(
        groups.add_parser("gp", help="Gaussian-process likelihood landscapes with a continuous Matern nu")
    )
    model_commands.add_parsers(
        groups.add_parser("model", help="pretrain, embed with and decode from molecular and materials models")
    )
    filltune_commands.add_parsers(
        groups.add_parser("filltune", help="fill-tuning: latent response, roughness, proposals and downstream evaluation")
    )
    return parser


def _quiet_library_output() -> None:
    """Keep job logs to one line per message from the model libraries.

    Lightning gives its "lightning" logger a handler of its own, so without
    this its messages also reach the root handler and appear twice. Weight
    loading in transformers draws a progress bar, which a log file stores as
    one long line of carriage returns, so the bar is kept only on a terminal.
    """
    logging.getLogger("lightning").propagate = False
    if not sys.stderr.isatty():
        os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    arguments = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if arguments.verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    _quiet_library_output()
    try:
        arguments.handler(arguments)
    except ValueError as error:
        logger.debug("invalid input", exc_info=True)
        print(f"topograph: error: {error}", file=sys.stderr)
        return 2
    except KeyError as error:
        # A table or file without a column or entry that the command reads.
        logger.debug("missing key", exc_info=True)
        print(
            f"topograph: error: an input has no column or entry {error}; pass the file "
            "that the matching topograph command writes",
            file=sys.stderr,
        )
        return 2
    except MemoryError:
        print(
            "topograph: error: out of memory; reduce the sizes in the description "
            "(n_starts, n_atoms, data points) or run on a machine with more memory",
            file=sys.stderr,
        )
        return 2
    except OSError as error:
        # Missing folders, permissions and paths of the wrong kind.
        logger.debug("file error", exc_info=True)
        print(f"topograph: error: {error}; check the path and its permissions", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""``topograph kmeans ...``: data with outliers, per-landscape analysis and study tables."""

from __future__ import annotations

import argparse
import logging

logger = logging.getLogger(__name__)


def add_parsers(parser: argparse.ArgumentParser) -> None:
    commands = parser.add_subparsers(dest="command", required=True)

    data = commands.add_parser("data", help="write a data set, with outliers added, in the study's CSV layout")
    data.add_argument("source", help="iris, wine, blobs or csv")
    data.add_argument("--standardise", action="store_true", help="scale each feature to zero mean and unit variance")
    data.add_argument("--path", help="input CSV file with a header row (source csv)")
    data.add_argument("--label-column", help="name of the column of the input CSV that contains the classes (source csv)")
    data.add_argument("--n-samples", type=int, default=150, help="points of the blobs (default 150)")
    data.add_argument("--centers", type=int, default=3, help="number of blobs (default 3)")
    data.add_argument("--n-features", type=int, default=2, help="dimension of the blobs (default 2)")
    data.add_argument("--cluster-std", type=float, default=1.0, help="standard deviation of each blob (default 1)")
    data.add_argument("--blob-seed", type=int, default=0, help="seed of the blobs (default 0)")
    data.add_argument("--outliers", type=int, default=0, help="number of outliers to add (default 0)")
    data.add_argument(
        "--distance", type=float, default=3.0,
        help="gap between the outliers and the data, in root-mean-square distances to the mean (default 3)",
    )  # fmt: skip
    data.add_argument("--seed", type=int, default=0, help="seed of the outliers (default 0)")
    data.add_argument("--output", required=True, help="CSV file to write")
    data.set_defaults(handler=_data)

    analyse = commands.add_parser("analyse", help="exact landscape, accuracy, funnels and kinetic similarity of one landscape")
    analyse.add_argument("database", help="database of the smoothed cost (.npz) from `topograph landscape connect`")
    analyse.add_argument("--data", required=True, help="the landscape's data file, written by `topograph kmeans data`")
    analyse.add_argument("--n-clusters", type=int, required=True, help="number of clusters K")
    analyse.add_argument("--smoothing", type=float, default=0.01, help="smoothing the landscape was mapped with (default 0.01)")
    analyse.add_argument("--levels", type=int, default=20, help="energy levels of the disconnectivity graph (default 20)")
    analyse.add_argument(
        "--length-scale", type=float, default=0.5,
        help="frustration length scale, in root-mean-square distances of the data to their mean (default 0.5)",
    )  # fmt: skip
    analyse.add_argument(
        "--kinetic-temperature", type=float, default=0.5,
        help="temperature of the kinetic similarity, in mean squared distances of the data to their mean (default 0.5)",
    )  # fmt: skip
    analyse.add_argument(
        "--max-pair-minima", type=int, default=25,
        help="kinetic similarities between every two of this many lowest minima (default 25)",
    )  # fmt: skip
    analyse.add_argument("--dataset", help="data set name, recorded in the summary for the study tables")
    analyse.add_argument("--seed", type=int, help="seed of the landscape, recorded in the summary")
    analyse.add_argument("--output", required=True, help="folder for the tables, graph and summary")
    analyse.set_defaults(handler=_analyse)

    study = commands.add_parser("study", help="tables and figures across the analysed landscapes")
    study.add_argument("analyses", nargs="+", help="folders written by `topograph kmeans analyse`")
    study.add_argument("--output", required=True, help="folder for the tables and figures")
    study.set_defaults(handler=_study)


def _data(arguments):
    from topograph.kmeans.datasets import load_dataset, write_clustering_csv
    from topograph.kmeans.outliers import add_outliers

    if arguments.source == "csv" and not arguments.path:
        raise ValueError("source csv needs --path, the CSV file to read")
    settings = {
        "source": arguments.source,
        "standardise": arguments.standardise,
        "path": arguments.path,
        "label_column": arguments.label_column,
        "n_samples": arguments.n_samples,
        "centers": arguments.centers,
        "n_features": arguments.n_features,
        "cluster_std": arguments.cluster_std,
        "seed": arguments.blob_seed,
    }
    data = add_outliers(load_dataset(settings), arguments.outliers, arguments.seed, arguments.distance)
    write_clustering_csv(arguments.output, data)
    logger.info(
        "wrote %d points (%d outliers) in %d dimensions to %s",
        data.points.shape[0], int(data.outliers.sum()), data.points.shape[1], arguments.output,
    )  # fmt: skip


def _analyse(arguments):
    from topograph.kmeans.analysis import analyse_landscape
    from topograph.kmeans.datasets import read_clustering_csv

    for option, value, lowest in (
        ("--levels", arguments.levels, 2),
        ("--max-pair-minima", arguments.max_pair_minima, 2),
        ("--n-clusters", arguments.n_clusters, 1),
    ):
        if value < lowest:
            raise ValueError(f"{option} must be at least {lowest}; got {value}")
    for option, value in (
        ("--length-scale", arguments.length_scale),
        ("--kinetic-temperature", arguments.kinetic_temperature),
        ("--smoothing", arguments.smoothing),
    ):
        if not value > 0:
            raise ValueError(f"{option} must be a positive number; got {value}")
    cell = None
    if arguments.dataset is not None:
        outliers = int(read_clustering_csv(arguments.data).outliers.sum())
        cell = {
            "dataset": arguments.dataset,
            "n_clusters": arguments.n_clusters,
            "outliers": outliers,
            "seed": arguments.seed if arguments.seed is not None else 0,
        }
    analyse_landscape(
        arguments.database,
        arguments.data,
        arguments.n_clusters,
        arguments.smoothing,
        arguments.output,
        levels=arguments.levels,
        length_scale=arguments.length_scale,
        kinetic_temperature=arguments.kinetic_temperature,
        max_pair_minima=arguments.max_pair_minima,
        cell=cell,
    )


def _study(arguments):
    from pathlib import Path

    from topograph.kmeans.figures import plot_outlier_effects, plot_similarity_vs_ari
    from topograph.kmeans.study import write_study_tables

    tables = write_study_tables(arguments.analyses, arguments.output)
    output = Path(arguments.output)
    plot_outlier_effects(tables["landscapes"], output / "outlier_effects.png")
    plot_similarity_vs_ari(tables["pairs"], tables["outlier_counts"], output / "similarity_vs_ari.png")

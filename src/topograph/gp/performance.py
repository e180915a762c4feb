"""Fixed against optimised Matérn smoothness: test RMSE, NLPD and fitting time over splits.

For every seeded train/test split, the inputs and targets are standardised
with the training statistics. The hyperparameters are fitted by multi-start
L-BFGS-B (:func:`topograph.gp.fitting.fit_hyperparameters`) once per fixed
ν and once with ``log ν`` free. The test set is scored in the original
target units: RMSE of the predictive mean and the mean negative log
predictive density (NLPD) of the noisy targets. The summary gives the mean
over splits and a 95 % Student-t interval of the mean.
"""

from __future__ import annotations

import logging
import math

import numpy as np
import scipy.stats

from topograph.gp.data import Standardiser, train_test_splits
from topograph.gp.fitting import fit_hyperparameters, gaussian_nlpd, predict
from topograph.potentials.gp_likelihood import GPLikelihoodPotential

logger = logging.getLogger(__name__)

OPTIMISED = "optimised"
METRICS = ("rmse", "nlpd", "seconds", "nu")


def kernel_label(nu) -> str:
    """Return the table label of a fixed ν, or ``optimised`` for ``None``."""
    if nu is None:
        return OPTIMISED
    return "inf" if math.isinf(float(nu)) else f"{float(nu):g}"


def standardised_split(inputs, targets, train, test):
    """Return the standardiser and the standardised train and test arrays."""
    standardiser = Standardiser.fit(inputs[train], targets[train])
    return (
        standardiser,
        standardiser.inputs(inputs[train]),
        standardiser.targets(targets[train]),
        standardiser.inputs(inputs[test]),
    )


def compare_kernels(
    dataset_name: str,
    inputs: np.ndarray,
    targets: np.ndarray,
    fixed_nus,
    n_splits: int,
    test_fraction: float,
    restarts: int,
    seed: int,
    ard: bool = False,
    bounds: dict | None = None,
) -> list[dict]:
    """Return one row per (split, kernel) with RMSE, NLPD, time, fitted ν and NLML."""
    rows = []
    kernels = [float(nu) for nu in fixed_nus] + [None]
    for split, (train, test) in enumerate(
        train_test_splits(len(targets), n_splits, test_fraction, seed)
    ):
        standardiser, train_inputs, train_targets, test_inputs = standardised_split(
            inputs, targets, train, test
        )
        for nu in kernels:
            potential = GPLikelihoodPotential(
                train_inputs, train_targets, nu=nu, ard=ard, bounds=bounds
            )
            fit = fit_hyperparameters(potential, restarts=restarts, seed=seed + split)
            mean, variance = predict(potential, fit.theta, test_inputs)
            scale = standardiser.target_scale
            predicted = standardiser.target_mean + scale * mean
            rows.append(
                {
                    "dataset": dataset_name,
                    "split": split,
                    "kernel": kernel_label(nu),
                    "nu": fit.nu,
                    "rmse": float(np.sqrt(np.mean((targets[test] - predicted) ** 2))),
                    "nlpd": gaussian_nlpd(targets[test], predicted, variance * scale**2),
                    "seconds": fit.seconds,
                    "nlml": fit.nlml,
                    "max_jitter": potential.max_jitter,
                }
            )
            logger.info(
                "%s split %d, nu %s: RMSE %.4g, NLPD %.4g, %.2f s",
                dataset_name, split, rows[-1]["kernel"], rows[-1]["rmse"],
                rows[-1]["nlpd"], fit.seconds,
            )  # fmt: skip
    return rows


def mean_interval(values, confidence: float = 0.95) -> tuple[float, float, float]:
    """Return the mean and the Student-t interval of the mean.

    The bounds are NaN for a single value or when a value is infinite (the
    fitted ν of the squared exponential).
    """
    values = np.asarray(values, dtype=np.float64)
    mean = float(values.mean())
    if values.size < 2 or not np.all(np.isfinite(values)):
        return mean, math.nan, math.nan
    half = scipy.stats.t.ppf(0.5 + confidence / 2, values.size - 1) * values.std(ddof=1)
    half /= math.sqrt(values.size)
    return mean, mean - half, mean + half


def summarise(rows: list[dict]) -> list[dict]:
    """Return one row per (data set, kernel): mean and 95 % interval of each metric."""
    keys = []
    for row in rows:
        key = (row["dataset"], row["kernel"])
        if key not in keys:
            keys.append(key)
    summary = []
    for dataset, kernel in keys:
        members = [row for row in rows if (row["dataset"], row["kernel"]) == (dataset, kernel)]
        entry = {"dataset": dataset, "kernel": kernel, "splits": len(members)}
        for metric in METRICS:
            mean, low, high = mean_interval([row[metric] for row in members])
            entry[f"{metric}_mean"] = mean
            entry[f"{metric}_low"] = low
            entry[f"{metric}_high"] = high
        summary.append(entry)
    return summary

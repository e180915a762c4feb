"""Ensembles of low-lying GP minima over train/test splits: predicted and measured gain.

For each split, the minima of the training NLML are found by basin-hopping
(:func:`topograph.gp.search.find_minima`). The members are the minima
within ``energy_window`` of the lowest, at most ``max_members`` of them. Each weighting
scheme of :mod:`topograph.gp.ensemble` is scored by its leave-one-out NLPD
on the training set (the a-priori estimate, no test data) and its NLPD and
RMSE on the test set, in standardised target units. Gains are relative to
the best single minimum.
"""

from __future__ import annotations

import logging

import numpy as np

from topograph.gp.ensemble import (
    SCHEMES,
    effective_members,
    ensemble_weights,
    mixture_mean,
    mixture_nlpd,
    rmse,
)
from topograph.gp.fitting import leave_one_out, predict
from topograph.gp.performance import standardised_split
from topograph.gp.data import train_test_splits
from topograph.gp.search import SearchSettings, find_minima
from topograph.potentials.gp_likelihood import GPLikelihoodPotential

logger = logging.getLogger(__name__)


def ensemble_members(database, energy_window: float, max_members: int) -> np.ndarray:
    """Return the indices of the lowest minima within ``energy_window`` of the lowest."""
    order = np.argsort(database.minima.energies, kind="stable")
    energies = database.minima.energies[order]
    keep = order[energies - energies[0] <= energy_window]
    return keep[:max_members]


def ensemble_study(
    dataset_name: str,
    inputs: np.ndarray,
    targets: np.ndarray,
    n_splits: int,
    test_fraction: float,
    settings: SearchSettings,
    temperature: float,
    energy_window: float,
    max_members: int,
    seed: int,
    nu=None,
    ard: bool = False,
    bounds: dict | None = None,
) -> list[dict]:
    """Return one row per (split, scheme) with predicted and measured gains."""
    rows = []
    for split, (train, test) in enumerate(
        train_test_splits(len(targets), n_splits, test_fraction, seed)
    ):
        standardiser, train_inputs, train_targets, test_inputs = standardised_split(
            inputs, targets, train, test
        )
        test_targets = standardiser.targets(targets[test])
        potential = GPLikelihoodPotential(train_inputs, train_targets, nu=nu, ard=ard, bounds=bounds)
        database = find_minima(potential, SearchSettings(**{**vars(settings), "seed": seed + split}))
        members = ensemble_members(database, energy_window, max_members)
        energies = database.minima.energies[members]
        log_determinants = database.minima.log_products[members]
        thetas = database.minima.coordinates[members]

        loo = [leave_one_out(potential, theta) for theta in thetas]
        test_predictions = [predict(potential, theta, test_inputs) for theta in thetas]
        loo_means = np.array([mean for mean, _ in loo])
        loo_variances = np.array([variance for _, variance in loo])
        test_means = np.array([mean for mean, _ in test_predictions])
        test_variances = np.array([variance for _, variance in test_predictions])

        scores = {}
        for scheme in SCHEMES:
            weights = ensemble_weights(energies, log_determinants, scheme, temperature)
            scores[scheme] = {
                "weights": weights,
                "loo_nlpd": mixture_nlpd(train_targets, loo_means, loo_variances, weights),
                "test_nlpd": mixture_nlpd(test_targets, test_means, test_variances, weights),
                "test_rmse": rmse(test_targets, mixture_mean(test_means, weights)),
            }
        best = scores["best"]
        spread = float(np.mean(np.std(loo_means, axis=0))) if len(members) > 1 else 0.0
        for scheme in SCHEMES:
            score = scores[scheme]
            rows.append(
                {
                    "dataset": dataset_name,
                    "split": split,
                    "scheme": scheme,
                    "members": len(members),
                    "effective_members": effective_members(score["weights"]),
                    "member_spread": spread,
                    "loo_nlpd": score["loo_nlpd"],
                    "test_nlpd": score["test_nlpd"],
                    "test_rmse": score["test_rmse"],
                    "predicted_gain": best["loo_nlpd"] - score["loo_nlpd"],
                    "measured_gain": best["test_nlpd"] - score["test_nlpd"],
                    "measured_rmse_gain": best["test_rmse"] - score["test_rmse"],
                }
            )
        logger.info("%s split %d: %d members", dataset_name, split, len(members))
    return rows

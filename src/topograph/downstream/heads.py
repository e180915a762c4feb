"""Fixed prediction heads on frozen embeddings, over seeded splits.

Embeddings are not fine-tuned: each task is scored by a fixed head trained
on the embeddings of its training split, as in the published fill-tuning
evaluation.

- Regression: ``SVR(kernel="rbf", C=5, epsilon=0.01)`` fitted to targets
  standardised with the training split's mean and standard deviation.
  Predictions are mapped back and scored by RMSE in the task's own units
  (lower is better).
- Classification: ``GradientBoostingClassifier`` with scikit-learn's
  defaults and ``random_state`` set to the split's seed, scored by ROC-AUC
  of the predicted probability of class 1 (higher is better).

Each seed draws its own random train/test split (stratified for
classification), so the metrics of different models on one seed are
paired: they see the same split.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from sklearn.ensemble import GradientBoostingClassifier
from sklearn.metrics import mean_squared_error, roc_auc_score
from sklearn.model_selection import train_test_split
from sklearn.svm import SVR

logger = logging.getLogger(__name__)

SVR_C = 5.0
SVR_EPSILON = 0.01
METRICS = {"regression": "rmse", "classification": "roc_auc"}
# Whether a larger value of the metric is better.
HIGHER_IS_BETTER = {"rmse": False, "roc_auc": True}


class SplitError(ValueError):
    """A task's molecules cannot be split into training and test sets as requested."""


@dataclass(frozen=True)
class SplitScore:
    """The score of one head on one seeded split."""

    seed: int
    metric: str
    value: float
    n_train: int
    n_test: int


def split_indices(
    n: int, seed: int, test_fraction: float, labels: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Return seeded train and test indices; stratified when ``labels`` are given.

    The indices keep the order of ``train_test_split``, so a head fitted on
    them matches one fitted on ``train_test_split`` of the arrays themselves
    (libsvm's approximate solution depends on the row order).
    """
    if not 0 < test_fraction < 1:
        raise ValueError(f"test_fraction must lie in (0, 1); got {test_fraction!r}")
    indices = np.arange(n)
    train, test = train_test_split(
        indices, test_size=test_fraction, random_state=seed, stratify=labels
    )
    return train, test


def regression_rmse(
    train_x: np.ndarray, train_y: np.ndarray, test_x: np.ndarray, test_y: np.ndarray
) -> float:
    """Fit the SVR head on standardised targets and return the test RMSE in original units."""
    mean = float(train_y.mean())
    scale = float(train_y.std())
    if scale == 0:
        scale = 1.0
    head = SVR(kernel="rbf", C=SVR_C, epsilon=SVR_EPSILON)
    head.fit(train_x, (train_y - mean) / scale)
    predictions = head.predict(test_x) * scale + mean
    return float(np.sqrt(mean_squared_error(test_y, predictions)))


def classification_auc(
    train_x: np.ndarray,
    train_y: np.ndarray,
    test_x: np.ndarray,
    test_y: np.ndarray,
    seed: int,
) -> float:
    """Fit the gradient-boosting head and return the test ROC-AUC."""
    head = GradientBoostingClassifier(random_state=seed)
    head.fit(train_x, train_y)
    probabilities = head.predict_proba(test_x)[:, list(head.classes_).index(1.0)]
    return float(roc_auc_score(test_y, probabilities))


def evaluate_embeddings(
    embeddings: np.ndarray,
    labels: np.ndarray,
    task_type: str,
    seeds: Sequence[int] = (0, 1, 2, 3, 4),
    test_fraction: float = 0.2,
) -> list[SplitScore]:
    """Score frozen embeddings on one task with the fixed head, one split per seed.

    Parameters
    ----------
    embeddings : ndarray, shape (n, d)
    labels : ndarray, shape (n,)
    task_type : {"regression", "classification"}
    seeds : sequence of int
        One train/test split per seed.
    test_fraction : float
        Fraction of the molecules in each test split.

    Returns
    -------
    list of SplitScore
        In the order of ``seeds``.

    Raises
    ------
    SplitError
        If a classification class has fewer than 2 molecules, or a seed's
        split fails.
    ValueError
        If the task type, the shapes or the labels are invalid.
    """
    embeddings = np.asarray(embeddings, dtype=np.float64)
    labels = np.asarray(labels, dtype=np.float64)
    if task_type not in METRICS:
        raise ValueError(
            f"unknown task type {task_type!r}; use one of {', '.join(METRICS)}"
        )
    if embeddings.ndim != 2 or labels.shape != (embeddings.shape[0],):
        raise ValueError(
            f"embeddings must have shape (n, d) and labels (n,); got {embeddings.shape} "
            f"and {labels.shape}"
        )
    if not len(seeds):
        raise ValueError("seeds is empty; give at least one seed")
    if task_type == "classification":
        classes, counts = np.unique(labels, return_counts=True)
        if not set(classes) <= {0.0, 1.0}:
            raise ValueError(
                f"classification labels must be 0 and 1; got {classes[:5]}"
            )
        members = {value: 0 for value in (0.0, 1.0)}
        members.update(zip(classes.tolist(), counts.tolist(), strict=True))
        rare = min(members, key=members.get)
        # A stratified split puts each class in both the training and the
        # test split, so every class needs at least two molecules.
        if members[rare] < 2:
            raise SplitError(
                f"class {rare:g} has {members[rare]} of {len(labels)} molecules, but a "
                "stratified split needs at least 2 molecules of each class"
            )

    scores = []
    for seed in seeds:
        stratify = labels if task_type == "classification" else None
        try:
            train, test = split_indices(len(labels), int(seed), test_fraction, stratify)
        except ValueError as error:
            # scikit-learn rejects splits with an empty side, or a test split
            # smaller than the number of classes.
            raise SplitError(
                f"the split of {len(labels)} molecules with seed {seed} and test "
                f"fraction {test_fraction} failed ({error})"
            ) from None
        if task_type == "regression":
            value = regression_rmse(
                embeddings[train], labels[train], embeddings[test], labels[test]
            )
        else:
            value = classification_auc(
                embeddings[train],
                labels[train],
                embeddings[test],
                labels[test],
                int(seed),
            )
        scores.append(
            SplitScore(int(seed), METRICS[task_type], value, len(train), len(test))
        )
    logger.debug(
        "%s over %d seeds: %s",
        METRICS[task_type],
        len(scores),
        [score.value for score in scores],
    )
    return scores

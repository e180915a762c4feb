"""Data sets of the GP study: synthetic draws from Matérn priors and real sets that ship offline.

Real sets are read from files bundled in the scikit-learn and statsmodels
wheels, so nothing is downloaded:

- ``diabetes``: scikit-learn, 442 patients, 10 inputs, disease progression;
- ``co2``: statsmodels, weekly Mauna Loa CO2 (ppm) against decimal year,
  missing weeks dropped;
- ``sunspots``: statsmodels, yearly sunspot activity 1700-2008 (309 rows);
- ``nile``: statsmodels, yearly Nile volume 1871-1970 (100 rows);
- ``engel``: statsmodels, food expenditure against income (235 households);
- ``elnino``: statsmodels, monthly sea surface temperature 1950-2010,
  flattened to one row per month (732 rows) against decimal year.
"""

from __future__ import annotations

import difflib
import math
from dataclasses import dataclass

import numpy as np

from topograph.gp.matern import check_nu, matern_correlation, scaled_squared_distances

REAL_DATASETS = ("diabetes", "co2", "sunspots", "nile", "engel", "elnino")


@dataclass
class Dataset:
    """Inputs ``(n, d)``, targets ``(n,)`` and a description."""

    name: str
    inputs: np.ndarray
    targets: np.ndarray
    description: str


def synthetic_dataset(
    name: str,
    nu: float,
    n_points: int,
    dimension: int = 1,
    lengthscale: float = 0.2,
    noise_variance: float = 0.01,
    seed: int = 0,
) -> Dataset:
    """Draw inputs uniformly in ``[0, 1]^d`` and targets from a Matérn-ν GP prior plus noise.

    The prior has unit signal variance and length scale ``lengthscale``.
    """
    nu = check_nu(nu)
    if n_points < 2 or dimension < 1:
        raise ValueError(
            f"n_points must be at least 2 and dimension at least 1; got {n_points} "
            f"and {dimension}"
        )
    if not (lengthscale > 0 and noise_variance >= 0):
        raise ValueError(
            f"lengthscale must be positive and noise_variance non-negative; got "
            f"{lengthscale} and {noise_variance}"
        )
    rng = np.random.default_rng(seed)
    inputs = rng.uniform(0.0, 1.0, size=(n_points, dimension))
    scaled = np.sqrt(
        scaled_squared_distances(inputs, inputs, np.array([lengthscale])).sum(axis=2)
    )
    covariance = matern_correlation(scaled, nu)
    # A small diagonal term keeps the prior draw's factorisation stable.
    covariance[np.diag_indices(n_points)] += 1e-10
    factor = np.linalg.cholesky(covariance)
    latent = factor @ rng.standard_normal(n_points)
    targets = latent + math.sqrt(noise_variance) * rng.standard_normal(n_points)
    description = (
        f"Matern prior nu={nu:g}, lengthscale={lengthscale:g}, noise variance "
        f"{noise_variance:g}, {n_points} points in {dimension} dimensions"
    )
    return Dataset(name, inputs, targets, description)


def _decimal_years(index) -> np.ndarray:
    years = index.year.to_numpy(dtype=np.float64)
    return years + (index.day_of_year.to_numpy(dtype=np.float64) - 1.0) / 365.25


def load_real_dataset(name: str) -> Dataset:
    """Load one of ``REAL_DATASETS`` from the files shipped with its package."""
    if name == "diabetes":
        import sklearn.datasets

        bunch = sklearn.datasets.load_diabetes()
        return Dataset(name, bunch.data, bunch.target.astype(np.float64), "scikit-learn diabetes")
    if name not in REAL_DATASETS:
        raise ValueError(
            f"unknown real data set {name!r}; valid names: {', '.join(REAL_DATASETS)}"
        )

    import statsmodels.api as sm

    frame = getattr(sm.datasets, name).load_pandas().data
    if name == "co2":
        frame = frame.dropna()
        inputs = _decimal_years(frame.index)[:, None]
        targets = frame["co2"].to_numpy(dtype=np.float64)
    elif name == "sunspots":
        inputs = frame[["YEAR"]].to_numpy(dtype=np.float64)
        targets = frame["SUNACTIVITY"].to_numpy(dtype=np.float64)
    elif name == "nile":
        inputs = frame[["year"]].to_numpy(dtype=np.float64)
        targets = frame["volume"].to_numpy(dtype=np.float64)
    elif name == "engel":
        inputs = frame[["income"]].to_numpy(dtype=np.float64)
        targets = frame["foodexp"].to_numpy(dtype=np.float64)
    else:
        months = frame.columns[1:]
        values = frame[months].to_numpy(dtype=np.float64)
        years = frame["YEAR"].to_numpy(dtype=np.float64)
        inputs = (years[:, None] + np.arange(12)[None, :] / 12.0).reshape(-1, 1)
        targets = values.reshape(-1)
    return Dataset(name, inputs, targets, f"statsmodels {name}")


def subsample(dataset: Dataset, max_rows: int | None, seed: int) -> Dataset:
    """Keep at most ``max_rows`` rows, drawn with ``seed`` and kept in their order."""
    if max_rows is None or max_rows >= len(dataset.targets):
        return dataset
    if max_rows < 2:
        raise ValueError(f"max_rows must be at least 2; got {max_rows}")
    rng = np.random.default_rng(seed)
    rows = np.sort(rng.choice(len(dataset.targets), size=max_rows, replace=False))
    return Dataset(
        dataset.name, dataset.inputs[rows], dataset.targets[rows], dataset.description
    )


def check_dataset_settings(name: str, settings: dict) -> None:
    """Check one data set entry of the GP study without reading or drawing its data.

    Parameters
    ----------
    name : str
        The entry's name, which is also the real data set's name when the
        entry has no ``name`` key.
    settings : dict
        The entry, as :func:`build_dataset` takes it.

    Raises
    ------
    ValueError
        If a real data set is not in ``REAL_DATASETS``, or a synthetic one
        has no ``nu``.
    """
    source = settings.get("source")
    if source in ("sklearn", "statsmodels"):
        real_name = settings.get("name", name)
        if real_name not in REAL_DATASETS:
            close = difflib.get_close_matches(str(real_name), REAL_DATASETS, n=1)
            hint = f"did you mean {close[0]!r}? " if close else ""
            origin = "names" if "name" in settings else "has no name key, so it reads"
            raise ValueError(
                f"GP data set {name!r} (source {source}) {origin} the real data set "
                f"{real_name!r}, which does not exist; {hint}set name to one of "
                f"{', '.join(REAL_DATASETS)}"
            )
    elif source == "synthetic" and "nu" not in settings:
        raise ValueError(
            f"GP data set {name!r} (source synthetic) has no nu; give the smoothness "
            "of its Matern prior, such as nu: 1.5"
        )


def build_dataset(name: str, settings: dict, seed: int) -> Dataset:
    """Build a data set from its configuration entry.

    ``settings`` has ``source`` (``synthetic``, ``sklearn`` or ``statsmodels``)
    and, for synthetic sets, ``nu``, ``n_points``, ``dimension``,
    ``lengthscale``, ``noise_variance``; for real sets ``name`` and
    ``max_rows``.
    """
    check_dataset_settings(name, settings)
    source = settings.get("source")
    if source == "synthetic":
        return synthetic_dataset(
            name,
            settings["nu"],
            settings.get("n_points", 60),
            settings.get("dimension", 1),
            settings.get("lengthscale", 0.2),
            settings.get("noise_variance", 0.01),
            seed=settings.get("seed", seed),
        )
    if source in ("sklearn", "statsmodels"):
        dataset = load_real_dataset(settings.get("name", name))
        dataset.name = name
        return subsample(dataset, settings.get("max_rows"), settings.get("seed", seed))
    raise ValueError(
        f"data set {name!r} has source {source!r}; use synthetic, sklearn or statsmodels"
    )


@dataclass
class Standardiser:
    """Column means and standard deviations of inputs and targets of a training set."""

    input_mean: np.ndarray
    input_scale: np.ndarray
    target_mean: float
    target_scale: float

    @classmethod
    def fit(cls, inputs: np.ndarray, targets: np.ndarray) -> Standardiser:
        """Fit to training data; a constant input column or target raises ValueError."""
        input_scale = inputs.std(axis=0)
        constant = np.flatnonzero(input_scale == 0)
        if constant.size:
            raise ValueError(
                f"input columns {constant.tolist()} are constant in the training data; "
                "remove them"
            )
        target_scale = float(targets.std())
        if target_scale == 0:
            raise ValueError(
                f"the target is constant ({float(targets[0])}) in the training data, so a GP "
                "cannot be fitted to it; use data whose target varies"
            )
        return cls(inputs.mean(axis=0), input_scale, float(targets.mean()), target_scale)

    def inputs(self, inputs: np.ndarray) -> np.ndarray:
        """Return standardised inputs."""
        return (inputs - self.input_mean) / self.input_scale

    def targets(self, targets: np.ndarray) -> np.ndarray:
        """Return standardised targets."""
        return (targets - self.target_mean) / self.target_scale


def train_test_splits(
    n_points: int, n_splits: int, test_fraction: float, seed: int
) -> list[tuple[np.ndarray, np.ndarray]]:
    """Return ``n_splits`` random ``(train, test)`` index arrays.

    Split ``k`` draws its permutation from the seed ``[seed, k]``.
    """
    if not 0 < test_fraction < 1:
        raise ValueError(f"test_fraction must be in (0, 1); got {test_fraction}")
    n_test = int(round(test_fraction * n_points))
    if n_test < 1 or n_points - n_test < 2:
        raise ValueError(
            f"test_fraction {test_fraction} of {n_points} points leaves {n_test} test "
            "and too few training points; change test_fraction or add data"
        )
    splits = []
    for k in range(n_splits):
        order = np.random.default_rng([seed, k]).permutation(n_points)
        splits.append((np.sort(order[n_test:]), np.sort(order[:n_test])))
    return splits

"""Following stationary points over a parameter, and fold detection."""

from __future__ import annotations

import numpy as np
import pytest

from topograph.gp.continuation import detect_folds, follow_branches
from topograph.gp.data import Standardiser, synthetic_dataset
from topograph.gp.search import SearchSettings, find_minima
from topograph.gp.sweep import sweep_nu
from topograph.potentials.base import Potential
from topograph.potentials.gp_likelihood import GPLikelihoodPotential


class FoldFamily(Potential):
    """E(x; p) = x³/3 − (1 − p)x on [−3, 3]: a minimum at +√(1−p) and a maximum at −√(1−p) meet at p = 1."""

    dimension = 1

    def __init__(self, parameter):
        self.parameter = parameter
        self.lower_bounds = np.array([-3.0])
        self.upper_bounds = np.array([3.0])

    def energies_gradients(self, points):
        x = points[:, 0]
        return x**3 / 3 - (1 - self.parameter) * x, (x**2 - (1 - self.parameter))[:, None]

    def hessian(self, x):
        return np.array([[2.0 * x[0]]])


class ShiftingWell(Potential):
    """E(x; p) = (x − p)² on [−5, 5]: one minimum that moves, with no fold."""

    dimension = 1

    def __init__(self, parameter):
        self.parameter = parameter
        self.lower_bounds = np.array([-5.0])
        self.upper_bounds = np.array([5.0])

    def energies_gradients(self, points):
        x = points[:, 0]
        return (x - self.parameter) ** 2, 2 * (x - self.parameter)[:, None]

    def hessian(self, x):
        return np.array([[2.0]])


GRID = np.arange(0.05, 2.0, 0.1)


def test_toy_fold_detected_at_known_parameter():
    root = np.sqrt(1 - GRID[0])
    branches = follow_branches(FoldFamily, GRID, [(np.array([root]), "minimum"), (np.array([-root]), "saddle")])
    assert [branch.end.startswith("vanished") for branch in branches] == [True, True]
    assert branches[0].parameters[-1] == pytest.approx(0.95)
    np.testing.assert_allclose(branches[0].coordinates[-1], [np.sqrt(0.05)], atol=1e-6)

    catastrophes = detect_folds(branches, GRID, distance_tolerance=1.0)
    assert [item.kind for item in catastrophes] == ["fold"]
    fold = catastrophes[0]
    assert (fold.parameter_before, fold.parameter_after) == pytest.approx((0.95, 1.05))
    # λ = 2√(1−p), so λ² is exactly linear and the extrapolation is exact.
    assert fold.estimated_parameter == pytest.approx(1.0, abs=1e-6)
    assert fold.distance == pytest.approx(2 * np.sqrt(0.05), rel=1e-5)


def test_toy_fold_downward_sweep_empty():
    # Swept downwards from p = 1.95 there is nothing to follow until the pair is born.
    branches = follow_branches(FoldFamily, GRID, [], direction=-1)
    assert branches == []
    assert detect_folds(branches, GRID, 1.0) == []


def test_moving_minimum_is_no_fold():
    branches = follow_branches(ShiftingWell, GRID, [(np.array([GRID[0]]), "minimum")], max_jump=0.5)
    assert branches[0].end == "grid end"
    np.testing.assert_allclose(branches[0].coordinates[-1], [GRID[-1]], atol=1e-6)
    assert detect_folds(branches, GRID, 1.0) == []


def test_far_apart_pair_is_no_fold():
    root = np.sqrt(1 - GRID[0])
    branches = follow_branches(FoldFamily, GRID, [(np.array([root]), "minimum"), (np.array([-root]), "saddle")])
    assert detect_folds(branches, GRID, distance_tolerance=0.1) == []


def test_grid_must_increase():
    with pytest.raises(ValueError, match="increasing"):
        follow_branches(FoldFamily, [1.0, 0.5], [])


@pytest.fixture(scope="module")
def fold_data():
    dataset = synthetic_dataset("fold", nu=1.5, n_points=25, lengthscale=0.15, noise_variance=0.05, seed=0)
    standardiser = Standardiser.fit(dataset.inputs, dataset.targets)
    return standardiser.inputs(dataset.inputs), standardiser.targets(dataset.targets)


def test_gp_fold_detected_and_confirmed(fold_data):
    inputs, targets = fold_data
    grid = [1.0, 1.25, 1.5, 1.75, 2.0, 3.0]
    settings = SearchSettings(chains=6, steps=5, seed=0)
    result = sweep_nu(inputs, targets, grid, settings)

    folds = [item for item in result.catastrophes if item.kind == "fold"]
    assert len(folds) == 1
    fold = folds[0]
    assert {fold.parameter_before, fold.parameter_after} == {1.5, 1.75}
    assert 1.5 <= fold.estimated_parameter <= 1.75

    # Independent check by basin-hopping at each side: one minimum below the
    # fold, two above it.
    counts = {}
    for nu in (1.25, 2.0):
        potential = GPLikelihoodPotential(inputs, targets, nu=nu)
        counts[nu] = find_minima(potential, SearchSettings(chains=8, steps=8, seed=5)).n_minima
    assert counts == {1.25: 1, 2.0: 2}


class TiltedDoubleWell(Potential):
    """E(x; p) = x⁴/4 − x²/2 + p·x: the right minimum meets the barrier top at p = 2/(3√3)."""

    dimension = 1

    def __init__(self, parameter):
        self.parameter = parameter
        self.lower_bounds = np.array([-2.0])
        self.upper_bounds = np.array([2.0])

    def energies_gradients(self, points):
        x = points[:, 0]
        return x**4 / 4 - x**2 / 2 + self.parameter * x, (x**3 - x + self.parameter)[:, None]

    def hessian(self, x):
        return np.array([[3 * x[0] ** 2 - 1]])


def test_missing_saddle_recovered_for_fold():
    from topograph.gp.sweep import _recover_saddles

    grid = np.linspace(0.0, 0.6, 13)
    minima = [(np.array([-1.0]), "minimum"), (np.array([1.0]), "minimum")]
    branches = follow_branches(TiltedDoubleWell, grid, minima)
    assert detect_folds(branches, grid, 1.0) == []

    recovered = _recover_saddles(TiltedDoubleWell, grid, branches, SearchSettings(), max_jump=0.5)
    assert [branch.kind for branch in recovered] == ["saddle"]
    folds = detect_folds(branches + recovered, grid, 1.0)
    assert [item.kind for item in folds] == ["fold"]
    critical = 2 / (3 * np.sqrt(3))
    assert folds[0].parameter_before < critical < folds[0].parameter_after
    # λ² is only approximately linear in p over one grid step here.
    assert folds[0].estimated_parameter == pytest.approx(critical, abs=0.01)

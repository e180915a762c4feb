"""Tests of the disconnectivity tree and its plot."""

import numpy as np
import pytest
from matplotlib.image import imread

from topograph.analysis import disconnectivity_tree, plot_disconnectivity
from topograph.database import StationaryPointDatabase


def four_minima(with_transition_states=True):
    # Minima at energies 0, 1, 2, 3. Transition states join 0-1 at 4, 2-3 at
    # 5 and 1-2 at 6, so the basins merge pairwise and then into one.
    database = StationaryPointDatabase(1)
    for energy in (0.0, 1.0, 2.0, 3.0):
        database.add_minimum(energy, [energy])
    if with_transition_states:
        database.add_transition_state(4.0, [0.5], 0, 1)
        database.add_transition_state(5.0, [2.5], 2, 3)
        database.add_transition_state(6.0, [1.5], 1, 2)
    return database


def as_lists(tree):
    return [[basin.tolist() for basin in level] for level in tree.basins]


def test_tree_of_hand_example():
    levels = [0.5, 1.5, 2.5, 3.5, 4.5, 5.5, 6.5]
    tree = disconnectivity_tree(four_minima(), levels)

    np.testing.assert_array_equal(tree.levels, levels)
    assert as_lists(tree) == [
        [[0]],
        [[0], [1]],
        [[0], [1], [2]],
        [[0], [1], [2], [3]],
        [[0, 1], [2], [3]],
        [[0, 1], [2, 3]],
        [[0, 1, 2, 3]],
    ]
    assert tree.labels[0].tolist() == [0, -1, -1, -1]
    assert tree.labels[5].tolist() == [0, 0, 1, 1]


def test_levels_on_transition_state_energy():
    # A transition state exactly at a level joins its minima at that level.
    tree = disconnectivity_tree(four_minima(), [4.0, 5.0, 6.0])
    assert as_lists(tree) == [
        [[0, 1], [2], [3]],
        [[0, 1], [2, 3]],
        [[0, 1, 2, 3]],
    ]


def test_default_levels_span_data():
    tree = disconnectivity_tree(four_minima(), levels=6)
    np.testing.assert_allclose(tree.levels, [1.0, 2.0, 3.0, 4.0, 5.0, 6.0])
    assert as_lists(tree)[-1] == [[0, 1, 2, 3]]


def test_energy_range_leaves_out_high_minima():
    tree = disconnectivity_tree(four_minima(), levels=4, energy_range=(0.0, 2.0))
    np.testing.assert_allclose(tree.levels, [0.5, 1.0, 1.5, 2.0])
    assert as_lists(tree)[-1] == [[0], [1], [2]]
    assert tree.labels[-1].tolist() == [0, 1, 2, -1]


def test_tree_without_transition_states():
    tree = disconnectivity_tree(four_minima(with_transition_states=False), levels=3)
    assert as_lists(tree)[-1] == [[0], [1], [2], [3]]


def test_transition_state_below_minimum_waits():
    # A malformed transition state at -1 between minima at 0 and 3 joins
    # them only once minimum 3 is present.
    database = StationaryPointDatabase(1)
    database.add_minimum(0.0, [0.0])
    database.add_minimum(3.0, [1.0])
    database.add_transition_state(-1.0, [0.5], 0, 1)
    tree = disconnectivity_tree(database, [1.0, 3.0])
    assert as_lists(tree) == [[[0]], [[0, 1]]]


def test_degenerate_basins_ordered_by_index():
    database = StationaryPointDatabase(1)
    for x in (0.0, 1.0, 2.0):
        database.add_minimum(1.0, [x])
    tree = disconnectivity_tree(database, [2.0])
    assert as_lists(tree) == [[[0], [1], [2]]]


def test_empty_database_rejected(tmp_path):
    with pytest.raises(ValueError, match="no minima"):
        disconnectivity_tree(StationaryPointDatabase(2))
    with pytest.raises(ValueError, match="no minima"):
        plot_disconnectivity(StationaryPointDatabase(2), tmp_path / "graph.png")


def test_invalid_levels_rejected():
    with pytest.raises(ValueError, match="levels must be at least 1, got 0"):
        disconnectivity_tree(four_minima(), levels=0)
    with pytest.raises(ValueError, match="energy_range"):
        disconnectivity_tree(four_minima(), levels=3, energy_range=(2.0, 1.0))


def dark_pixels(path):
    image = imread(path)
    grey = image[..., :3].mean(axis=2)
    return grey < 0.5


def lines_in_top_row(path):
    """Count separate dark runs in the highest image row right of the energy axis."""
    dark = dark_pixels(path)
    axis_column = int(np.argmax(dark.sum(axis=0)))
    plot = dark[:, axis_column + 3 :]
    top_row = int(np.flatnonzero(plot.any(axis=1))[0])
    row = plot[top_row].astype(int)
    return int(np.sum(np.diff(np.concatenate([[0], row])) == 1))


def test_plot_without_transition_states(tmp_path):
    path = tmp_path / "graph.png"
    tree = plot_disconnectivity(
        four_minima(with_transition_states=False), path, levels=5, dpi=100
    )
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert len(tree.basins[-1]) == 4
    # Four unjoined minima reach the top as four separate lines.
    assert lines_in_top_row(path) == 4


def test_plot_with_transition_states(tmp_path):
    path = tmp_path / "graph.png"
    plot_disconnectivity(four_minima(), path, levels=12, dpi=100)
    dark = dark_pixels(path)
    assert 0.002 < dark.mean() < 0.2
    # All minima merge below the top level, so one line leaves the top.
    assert lines_in_top_row(path) == 1


def test_plot_coloured_by_property(tmp_path):
    database = four_minima()
    database.set_property("accuracy", [0.1, 0.4, 0.7, np.nan])
    path = tmp_path / "coloured.png"
    plot_disconnectivity(database, path, colour_by="accuracy", cmap="viridis", dpi=100)

    image = imread(path)[..., :3]
    saturation = image.max(axis=2) - image.min(axis=2)
    # viridis is strongly coloured, black and grey lines are not.
    assert np.sum(saturation > 0.3) > 50


def test_plot_rejects_unknown_property(tmp_path):
    with pytest.raises(ValueError, match="'accuracy' is not a minimum property"):
        plot_disconnectivity(four_minima(), tmp_path / "g.png", colour_by="accuracy")


def test_plot_rejects_wrong_colour_length(tmp_path):
    with pytest.raises(ValueError, match=r"shape \(3,\), expected \(4,\)"):
        plot_disconnectivity(four_minima(), tmp_path / "g.png", colour_by=[1, 2, 3])


def test_plot_many_minima(tmp_path):
    rng = np.random.default_rng(12)
    database = StationaryPointDatabase(2)
    for _ in range(300):
        database.add_minimum(rng.normal(), rng.normal(size=2))
    energies = database.minima.energies
    for _ in range(400):
        i, j = rng.choice(300, size=2, replace=False)
        barrier = max(energies[i], energies[j]) + rng.exponential()
        database.add_transition_state(barrier, rng.normal(size=2), int(i), int(j))
    path = tmp_path / "many.pdf"
    tree = plot_disconnectivity(database, path, levels=25, colour_by=rng.random(300))

    assert path.read_bytes()[:4] == b"%PDF"
    # Every minimum under the top level appears in exactly one top basin.
    members = np.concatenate(tree.basins[-1])
    assert sorted(members.tolist()) == sorted(np.flatnonzero(tree.labels[-1] >= 0))

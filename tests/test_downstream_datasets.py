"""Downstream task loaders: the packaged data files and user CSV files."""

from __future__ import annotations

import numpy as np
import pytest

from topograph.downstream.datasets import (
    load_bbb_class,
    load_bbb_logbb,
    load_csv_task,
    load_freesolv,
    load_qm9,
    load_solubility,
    load_task,
)


def test_freesolv_rows():
    task = load_freesolv()
    assert len(task) == 642
    assert task.task_type == "regression"
    assert not task.skipped
    # First row of the file: 4-methoxy-N,N-dimethyl-benzamide, -11.01 kcal/mol.
    assert task.labels[0] == pytest.approx(-11.01)
    assert task.smiles[0] == "COc1ccc(C(=O)N(C)C)cc1"


def test_solubility_rows():
    task = load_solubility()
    assert len(task) == 1025 + 257
    # First molecule of the training file: n-pentane, log S = -3.18.
    assert task.smiles[0] == "CCCCC"
    assert task.labels[0] == pytest.approx(-3.18)


def test_bbb_logbb_rows():
    task = load_bbb_logbb()
    assert len(task) == 1058
    assert task.labels[0] == pytest.approx(-2.52)


def test_bbb_class_rows_and_skips():
    task = load_bbb_class()
    # 7807 rows, two of which RDKit cannot parse.
    assert len(task) + task.skipped["invalid_smiles"] == 7807
    assert task.skipped["invalid_smiles"] == 2
    assert task.task_type == "classification"
    assert set(np.unique(task.labels)) == {0.0, 1.0}
    assert task.labels[0] == 0.0  # sulphasalazine is BBB-


def test_qm9_subsample_seeded():
    first = load_qm9("gap", max_rows=200, seed=1)
    second = load_qm9("gap", max_rows=200, seed=1)
    assert len(first) == 200
    assert first.smiles == second.smiles
    # HOMO-LUMO gaps of QM9 lie between about 0.02 and 0.63 hartree.
    assert first.labels.min() > 0.0
    assert first.labels.max() < 0.7


def test_unknown_tasks_raise():
    with pytest.raises(ValueError, match="did you mean 'freesolv'"):
        load_task("freesolve")
    with pytest.raises(ValueError, match="did you mean 'gap'"):
        load_qm9("gapp")


def test_max_rows_subsamples():
    task = load_task("freesolv", max_rows=50, seed=3)
    assert len(task) == 50
    assert task.smiles != load_task("freesolv", max_rows=50, seed=4).smiles


def write(path, text):
    path.write_text(text, encoding="utf-8")
    return path


def test_csv_counts_skips(tmp_path):
    path = write(
        tmp_path / "task.csv",
        "mol,y\nCCO,1.5\nnot_a_smiles,2.0\n,3.0\nCCN,\n\nc1ccccc1,abc\nCCC,-0.5\n",
    )
    task = load_csv_task(path, "mol", "y", "regression")
    assert task.smiles == ["CCO", "CCC"]
    np.testing.assert_array_equal(task.labels, [1.5, -0.5])
    assert task.skipped["invalid_smiles"] == 1
    assert task.skipped["empty"] == 3  # empty SMILES, empty label, blank line
    assert task.skipped["invalid_label"] == 1
    assert task.name == "task"


def test_csv_missing_column_names_it(tmp_path):
    path = write(tmp_path / "task.csv", "smiles,value\nCCO,1\n")
    with pytest.raises(
        ValueError, match="label column 'valu' is missing.*did you mean 'value'"
    ):
        load_csv_task(path, "smiles", "valu", "regression")


def test_csv_classification_maps_two_classes(tmp_path):
    path = write(tmp_path / "task.csv", "smiles,active\nCCO,yes\nCCN,no\nCCC,yes\n")
    task = load_csv_task(path, "smiles", "active", "classification")
    np.testing.assert_array_equal(task.labels, [1.0, 0.0, 1.0])


def test_csv_classification_needs_two_classes(tmp_path):
    path = write(tmp_path / "task.csv", "smiles,active\nCCO,a\nCCN,b\nCCC,c\n")
    with pytest.raises(ValueError, match="3 distinct labels"):
        load_csv_task(path, "smiles", "active", "classification")


def test_csv_unknown_task_type(tmp_path):
    path = write(tmp_path / "task.csv", "smiles,y\nCCO,1\n")
    with pytest.raises(ValueError, match="unknown task type 'ranking'"):
        load_csv_task(path, "smiles", "y", "ranking")


def test_csv_without_valid_rows(tmp_path):
    path = write(tmp_path / "task.csv", "smiles,y\nxx,1\n")
    with pytest.raises(ValueError, match="no valid rows"):
        load_csv_task(path, "smiles", "y", "regression")


def test_csv_label_hint_skips_smiles(tmp_path):
    path = write(tmp_path / "task.csv", "smiles\nCCO\n")
    with pytest.raises(ValueError) as error:
        load_csv_task(path, "smiles", "label", "regression")
    assert "did you mean" not in str(error.value)
    assert f"the label column 'label' is missing from {path}. Columns present: smiles" in str(
        error.value
    )


@pytest.mark.parametrize("max_rows", [0, -5])
def test_csv_rejects_max_rows_below_one(tmp_path, max_rows):
    path = write(tmp_path / "task.csv", "smiles,y\nCCO,1\nCCN,2\n")
    with pytest.raises(ValueError, match=f"max_rows must be a positive integer or None; got {max_rows}"):
        load_csv_task(path, "smiles", "y", "regression", max_rows=max_rows)

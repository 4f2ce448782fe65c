import numpy as np
import pytest

from seg_ext.core.splits import coverage_class, fold_ids, stratified_kfold


def test_coverage_class_bins():
    cov = np.array([0.0, 1e-4, 0.1, 0.1001, 0.55, 1.0])
    np.testing.assert_array_equal(coverage_class(cov, 10), [0, 1, 1, 2, 6, 10])
    with pytest.raises(ValueError):
        coverage_class(np.array([1.5]))


def test_stratified_kfold_balances_every_label():
    labels = np.array([0] * 10 + [1] * 5 + [2] * 7)
    folds = stratified_kfold(labels, 5, seed=3)
    for lab in (0, 1, 2):
        counts = np.bincount(folds[labels == lab], minlength=5)
        assert counts.max() - counts.min() <= 1
    sizes = np.bincount(folds, minlength=5)
    assert sizes.max() - sizes.min() <= 1 and sizes.sum() == 22
    np.testing.assert_array_equal(folds, stratified_kfold(labels, 5, seed=3))  # reproducible
    assert not np.array_equal(folds, stratified_kfold(labels, 5, seed=4))


def test_fold_ids_partition():
    ids = [f'id{i}' for i in range(6)]
    folds = np.array([0, 1, 0, 1, 0, 1])
    train, val = fold_ids(ids, folds, 1)
    assert val == ['id1', 'id3', 'id5'] and train == ['id0', 'id2', 'id4']


def test_too_few_samples():
    with pytest.raises(ValueError, match='cannot fill'):
        stratified_kfold([0, 1], 5)

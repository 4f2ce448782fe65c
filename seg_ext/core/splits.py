"""K-fold splits stratified by mask coverage, as pure functions (used by
:func:`seg_ext.core.tgs_salt.write_tgs_splits`)."""
from typing import List, Sequence, Tuple

import numpy as np


def coverage_class(coverage: np.ndarray, num_bins: int = 10) -> np.ndarray:
    """Bin mask coverage (fraction of foreground pixels, 0..1) into ``num_bins + 1`` classes.

    Class 0 holds exactly-empty masks; class ``k >= 1`` holds coverage in
    ``((k-1)/num_bins, k/num_bins]``, so empty masks are never mixed with tiny ones.
    """
    coverage = np.asarray(coverage, dtype=np.float64)
    if ((coverage < 0) | (coverage > 1)).any():
        raise ValueError('coverage must lie in [0, 1]')
    cls = np.ceil(coverage * num_bins).astype(np.int64)
    return np.clip(cls, 0, num_bins)


def stratified_kfold(labels: Sequence[int], num_folds: int, seed: int = 0) -> np.ndarray:
    """Assign each sample a fold in ``[0, num_folds)`` so every label is spread evenly over folds.

    Members of each label are shuffled (seeded) and dealt round-robin; the dealing position carries
    over from one label to the next, so fold sizes differ by at most one overall.
    """
    labels = np.asarray(labels)
    if num_folds < 2:
        raise ValueError(f'num_folds must be >= 2, got {num_folds}')
    if len(labels) < num_folds:
        raise ValueError(f'{len(labels)} samples cannot fill {num_folds} folds')
    rng = np.random.default_rng(seed)
    folds = np.empty(len(labels), np.int64)
    offset = 0
    for label in np.unique(labels):
        members = rng.permutation(np.flatnonzero(labels == label))
        folds[members] = (offset + np.arange(len(members))) % num_folds
        offset += len(members)
    return folds


def fold_ids(ids: Sequence[str], folds: np.ndarray, fold: int) -> Tuple[List[str], List[str]]:
    """Return ``(train_ids, val_ids)`` for one fold, each in the original order of ``ids``."""
    folds = np.asarray(folds)
    train = [i for i, f in zip(ids, folds) if f != fold]
    val = [i for i, f in zip(ids, folds) if f == fold]
    return train, val

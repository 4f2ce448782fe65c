"""K-fold splits stratified by salt coverage, as pure functions (used by the split tool)."""
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


def write_tgs_splits(data_root: str, num_folds: int = 5, seed: int = 0,
                     out_dir: str = 'splits', num_bins: int = 10) -> dict:
    """Write coverage-stratified k-fold split files for a TGS Salt folder.

    Reads every training mask (PNG or ``train.csv`` RLE, validated as in training), bins its salt
    coverage with :func:`coverage_class` and deals ids into folds with :func:`stratified_kfold`.
    Writes ``<data_root>/<out_dir>/fold<k>_train.txt`` and ``fold<k>_val.txt`` for every fold, and
    ``folds.csv`` (``id,coverage,coverage_class,fold``).

    Returns ``dict(num_samples=..., files=[...], fold_sizes=[...])``.
    """
    import csv
    import os
    import os.path as osp

    from .tgs_salt import TGSSaltDataset
    from .transforms import LoadBinaryAnnotations, LoadCheckedImageFromFile

    dataset = TGSSaltDataset(data_root=data_root, ann_file='', pipeline=[
        dict(type=LoadCheckedImageFromFile, color_type='grayscale'),
        dict(type=LoadBinaryAnnotations)
    ])
    ids, coverage = [], []
    for i in range(len(dataset)):
        sample = dataset[i]
        ids.append(dataset.get_data_info(i)['sample_id'])
        coverage.append(float(sample['gt_seg_map'].mean()))
    classes = coverage_class(np.asarray(coverage), num_bins)
    folds = stratified_kfold(classes, num_folds, seed)
    root = osp.join(data_root, out_dir)
    os.makedirs(root, exist_ok=True)
    files = []
    for k in range(num_folds):
        train, val = fold_ids(ids, folds, k)
        for name, part in ((f'fold{k}_train.txt', train), (f'fold{k}_val.txt', val)):
            path = osp.join(root, name)
            with open(path, 'w') as f:
                f.write('\n'.join(part) + '\n')
            files.append(path)
    table = osp.join(root, 'folds.csv')
    with open(table, 'w', newline='') as f:
        w = csv.writer(f)
        w.writerow(['id', 'coverage', 'coverage_class', 'fold'])
        w.writerows((i, f'{c:.6f}', int(cc), int(fo))
                    for i, c, cc, fo in zip(ids, coverage, classes, folds))
    files.append(table)
    return dict(num_samples=len(ids), files=files,
                fold_sizes=np.bincount(folds, minlength=num_folds).tolist())

import csv
import os.path as osp

import numpy as np

from seg_ext.core.tgs_salt import write_tgs_splits


def test_write_splits(tgs_copy):
    info = write_tgs_splits(tgs_copy, num_folds=4, seed=0, out_dir='s2')
    assert info['num_samples'] == 40 and info['fold_sizes'] == [10, 10, 10, 10]
    val_sets = [set(open(osp.join(tgs_copy, 's2', f'fold{k}_val.txt')).read().split())
                for k in range(4)]
    assert set.union(*val_sets) == {r['id'] for r in csv.DictReader(
        open(osp.join(tgs_copy, 'train.csv')))}
    assert sum(len(v) for v in val_sets) == 40  # disjoint
    train0 = set(open(osp.join(tgs_copy, 's2', 'fold0_train.txt')).read().split())
    assert not train0 & val_sets[0] and len(train0) == 30
    rows = list(csv.DictReader(open(osp.join(tgs_copy, 's2', 'folds.csv'))))
    empty_folds = [int(r['fold']) for r in rows if float(r['coverage']) == 0]
    counts = np.bincount(empty_folds, minlength=4)
    assert counts.max() - counts.min() <= 1  # empty masks spread evenly

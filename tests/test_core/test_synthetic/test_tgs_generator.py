import csv
import os
import os.path as osp

import cv2
import numpy as np

from seg_ext.core.rle import rle_decode
from seg_ext.core.synthetic import make_sample, ricker, write_tgs_dataset


def test_layout_and_formats(tmp_path):
    root = str(tmp_path)
    counts = write_tgs_dataset(root, num_train=30, num_test=5, seed=0)
    ids = sorted(f[:-4] for f in os.listdir(osp.join(root, 'train', 'images')))
    assert len(ids) == 30 and all(len(i) == 10 for i in ids)  # Kaggle-style hex ids
    assert len(os.listdir(osp.join(root, 'test', 'images'))) == 5
    img = cv2.imread(osp.join(root, 'train', 'images', ids[0] + '.png'), cv2.IMREAD_UNCHANGED)
    assert img.shape == (101, 101, 3) and (img[..., 0] == img[..., 2]).all()  # gray as 3-channel
    rows = list(csv.DictReader(open(osp.join(root, 'train.csv'))))
    assert [r['id'] for r in sorted(rows, key=lambda r: r['id'])] == ids
    for r in rows:
        mask = cv2.imread(osp.join(root, 'train', 'masks', r['id'] + '.png'), cv2.IMREAD_UNCHANGED)
        assert set(np.unique(mask)) <= {0, 255}
        np.testing.assert_array_equal(rle_decode(r['rle_mask'], (101, 101)), mask // 255)
    depths = list(csv.DictReader(open(osp.join(root, 'depths.csv'))))
    assert len(depths) == 35 and all(50 <= int(d['z']) <= 960 for d in depths)
    assert counts['empty'] == sum(1 for r in rows if not r['rle_mask'])


def test_empty_fraction_and_coverage_spread():
    masks = [make_sample(i, seed=0)[1] for i in range(300)]
    cover = np.array([m.mean() / 255 for m in masks])
    assert 0.3 < (cover == 0).mean() < 0.5          # ~40% without salt, as in TGS
    salty = cover[cover > 0]
    assert salty.min() < 0.05 and salty.max() > 0.9  # tiny bodies to (almost) full sections


def test_reproducible_and_seismic_like():
    a, b = make_sample(7, seed=3), make_sample(7, seed=3)
    np.testing.assert_array_equal(a[0], b[0])
    img = a[0].astype(float)
    assert 90 < img.mean() < 170 and img.std() > 10
    # layered reflectors: neighbouring traces (columns) correlate far more than rows do
    col_corr = np.corrcoef(img[:, 10], img[:, 11])[0, 1]
    assert col_corr > 0.5


def test_ricker_wavelet_shape():
    w = ricker(0.1)
    assert w.argmax() == len(w) // 2 and w.max() == 1.0 and w.min() < 0
    np.testing.assert_allclose(w, w[::-1])

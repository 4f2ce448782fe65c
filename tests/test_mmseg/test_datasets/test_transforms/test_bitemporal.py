"""Stacked pairs: one geometry for A, B and label; independent photometry; time exchange."""
import numpy as np
import pytest
from mmcv.transforms import Compose

from seg_ext.mmseg.datasets.transforms import (
    PairwisePhotoMetricDistortion,
    RandomRotate90,
    RandomTimeExchange,
)


def pair():
    rng = np.random.default_rng(0)
    a = rng.integers(0, 200, (40, 50, 3), dtype=np.uint8)
    b = a + 50  # B = A brightened everywhere: any geometric mismatch breaks B - A == 50
    label = (a[..., 0] > 100).astype(np.uint8)  # label derived from A's content
    return dict(img=np.concatenate([a, b], 2), gt_seg_map=label, seg_fields=['gt_seg_map'],
                img_shape=(40, 50), ori_shape=(40, 50))


@pytest.mark.parametrize('seed', [0, 1, 2, 3])
def test_geometric_transforms_move_a_b_label_identically(seed):
    np.random.seed(seed)
    pipeline = Compose([
        dict(type='RandomCrop', crop_size=(24, 30)),
        dict(type='RandomFlip', prob=0.5, direction='horizontal'),
        dict(type='RandomRotate90', prob=1.0),
    ])
    out = pipeline(pair())
    img, label = out['img'], out['gt_seg_map']
    a, b = img[..., :3].astype(int), img[..., 3:].astype(int)
    assert img.shape[:2] in ((24, 30), (30, 24)) and label.shape == img.shape[:2]
    np.testing.assert_array_equal(b - a, 50)                       # A and B: same pixels
    np.testing.assert_array_equal(label, (a[..., 0] > 100).astype(np.uint8))  # label follows


def test_rotate90_exact():
    np.random.seed(0)
    data = pair()
    out = RandomRotate90(prob=1.0)(dict(data, img=data['img'].copy()))
    k = out['rotate90_k']
    np.testing.assert_array_equal(out['img'], np.rot90(data['img'], k))
    np.testing.assert_array_equal(out['gt_seg_map'], np.rot90(data['gt_seg_map'], k))
    assert out['img_shape'] == out['img'].shape[:2]


def test_photometric_distortion_differs_between_a_and_b():
    np.random.seed(0)
    a = np.random.default_rng(1).integers(30, 220, (32, 32, 3), dtype=np.uint8)
    data = dict(img=np.concatenate([a, a], 2))  # identical acquisitions
    out = PairwisePhotoMetricDistortion()(data)['img'].astype(int)
    assert out.shape == (32, 32, 6)
    assert np.abs(out[..., :3] - out[..., 3:]).mean() > 1  # independent random draws
    assert np.abs(out[..., :3] - a).mean() > 1 or np.abs(out[..., 3:] - a).mean() > 1


def test_time_exchange_swaps_halves():
    np.random.seed(0)
    data = pair()
    a, b = data['img'][..., :3].copy(), data['img'][..., 3:].copy()
    out = RandomTimeExchange(prob=1.0)(data)
    np.testing.assert_array_equal(out['img'][..., :3], b)
    np.testing.assert_array_equal(out['img'][..., 3:], a)
    assert out['time_exchanged']
    np.testing.assert_array_equal(RandomTimeExchange(prob=0.0)(pair())['img'], pair()['img'])

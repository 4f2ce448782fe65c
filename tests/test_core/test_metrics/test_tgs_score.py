import numpy as np
import pytest

from seg_ext.core.metrics import IOU_THRESHOLDS, tgs_image_scores, tgs_score


def test_thresholds():
    np.testing.assert_allclose(IOU_THRESHOLDS, [.5, .55, .6, .65, .7, .75, .8, .85, .9, .95])


@pytest.mark.parametrize('inter, gt, pred, expected', [
    (0, 0, 0, 1.0),      # empty truth, empty prediction
    (0, 0, 5, 0.0),      # empty truth, any predicted pixel
    (0, 5, 0, 0.0),      # salt missed entirely
    (10, 10, 10, 1.0),   # perfect
    (31, 40, 41, 0.3),   # IoU 31/50 = 0.62: hits at .50 .55 .60
    (78, 100, 78, 0.6),  # IoU 0.78: hits at .50 .55 .60 .65 .70 .75
    (50, 100, 50, 0.0),  # IoU exactly 0.5: not a hit (Kaggle counts IoU > t)
    (96, 100, 96, 1.0),  # IoU 0.96 > 0.95
])
def test_image_scores(inter, gt, pred, expected):
    got = tgs_image_scores(np.array([inter]), np.array([gt]), np.array([pred]))
    assert got.shape == (1, )
    assert got[0] == pytest.approx(expected)


def test_hand_computed_dataset_score():
    inter = np.array([31, 0, 0, 78])
    gt = np.array([40, 0, 0, 100])
    pred = np.array([41, 0, 3, 78])
    np.testing.assert_allclose(tgs_image_scores(inter, gt, pred), [0.3, 1.0, 0.0, 0.6])
    assert tgs_score(inter, gt, pred) == pytest.approx(1.9 / 4)


def test_shape_mismatch():
    with pytest.raises(ValueError):
        tgs_image_scores(np.zeros(2), np.zeros(3), np.zeros(2))

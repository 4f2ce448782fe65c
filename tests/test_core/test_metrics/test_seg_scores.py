import numpy as np
import pytest

from seg_ext.core.metrics import seg_scores


def test_hand_computed_two_classes():
    cm = np.array([[7, 1], [1, 2]])  # rows = gt, cols = pred; 11 pixels
    s = seg_scores(cm)
    assert s['aAcc'] == pytest.approx(9 / 11)                       # PA
    np.testing.assert_allclose(s['IoU'], [7 / 9, 2 / 4])
    np.testing.assert_allclose(s['Acc'], [7 / 8, 2 / 3])
    assert s['mIoU'] == pytest.approx((7 / 9 + 0.5) / 2)
    assert s['mAcc'] == pytest.approx((7 / 8 + 2 / 3) / 2)           # MPA
    assert s['FWIoU'] == pytest.approx(8 / 11 * 7 / 9 + 3 / 11 * 0.5)
    np.testing.assert_allclose(s['Dice'], [14 / 16, 4 / 6])
    np.testing.assert_allclose(s['Precision'], [7 / 8, 2 / 3])


def test_three_classes_fwiou_differs_from_miou():
    cm = np.array([[50, 0, 0],
                   [5, 5, 0],
                   [0, 10, 30]])
    s = seg_scores(cm)
    iou = np.array([50 / 55, 5 / 20, 30 / 40])
    np.testing.assert_allclose(s['IoU'], iou)
    freq = np.array([50, 10, 40]) / 100
    assert s['FWIoU'] == pytest.approx(float((freq * iou).sum()))
    assert s['mIoU'] == pytest.approx(iou.mean())
    assert s['aAcc'] == pytest.approx(85 / 100)


def test_absent_class_is_nan_and_skipped():
    # class 2 never appears in gt or prediction: no IoU, means over the other two
    cm = np.array([[3, 1, 0], [0, 4, 0], [0, 0, 0]])
    s = seg_scores(cm)
    assert np.isnan(s['IoU'][2]) and np.isnan(s['Acc'][2])
    assert s['mIoU'] == pytest.approx((3 / 4 + 4 / 5) / 2)
    # gt pixels per class 4, 4, 0: weights 1/2, 1/2, 0
    assert s['FWIoU'] == pytest.approx(0.5 * 3 / 4 + 0.5 * 4 / 5)


def test_predicted_but_absent_class_counts_zero_iou():
    # class 1 absent from gt but predicted: IoU 0 (as mmseg), Acc undefined
    cm = np.array([[6, 2], [0, 0]])
    s = seg_scores(cm)
    assert s['IoU'][1] == 0 and np.isnan(s['Acc'][1])
    assert s['mIoU'] == pytest.approx((6 / 8 + 0) / 2)
    assert s['mAcc'] == pytest.approx(6 / 8)
    assert s['FWIoU'] == pytest.approx(6 / 8)


def test_single_class_image_no_nan():
    s = seg_scores(np.array([[10, 0], [0, 0]]))
    assert s['aAcc'] == 1 and s['mIoU'] == 1 and s['FWIoU'] == 1 and s['mAcc'] == 1

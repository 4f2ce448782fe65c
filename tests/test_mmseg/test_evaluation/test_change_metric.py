import numpy as np
import pytest
import torch
from mmengine.evaluator import Evaluator
from mmengine.structures import PixelData
from mmseg.structures import SegDataSample

from seg_ext.core.metrics import change_scores
from seg_ext.mmseg.evaluation import ChangeMetric


def sample(pred, gt, name):
    s = SegDataSample()
    s.pred_sem_seg = PixelData(data=torch.as_tensor(pred, dtype=torch.float32)[None])
    s.gt_sem_seg = PixelData(data=torch.as_tensor(gt)[None])
    s.set_metainfo(dict(img_path=f'/d/A/{name}', seg_map_path=f'/d/label/{name}'))
    return s


def test_hand_computed_with_an_image_without_change():
    # image 1: gt change at 4 pixels; prediction hits 3 of them and raises 2 false alarms
    gt1 = np.zeros((4, 4), int)
    gt1[0, :4] = 1
    pred1 = np.zeros((4, 4))
    pred1[0, :3] = 1
    pred1[3, 2:] = 1
    # image 2: no change in truth, 1 false alarm; image 3: no change anywhere
    gt2, pred2 = np.zeros((4, 4), int), np.zeros((4, 4))
    pred2[1, 1] = 1
    gt3, pred3 = np.zeros((4, 4), int), np.zeros((4, 4))
    ev = Evaluator(ChangeMetric())
    ev.dataset_meta = dict(classes=('unchanged', 'changed'))
    ev.process([sample(pred1, gt1, 'a.png'), sample(pred2, gt2, 'b.png'),
                sample(pred3, gt3, 'c.png')])
    m = ev.evaluate(3)
    tp, fp, fn, tn = 3, 3, 1, 41
    assert m['Precision'] == round(100 * tp / (tp + fp), 2) == 50.0
    assert m['Recall'] == round(100 * tp / (tp + fn), 2) == 75.0
    assert m['F1'] == round(100 * 2 * tp / (2 * tp + fp + fn), 2) == 60.0
    assert m['IoU'] == round(100 * tp / (tp + fp + fn), 2) == 42.86
    assert m['IoU.changed'] == 42.86
    assert m['aAcc'] == round(100 * (tp + tn) / 48, 2)
    iou_bg = tn / (tn + fp + fn)
    assert m['mIoU'] == round(100 * (iou_bg + 3 / 7) / 2, 2)
    assert m['FWIoU'] == round(100 * (44 / 48 * iou_bg + 4 / 48 * 3 / 7), 2)


def test_change_scores_edge_cases():
    assert change_scores(np.array([[10, 0], [0, 0]])) == dict(Precision=1.0, Recall=1.0,
                                                              F1=1.0, IoU=1.0)
    s = change_scores(np.array([[8, 2], [0, 0]]))  # false alarms only
    assert s['Precision'] == 0 and s['Recall'] == 0 and s['F1'] == 0 and s['IoU'] == 0
    s = change_scores(np.array([[8, 0], [2, 0]]))  # missed change only
    assert s['Precision'] == 0 and s['Recall'] == 0 and s['F1'] == 0
    s = change_scores(np.array([[5, 1], [2, 4]]))
    assert s['F1'] == pytest.approx(8 / 11) and s['Precision'] == pytest.approx(0.8)

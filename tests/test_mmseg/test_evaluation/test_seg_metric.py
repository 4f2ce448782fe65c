import os.path as osp

import numpy as np
import pytest
import torch
from mmengine.evaluator import Evaluator
from mmengine.structures import PixelData
from mmseg.evaluation import IoUMetric
from mmseg.structures import SegDataSample

from seg_ext.core.errors import DataError
from seg_ext.mmseg.evaluation import SegMetric

META = dict(classes=('background', 'salt'))


def sample(pred, gt, name='img.png'):
    s = SegDataSample()
    s.pred_sem_seg = PixelData(data=torch.as_tensor(pred)[None])
    s.gt_sem_seg = PixelData(data=torch.as_tensor(gt)[None])
    s.set_metainfo(dict(img_path=f'/data/{name}', seg_map_path=f'/data/masks/{name}'))
    return s


def evaluate(samples, **kwargs):
    evaluator = Evaluator(SegMetric(**kwargs))
    evaluator.dataset_meta = META
    evaluator.process(samples)
    return evaluator.evaluate(len(samples))


def test_hand_computed_metrics_and_tgs():
    s1 = sample([[0., 1., 1.], [0., 1., 0.]], [[0, 0, 1], [1, 1, 255]], 'a.png')  # float preds
    s2 = sample(torch.zeros(2, 3), torch.zeros(2, 3, dtype=torch.long), 'b.png')  # empty/empty
    m = evaluate([s1, s2], tgs_score=True)
    # total confusion [[7, 1], [1, 2]] (ignored pixel dropped)
    assert m['aAcc'] == 81.82                       # PA = 9/11
    assert m['mIoU'] == 63.89                       # (7/9 + 2/4) / 2
    assert m['mAcc'] == 77.08                       # MPA = (7/8 + 2/3) / 2
    assert m['FWIoU'] == 70.2                       # 8/11 * 7/9 + 3/11 * 1/2
    assert m['IoU.salt'] == 50.0 and m['IoU.background'] == 77.78
    assert m['Acc.salt'] == 66.67
    # image a: salt IoU 2/4 = 0.5, not > 0.5 -> 0; image b: empty & empty -> 1
    assert m['TGS'] == 50.0


def test_tgs_empty_truth_with_prediction_scores_zero():
    gt = torch.zeros(4, 4, dtype=torch.long)
    pred = torch.zeros(4, 4)
    pred[0, 0] = 1
    m = evaluate([sample(pred, gt)], tgs_score=True)
    assert m['TGS'] == 0.0


def test_matches_mmseg_ioumetric():
    rng = np.random.default_rng(0)
    samples = []
    for i in range(5):
        gt = torch.as_tensor(rng.integers(0, 3, (20, 30)))
        gt[0, :5] = 255
        pred = torch.as_tensor(rng.integers(0, 3, (20, 30)))
        samples.append(sample(pred, gt, f'{i}.png'))
    meta = dict(classes=('a', 'b', 'c'))
    ours = Evaluator(SegMetric(iou_metrics=['mIoU', 'mDice', 'mFscore']))
    ref = Evaluator(IoUMetric(iou_metrics=['mIoU', 'mDice', 'mFscore']))
    for ev in (ours, ref):
        ev.dataset_meta = meta
        ev.process(samples)
    a, b = ours.evaluate(5), ref.evaluate(5)
    for key in ('aAcc', 'mIoU', 'mAcc', 'mDice', 'mFscore', 'mPrecision', 'mRecall'):
        assert a[key] == pytest.approx(b[key], abs=0.011), key


def test_label_out_of_range_names_file():
    with pytest.raises(DataError, match=r'/data/masks/bad\.png: ground-truth label 7'):
        evaluate([sample(torch.zeros(2, 2), torch.tensor([[0, 7], [0, 0]]), 'bad.png')])


def test_shape_mismatch_names_file():
    with pytest.raises(DataError, match=r'bad\.png: prediction is \(2, 2\) but the ground truth'):
        evaluate([sample(torch.zeros(2, 2), torch.zeros(3, 2, dtype=torch.long), 'bad.png')])


def test_output_dir_saves_predictions(tmp_path):
    from PIL import Image
    pred = torch.tensor([[0., 1.], [1., 1.]])
    evaluate([sample(pred, torch.zeros(2, 2, dtype=torch.long), 'x.png')],
             output_dir=str(tmp_path))
    saved = np.array(Image.open(osp.join(tmp_path, 'x.png')))
    np.testing.assert_array_equal(saved, [[0, 1], [1, 1]])


def test_unsupported_metric_name():
    with pytest.raises(KeyError, match='mFoo'):
        SegMetric(iou_metrics=['mFoo'])

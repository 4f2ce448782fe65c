"""Empty masks and single-class images: finite training losses and gradients, finite summary
metrics, and a metrics JSON that stays valid JSON when a per-class value is undefined."""
import json
import math

import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.evaluator import Evaluator
from mmengine.structures import PixelData
from mmseg.registry import MODELS
from mmseg.structures import SegDataSample

from seg_ext.core.reporting import dump_metrics
from seg_ext.mmseg.evaluation import ChangeMetric, SegMetric

from conftest import repo_path


def gt_sample(mask, pred=None):
    s = SegDataSample()
    s.gt_sem_seg = PixelData(data=torch.as_tensor(mask)[None].long())
    if pred is not None:
        s.pred_sem_seg = PixelData(data=torch.as_tensor(pred)[None].long())
    s.set_metainfo(dict(img_shape=mask.shape, pad_shape=mask.shape, ori_shape=mask.shape,
                        img_path='/d/x.png', seg_map_path='/d/m/x.png'))
    return s


@pytest.mark.parametrize('fill', [0, 1], ids=['all_background', 'all_salt'])
def test_unet_loss_finite_on_single_class_batch(fill):
    cfg = Config.fromfile(repo_path('configs', 'unet_salt.py')).model
    cfg.backbone.depth = 18
    cfg.decode_head.decoder_channels = [16, 16, 16, 8, 8]
    cfg.decode_head.channels = 8
    model = MODELS.build(cfg).train()
    samples = [gt_sample(np.full((64, 64), fill)) for _ in range(2)]
    losses = model.loss(torch.randn(2, 1, 64, 64), samples)
    total = sum(v for k, v in losses.items() if 'loss' in k)
    assert all(torch.isfinite(v).all() for k, v in losses.items() if 'loss' in k), losses
    total.backward()
    grads = [p.grad for p in model.parameters() if p.grad is not None]
    assert grads and all(torch.isfinite(g).all() for g in grads)


def evaluate(metric, samples, classes=('background', 'salt')):
    ev = Evaluator(metric)
    ev.dataset_meta = dict(classes=classes)
    ev.process(samples)
    return ev.evaluate(len(samples))


def test_metrics_on_empty_masks_are_finite(tmp_path):
    empty = np.zeros((10, 10), int)
    m = evaluate(SegMetric(tgs_score=True), [gt_sample(empty, empty), gt_sample(empty, empty)])
    for key in ('aAcc', 'mIoU', 'mAcc', 'FWIoU', 'TGS'):
        assert math.isfinite(m[key]) and m[key] == 100.0, key
    assert math.isnan(m['IoU.salt'])  # undefined (no salt anywhere), as mmseg reports it
    data = json.load(open(dump_metrics(m, str(tmp_path / 'm.json'))))
    assert data['IoU.salt'] is None and data['mIoU'] == 100.0  # valid JSON: null, not NaN

    m = evaluate(SegMetric(tgs_score=True, nan_to_num=0), [gt_sample(empty, empty)])
    assert m['IoU.salt'] == 0.0


def test_change_metric_without_change_pixels():
    empty = np.zeros((8, 8), int)
    m = evaluate(ChangeMetric(), [gt_sample(empty, empty)], classes=('unchanged', 'changed'))
    assert (m['F1'], m['Precision'], m['Recall'], m['IoU']) == (100.0, 100.0, 100.0, 100.0)
    some = empty.copy()
    some[0, 0] = 1
    m = evaluate(ChangeMetric(), [gt_sample(empty, some)], classes=('unchanged', 'changed'))
    assert (m['F1'], m['Precision'], m['Recall']) == (0.0, 0.0, 0.0)

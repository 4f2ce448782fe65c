import cv2
import numpy as np
import torch
from mmengine.config import Config
from mmengine.structures import PixelData
from mmseg.structures import SegDataSample

from seg_ext.engine import cli
from seg_ext.engine.hooks import CRFHook, class_probabilities

from conftest import repo_path


def test_class_probabilities_sigmoid_and_softmax():
    p = torch.tensor([[[0.2, 0.9]]])
    assert torch.allclose(class_probabilities(p), torch.tensor([[[0.8, 0.1]], [[0.2, 0.9]]]))
    logits = torch.randn(3, 2, 2)
    assert torch.allclose(class_probabilities(logits), torch.softmax(logits, 0))


def test_refine_replaces_prediction_and_keeps_raw(tmp_path):
    img = np.zeros((32, 32), np.uint8)
    img[:, 16:] = 200
    path = str(tmp_path / 'x.png')
    cv2.imwrite(path, img)
    truth = torch.zeros(32, 32)
    truth[:, 16:] = 1
    rng = torch.Generator().manual_seed(0)
    prob = (0.15 + 0.7 * truth + 0.3 * torch.randn(32, 32, generator=rng)).clamp(0.01, 0.99)
    sample = SegDataSample(metainfo=dict(img_path=path))
    sample.seg_logits = PixelData(data=prob[None])
    raw = (prob > 0.5).float()[None]
    sample.pred_sem_seg = PixelData(data=raw.clone())
    hook = CRFHook(dict(type='DenseCRF', gaussian=dict(sxy=3, compat=3),
                        bilateral=dict(sxy=20, srgb=20, compat=5)), color_type='grayscale')
    hook.refine([sample], threshold=0.5)
    assert torch.equal(sample.pred_sem_seg_raw.data, raw)
    err_raw = (raw[0] != truth).float().mean()
    err_crf = (sample.pred_sem_seg.data[0] != truth).float().mean()
    assert err_crf < err_raw / 2  # speckle removed along the true edge
    assert sample.pred_sem_seg.data.dtype == raw.dtype


def test_enable_crf_adds_hook_and_comparison_metric():
    cfg = Config.fromfile(repo_path('configs', 'unet_salt.py'))
    cli.enable_crf(cfg, dict(type='DenseCRF'))
    hook = cfg.custom_hooks[-1]
    assert hook.type == 'CRFHook' and hook.color_type == 'grayscale'
    assert hook.image_keys == ('img_path', )
    assert [e.get('prefix') for e in cfg.test_evaluator] == [None, 'noCRF']
    assert cfg.test_evaluator[1].pred_key == 'pred_sem_seg_raw'

    cd = Config.fromfile(repo_path('configs', 'changedet_levir.py'))
    cli.enable_crf(cd, dict(type='GridCRF'), compare=False)
    assert cd.custom_hooks[-1].image_keys == ('img_path', 'img_path2')
    assert cd.custom_hooks[-1].keep_raw is False
    assert cd.test_evaluator.type == 'ChangeMetric'  # no comparison metric requested

"""CRFRefiner: a wrapper segmentor that refines predictions with a CRF (replaces the old hook)."""
import copy

import numpy as np
import torch
from mmengine.config import Config
from mmengine.structures import PixelData
from mmseg.registry import MODELS
from mmseg.structures import SegDataSample

from seg_ext.core.crf import class_probabilities
from seg_ext.mmseg.apis import runner_setup
from seg_ext.mmseg.models.segmentors import CRFRefiner, original_image

from conftest import repo_path


def salt_model_cfg():
    cfg = Config.fromfile(repo_path('configs', 'unet_salt_demo.py'))
    model = copy.deepcopy(cfg.model)
    model.backbone.norm_cfg = model.decode_head.norm_cfg = dict(type='BN')
    return model


def test_class_probabilities_sigmoid_and_softmax():
    p = torch.tensor([[[0.2, 0.9]]])
    assert torch.allclose(class_probabilities(p), torch.tensor([[[0.8, 0.1]], [[0.2, 0.9]]]))
    logits = torch.randn(3, 2, 2)
    assert torch.allclose(class_probabilities(logits), torch.softmax(logits, 0))


def test_original_image_undoes_padding_and_flip():
    img = torch.arange(2 * 6 * 8, dtype=torch.float32).reshape(2, 6, 8)
    meta = dict(img_padding_size=[1, 2, 0, 1], ori_shape=(5, 5))  # left, right, top, bottom
    out = original_image(img, meta)
    assert out.shape == (5, 5, 2)
    assert np.array_equal(out, img[:, 0:5, 1:6].permute(1, 2, 0).numpy())
    flipped = original_image(img.flip(-1), dict(meta, flip=True, flip_direction='horizontal'))
    assert np.array_equal(flipped, out)
    resized = original_image(img, dict(ori_shape=(12, 16)))  # a pipeline that resized x0.5
    assert resized.shape == (12, 16, 2)


def test_refine_replaces_prediction_and_keeps_raw():
    refiner = CRFRefiner(salt_model_cfg(), crf=dict(
        type='DenseCRF', gaussian=dict(sxy=3, compat=3),
        bilateral=dict(sxy=20, srgb=20, compat=5)))
    img = np.zeros((32, 32, 1), np.float32)
    img[:, 16:] = 200
    truth = torch.zeros(32, 32)
    truth[:, 16:] = 1
    rng = torch.Generator().manual_seed(0)
    prob = (0.15 + 0.7 * truth + 0.3 * torch.randn(32, 32, generator=rng)).clamp(0.01, 0.99)
    sample = SegDataSample()
    sample.seg_logits = PixelData(data=prob[None])
    raw = (prob > 0.5).float()[None]
    sample.pred_sem_seg = PixelData(data=raw.clone())
    refiner.refine([sample], [img])
    assert torch.equal(sample.pred_sem_seg_raw.data, raw)
    err_raw = (raw[0] != truth).float().mean()
    err_crf = (sample.pred_sem_seg.data[0] != truth).float().mean()
    assert err_crf < err_raw / 2  # speckle removed along the true edge
    assert sample.pred_sem_seg.data.dtype == raw.dtype
    # seg_logits now hold the refined foreground probability, consistent with the labels
    assert torch.equal((sample.seg_logits.data > 0.5).float(), sample.pred_sem_seg.data)


def test_test_step_runs_the_model_then_refines():
    torch.manual_seed(0)
    model = MODELS.build(salt_model_cfg()).eval()
    refiner = CRFRefiner(model, crf=dict(type='DenseCRF', iterations=3, bilateral=None))
    img = torch.randint(0, 255, (1, 128, 128), dtype=torch.uint8)
    meta = dict(ori_shape=(101, 101), img_shape=(128, 128), pad_shape=(128, 128),
                img_padding_size=[13, 14, 13, 14])
    data = dict(inputs=[img], data_samples=[SegDataSample(metainfo=meta)])
    with torch.no_grad():
        plain = model.test_step(copy.deepcopy(data))[0]
        refined = refiner.test_step(copy.deepcopy(data))[0]
    assert torch.equal(refined.pred_sem_seg_raw.data, plain.pred_sem_seg.data)
    assert refined.pred_sem_seg.data.shape == (1, 101, 101)
    # what the CRF refined is the model's own probability map, with the unpadded input image
    expected = refiner.crf(class_probabilities(plain.seg_logits.data),
                           original_image(img, meta))
    assert torch.allclose(refined.seg_logits.data[0], expected[1])


def test_enable_crf_wraps_model_and_adds_comparison_metric():
    cfg = Config.fromfile(repo_path('configs', 'unet_salt.py'))
    segmentor = copy.deepcopy(cfg.model)
    runner_setup.enable_crf(cfg, dict(type='DenseCRF'))
    assert cfg.model.type == 'CRFRefiner' and cfg.model.module == segmentor
    assert cfg.model.keep_raw is True
    assert [e.get('prefix') for e in cfg.test_evaluator] == [None, 'noCRF']
    assert cfg.test_evaluator[1].pred_key == 'pred_sem_seg_raw'

    cd = Config.fromfile(repo_path('configs', 'changedet_levir.py'))
    runner_setup.enable_crf(cd, dict(type='GridCRF'), compare=False)
    assert cd.model.keep_raw is False and cd.model.crf == dict(type='GridCRF')
    assert cd.test_evaluator.type == 'ChangeMetric'  # no comparison metric requested

"""SegProbTTAModel: flip TTA averaged in probability space, exact with the salt reflect padding."""
import copy

import numpy as np
import pytest
import torch
from helpers.salt_checkpoint import build_salt_model
from mmengine.config import Config
from mmengine.structures import PixelData
from mmseg.models.segmentors import SegTTAModel
from mmseg.registry import MODELS
from mmseg.structures import SegDataSample

from seg_ext.mmseg.models.segmentors import (
    SegProbTTAModel,
    logits_at_original_size,
    logits_to_probs,
)

from conftest import repo_path

META = dict(ori_shape=(101, 101), img_shape=(128, 128), pad_shape=(128, 128),
            img_padding_size=[13, 14, 13, 14])


def salt_batch(seed=0, n=2):
    rng = np.random.default_rng(seed)
    inputs = []
    for _ in range(n):
        img = rng.integers(0, 255, (101, 101)).astype(np.uint8)
        img[:, 50:] = np.clip(img[:, 50:] // 3 + 160, 0, 255)  # a vertical edge, not symmetric
        inputs.append(torch.from_numpy(np.pad(img, ((13, 14), (13, 14)), mode='reflect'))[None])
    samples = [SegDataSample(metainfo=dict(META)) for _ in range(n)]
    return dict(inputs=inputs, data_samples=samples)


def test_logits_to_probs_and_original_size():
    p = logits_to_probs(torch.tensor([[[0.0, 2.0]]]))
    assert torch.allclose(p, torch.tensor([[[0.5, 1 - 0.8808]], [[0.5, 0.8808]]]), atol=1e-4)
    x = torch.randn(3, 2, 2)
    assert torch.allclose(logits_to_probs(x), x.softmax(0))
    logits = torch.arange(2 * 6 * 8, dtype=torch.float32).reshape(2, 6, 8)
    meta = dict(img_padding_size=[1, 2, 0, 1], ori_shape=(5, 5))  # left, right, top, bottom
    assert torch.equal(logits_at_original_size(logits, meta), logits[:, 0:5, 1:6])
    flipped = dict(meta, flip=True, flip_direction='horizontal')
    assert torch.equal(logits_at_original_size(logits, flipped), logits[:, 0:5, 1:6].flip(-1))
    assert logits_at_original_size(logits, dict(ori_shape=(12, 16))).shape == (2, 12, 16)


def test_no_flips_is_the_segmentor_itself():
    model = build_salt_model()
    tta = SegProbTTAModel(model, flips=())
    with torch.no_grad():
        plain = model.test_step(salt_batch())
    ours = tta.test_step(salt_batch())
    for a, b in zip(plain, ours):
        assert torch.equal(a.pred_sem_seg.data.long(), b.pred_sem_seg.data)
        assert torch.allclose(a.seg_logits.data, b.seg_logits.data)
    with pytest.raises(ValueError, match='unknown flip'):
        SegProbTTAModel(model, flips=('sideways', ))


def test_flip_tta_averages_probabilities_of_the_flipped_padded_input():
    model = build_salt_model()
    batch = salt_batch()
    probs, _ = SegProbTTAModel(model, flips=('horizontal', )).predict_probs(copy.deepcopy(batch))
    data = model.data_preprocessor(copy.deepcopy(batch), False)
    metas = [s.metainfo for s in data['data_samples']]
    with torch.no_grad():
        a = model.encode_decode(data['inputs'], metas).sigmoid()
        b = model.encode_decode(data['inputs'].flip(-1), metas).flip(-1).sigmoid()
    fg = ((a + b) / 2)[:, 0, 13:114, 13:114]
    for i in range(2):
        assert torch.allclose(probs[i][1], fg[i], atol=1e-6)
        assert torch.allclose(probs[i][0], 1 - fg[i], atol=1e-6)
    # a model that is not flip-equivariant: TTA changes the probabilities
    single, _ = SegProbTTAModel(model, flips=()).predict_probs(copy.deepcopy(batch))
    assert (probs[0] - single[0]).abs().max() > 1e-3


def symmetric_unet():
    """mmseg's U-Net without down-sampling and with left-right symmetric kernels: it commutes
    with horizontal flips."""
    cfg = Config.fromfile(repo_path('configs', 'unet_s5_d16_salt_demo.py'))
    m = copy.deepcopy(cfg.model)
    m.backbone.update(base_channels=4, downsamples=(False, ) * 4, norm_cfg=dict(type='BN'))
    m.decode_head.update(in_channels=4, channels=4, norm_cfg=dict(type='BN'))
    m.auxiliary_head.update(in_channels=8, channels=4, norm_cfg=dict(type='BN'))
    torch.manual_seed(0)
    model = MODELS.build(m)
    with torch.no_grad():
        for mod in model.modules():
            if isinstance(mod, torch.nn.Conv2d):
                mod.weight.copy_((mod.weight + mod.weight.flip(-1)) / 2)
    return model.eval()


def test_flip_equivariant_model_gives_the_same_result_with_and_without_tta():
    model = symmetric_unet()
    with_tta = SegProbTTAModel(model, flips=('horizontal', )).test_step(salt_batch())
    without = SegProbTTAModel(model, flips=()).test_step(salt_batch())
    for a, b in zip(with_tta, without):
        assert a.pred_sem_seg.shape == (101, 101)
        assert torch.equal(a.pred_sem_seg.data, b.pred_sem_seg.data)
        assert torch.allclose(a.seg_logits.data, b.seg_logits.data, atol=1e-5)
    # the padding matters: flipping the 101x101 image before its 13|14 reflect padding (a
    # pipeline flip) is not the flip of the padded input, so even this model disagrees there
    img = salt_batch()['inputs'][0][0, 13:114, 13:114].numpy()
    flipped_first = np.pad(img[:, ::-1], ((13, 14), (13, 14)), mode='reflect')
    assert not np.array_equal(flipped_first[:, ::-1], np.pad(img, ((13, 14), (13, 14)),
                                                             mode='reflect'))


def test_softmax_heads_average_softmax_probabilities():
    cfg = Config.fromfile(repo_path('configs', 'unet_s5_d16_salt_demo.py'))
    m = copy.deepcopy(cfg.model)
    m.backbone.update(base_channels=4, norm_cfg=dict(type='BN'))
    m.decode_head.update(in_channels=4, channels=4, norm_cfg=dict(type='BN'))
    m.auxiliary_head.update(in_channels=8, channels=4, norm_cfg=dict(type='BN'))
    torch.manual_seed(1)
    model = MODELS.build(m).eval()
    out = SegProbTTAModel(model, flips=('horizontal', 'vertical')).test_step(salt_batch(n=1))[0]
    q = out.seg_logits.data.softmax(0)  # seg_logits = log of the averaged probabilities
    assert out.seg_logits.shape == (101, 101) and q.shape[0] == 2
    assert torch.equal(out.pred_sem_seg.data[0], q.argmax(0))


def test_mmseg_seg_tta_model_double_sigmoid_on_one_channel_heads():
    """What SegProbTTAModel replaces: mmseg's merge_preds sigmoids the probabilities that
    postprocess_result already stored for a 1-channel head, so every pixel becomes foreground."""
    model = build_salt_model()
    with torch.no_grad():
        sample = model.test_step(salt_batch(n=1))[0]
    sample.gt_sem_seg = PixelData(data=torch.zeros(1, 101, 101, dtype=torch.long))
    sample.set_metainfo(dict(img_path='x.png'))  # merge_preds copies both
    p = sample.seg_logits.data
    assert 0 < sample.pred_sem_seg.data.mean() < 1 and p.min() >= 0 and p.max() <= 1
    merged = SegTTAModel(model).merge_preds([[sample, copy.deepcopy(sample)]])[0]
    assert merged.pred_sem_seg.data.bool().all()  # all "salt": sigmoid(p) >= 0.5 > threshold

import pytest
import torch
from mmengine.config import ConfigDict
from mmengine.structures import PixelData
from mmseg.registry import MODELS
from mmseg.structures import SegDataSample

from seg_ext.mmseg.models.segmentors import fuse_features


def siamese(fusion='abs_diff', head_in=(64, 128, 256, 512)):
    return MODELS.build(ConfigDict(
        type='SiameseEncoderDecoder', fusion=fusion,
        data_preprocessor=dict(type='MultiImageSegDataPreProcessor', mean=[0., 0., 0.],
                               std=[1., 1., 1.], bgr_to_rgb=True, size_divisor=32),
        backbone=dict(type='ResNetV1c', depth=18, out_indices=(0, 1, 2, 3),
                      norm_cfg=dict(type='BN')),
        decode_head=dict(type='UNetHead', in_channels=list(head_in), channels=8,
                         decoder_channels=[32, 16, 8, 8, 8], extra_upsamples=2, num_classes=2,
                         out_channels=1, threshold=0.5, norm_cfg=dict(type='BN'),
                         loss_decode=dict(type='CrossEntropyLoss', use_sigmoid=True)),
        test_cfg=dict(mode='whole')))


def test_shared_backbone_and_symmetric_abs_diff():
    model = siamese().eval()
    a, b = torch.randn(2, 3, 64, 64), torch.randn(2, 3, 64, 64)
    with torch.no_grad():
        ab = model._forward(torch.cat([a, b], 1))
        ba = model._forward(torch.cat([b, a], 1))
        same = model.extract_feat(torch.cat([a, a], 1))
    assert ab.shape == (2, 1, 64, 64)
    assert torch.allclose(ab, ba, atol=1e-5)  # |A-B| is symmetric in time
    assert all(f.abs().max() == 0 for f in same)  # identical acquisitions: no difference at all
    assert sum(1 for m in model.modules() if type(m).__name__ == 'ResNetV1c') == 1


def test_concat_fusion_doubles_channels_and_trains():
    model = siamese('concat', head_in=(128, 256, 512, 1024)).train()
    s = SegDataSample()
    s.gt_sem_seg = PixelData(data=(torch.rand(1, 64, 64) > 0.9).long())
    s.set_metainfo(dict(img_shape=(64, 64), pad_shape=(64, 64)))
    feats = model.extract_feat(torch.randn(1, 6, 64, 64))
    assert [f.shape[1] for f in feats] == [128, 256, 512, 1024]
    loss = model.loss(torch.randn(1, 6, 64, 64), [s])['decode.loss_ce']
    loss.backward()
    assert model.backbone.stem[0].weight.grad.abs().sum() > 0


def test_fuse_features_and_errors():
    a, b = torch.tensor([[1., -2.]]), torch.tensor([[3., 1.]])
    assert fuse_features(a, b, 'abs_diff').tolist() == [[2., 3.]]
    assert fuse_features(a, b, 'diff').tolist() == [[-2., -3.]]
    assert fuse_features(a, b, 'sum').tolist() == [[4., -1.]]
    assert fuse_features(a, b, 'concat').shape == (1, 4)
    with pytest.raises(ValueError, match='fusion'):
        fuse_features(a, b, 'max')
    with pytest.raises(ValueError, match='cannot be split'):
        siamese().extract_feat(torch.randn(1, 5, 32, 32))


def test_pair_preprocessor_converts_each_image_and_repeats_mean():
    pre = MODELS.build(dict(type='MultiImageSegDataPreProcessor', mean=[10., 20., 30.],
                            std=[1., 1., 1.], bgr_to_rgb=True, size_divisor=8))
    x = torch.arange(6.).repeat_interleave(64).reshape(6, 8, 8)  # channel c holds value c
    out = pre(dict(inputs=[x], data_samples=[SegDataSample()]), training=False)['inputs']
    # BGR->RGB within each image, then mean (10, 20, 30) per image
    assert out[0, :, 0, 0].tolist() == [2 - 10, 1 - 20, 0 - 30, 5 - 10, 4 - 20, 3 - 30]

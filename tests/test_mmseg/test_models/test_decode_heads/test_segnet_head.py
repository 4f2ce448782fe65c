import pytest
import torch
import torch.nn as nn
from mmengine.config import ConfigDict
from mmengine.structures import PixelData
from mmseg.registry import MODELS
from mmseg.structures import SegDataSample

from seg_ext.mmseg.models.backbones import VGGFeatures
from seg_ext.mmseg.models.decode_heads import SegNetHead


def identity_head(num_stages=1):
    """A SegNetHead whose convs and classifier are identities: forward() is pure unpooling."""
    head = SegNetHead(encoder_channels=(1, ) * num_stages, encoder_convs=(1, ) * num_stages,
                      channels=1, num_classes=2, out_channels=1, threshold=0.5)
    head.stages = nn.ModuleList(nn.Identity() for _ in range(num_stages))
    head.conv_seg = nn.Identity()
    head.dropout = None
    return head


def test_unpooling_puts_values_at_recorded_argmax():
    x = torch.tensor([[1., 5., 2., 0.],
                      [3., 4., 8., 1.],
                      [0., 2., 1., 7.],
                      [9., 1., 3., 6.]])[None, None]
    pooled, idx = nn.MaxPool2d(2, 2, return_indices=True)(x)
    assert pooled[0, 0].tolist() == [[5., 8.], [9., 7.]]
    assert idx[0, 0].tolist() == [[1, 6], [12, 11]]  # flat positions of 5, 8, 9, 7
    out = identity_head()(VGGFeatures([pooled], [idx], [x.shape[-2:]], x.shape[-2:]))
    expected = torch.zeros(4, 4)
    expected[0, 1], expected[1, 2], expected[3, 0], expected[2, 3] = 5, 8, 9, 7
    assert torch.equal(out[0, 0], expected)


def test_unpooling_odd_size_ceil_mode():
    x = torch.arange(25.).reshape(1, 1, 5, 5)
    pooled, idx = nn.MaxPool2d(2, 2, ceil_mode=True, return_indices=True)(x)
    assert pooled.shape[-1] == 3
    out = identity_head()(VGGFeatures([pooled], [idx], [(5, 5)], (5, 5)))
    assert out.shape[-2:] == (5, 5)
    # each window's maximum is its bottom-right pixel, clipped at the border
    nz = out[0, 0].nonzero().tolist()
    assert nz == [[1, 1], [1, 3], [1, 4], [3, 1], [3, 3], [3, 4], [4, 1], [4, 3], [4, 4]]
    assert torch.equal(out[0, 0][out[0, 0] != 0], pooled.flatten())


def test_two_stages_route_indices_deepest_first():
    x = torch.randn(1, 1, 8, 8)
    pool = nn.MaxPool2d(2, 2, return_indices=True)
    p1, i1 = pool(x)
    p2, i2 = pool(p1)
    out = identity_head(2)(VGGFeatures([p2], [i1, i2], [(8, 8), (4, 4)], (8, 8)))
    # unpool(unpool(p2)) puts each 4x4-block maximum back at its original pixel
    assert out.shape[-2:] == (8, 8)
    for v in p2.flatten():
        assert (out == v).sum() == 1 and (x == v).nonzero().tolist() == \
            (out == v).nonzero().tolist()


def segnet(size_in_channels=1, **backbone):
    return MODELS.build(ConfigDict(
        type='SegNet',
        data_preprocessor=dict(type='SegDataPreProcessor', mean=[0.], std=[1.], bgr_to_rgb=False),
        backbone=dict(type='VGG', depth=16, in_channels=size_in_channels, with_bn=True,
                      return_indices=True, out_indices=(4, ), **backbone),
        decode_head=dict(type='SegNetHead', channels=64, num_classes=2, out_channels=1,
                         threshold=0.5, norm_cfg=dict(type='BN'),
                         loss_decode=dict(type='CrossEntropyLoss', use_sigmoid=True)),
        test_cfg=dict(mode='whole')))


@pytest.mark.parametrize('size', [101, 128, 512])
def test_segnet_output_matches_input_size(size):
    model = segnet().eval()
    with torch.no_grad():
        assert model._forward(torch.randn(1, 1, size, size)).shape == (1, 1, size, size)


def test_gradients_reach_the_encoder():
    model = segnet().train()
    s = SegDataSample()
    s.gt_sem_seg = PixelData(data=(torch.rand(1, 64, 64) > 0.5).long())
    s.set_metainfo(dict(img_shape=(64, 64), pad_shape=(64, 64)))
    model.loss(torch.randn(2, 1, 64, 64), [s, s])['decode.loss_ce'].backward()
    assert model.backbone.features[0].weight.grad.abs().sum() > 0
    assert model.backbone.features[40].weight.grad.abs().sum() > 0  # last conv of stage 5


def test_build_refuses_backbone_without_indices():
    with pytest.raises(ValueError, match=r'needs a backbone that returns its max-pooling '
                       r'indices, but ResNetV1c gives none'):
        MODELS.build(ConfigDict(
            type='SegNet', backbone=dict(type='ResNetV1c', depth=18),
            decode_head=dict(type='SegNetHead', num_classes=2)))
    with pytest.raises(ValueError, match='VGG gives none'):
        MODELS.build(ConfigDict(
            type='SegNet', backbone=dict(type='VGG', depth=16, return_indices=False),
            decode_head=dict(type='SegNetHead', num_classes=2)))


def test_head_in_plain_encoder_decoder_explains_missing_indices():
    model = MODELS.build(ConfigDict(
        type='EncoderDecoder', backbone=dict(type='VGG', depth=11, out_indices=(4, )),
        decode_head=dict(type='SegNetHead', encoder_convs=(1, 1, 2, 2, 2), num_classes=2),
        test_cfg=dict(mode='whole')))
    with pytest.raises(ValueError, match=r'needs the max-pooling indices.*return_indices=True'):
        model._forward(torch.randn(1, 3, 32, 32))

import pytest
import torch
from mmengine.config import ConfigDict
from mmengine.structures import PixelData
from mmseg.registry import MODELS
from mmseg.structures import SegDataSample

from seg_ext.mmseg.models.decode_heads.unet_head import UNetHead
from seg_ext.mmseg.models.utils import match_size


def resnet_unet(out_channels=1, upsample='deconv', depth=18):
    return MODELS.build(ConfigDict(
        type='EncoderDecoder',
        data_preprocessor=dict(type='SegDataPreProcessor', mean=[0.], std=[1.], bgr_to_rgb=False,
                               size=(128, 128)),
        backbone=dict(type='ResNetV1c', depth=depth, in_channels=1, out_indices=(0, 1, 2, 3),
                      norm_cfg=dict(type='BN')),
        decode_head=dict(type='UNetHead', in_channels=[64, 128, 256, 512], in_index=[0, 1, 2, 3],
                         channels=16, decoder_channels=[64, 32, 16, 16, 16], extra_upsamples=2,
                         upsample=upsample, num_classes=2, out_channels=out_channels,
                         threshold=0.5 if out_channels == 1 else None,
                         norm_cfg=dict(type='BN'),
                         loss_decode=dict(type='CrossEntropyLoss',
                                          use_sigmoid=out_channels == 1)),
        test_cfg=dict(mode='whole')))


@pytest.mark.parametrize('out_channels', [1, 2])
@pytest.mark.parametrize('upsample', ['deconv', 'bilinear'])
def test_resnet_unet_shapes_101_to_128(out_channels, upsample):
    model = resnet_unet(out_channels, upsample).eval()
    x = torch.randn(2, 1, 128, 128)  # 101x101 reflect-padded
    logits = model._forward(x)
    # ResNet's finest feature has stride 4; two extra blocks bring it back to full size
    assert logits.shape == (2, out_channels, 128, 128)
    # predict crops the padding and returns 101x101 labels in both output modes
    samples = []
    for _ in range(2):
        s = SegDataSample()
        s.set_metainfo(dict(img_shape=(128, 128), ori_shape=(101, 101),
                            img_padding_size=[13, 14, 13, 14], pad_shape=(128, 128)))
        samples.append(s)
    with torch.no_grad():
        out = model.predict(x, samples)
    assert out[0].pred_sem_seg.data.shape == (1, 101, 101)
    assert set(out[0].pred_sem_seg.data.unique().tolist()) <= {0, 1}
    assert out[0].seg_logits.data.shape == (out_channels, 101, 101)


def test_odd_input_sizes_unpadded_101():
    # without padding the encoder rounds 101 -> 51 -> 26 -> 13 -> 7; skips must still align
    model = resnet_unet(1, 'deconv').eval()
    assert model._forward(torch.randn(1, 1, 101, 101)).shape == (1, 1, 104, 104)
    model = resnet_unet(1, 'bilinear').eval()
    assert model._forward(torch.randn(1, 1, 101, 101)).shape == (1, 1, 104, 104)


def test_gradients_reach_encoder_and_every_block():
    model = resnet_unet(1).train()
    s = SegDataSample()
    s.gt_sem_seg = PixelData(data=(torch.rand(1, 128, 128) > 0.5).long())
    s.set_metainfo(dict(img_shape=(128, 128), pad_shape=(128, 128)))
    losses = model.loss(torch.randn(1, 1, 128, 128), [s])
    losses['decode.loss_ce'].backward()
    assert model.backbone.stem[0].weight.grad.abs().sum() > 0
    for block in model.decode_head.blocks:
        assert block.convs[0].conv.weight.grad.abs().sum() > 0


def test_on_mmseg_unet_backbone():
    backbone = MODELS.build(dict(type='UNet', in_channels=1, base_channels=8, num_stages=5,
                                 norm_cfg=dict(type='BN')))
    head = MODELS.build(dict(type='UNetHead', in_channels=[8, 16, 32, 64, 128],
                             in_index=[4, 3, 2, 1, 0], channels=8, num_classes=2,
                             norm_cfg=dict(type='BN'), upsample='bilinear'))
    feats = backbone(torch.randn(1, 1, 64, 64))
    assert [f.shape[-1] for f in feats] == [4, 8, 16, 32, 64]  # lowest resolution first
    assert head(feats).shape == (1, 2, 64, 64)
    # the same head with the backbone's own order is refused with a hint
    wrong = MODELS.build(dict(type='UNetHead', in_channels=[128, 64, 32, 16, 8],
                              in_index=[0, 1, 2, 3, 4], channels=8, num_classes=2))
    with pytest.raises(ValueError, match='from high to low resolution.*in_index'):
        wrong(feats)


def test_default_decoder_channels_follow_skips():
    head = UNetHead(in_channels=[64, 128, 256, 512], channels=32, num_classes=2,
                    extra_upsamples=2)
    outs = [b.convs[-1].conv.out_channels for b in head.blocks]
    assert outs == [256, 128, 64, 32, 32]


@pytest.mark.parametrize('kwargs, message', [
    (dict(in_channels=[64]), 'at least two'),
    (dict(in_channels=[64, 128], in_index=[0]), 'same length'),
    (dict(in_channels=[64, 128], in_index=[0, 1], decoder_channels=[8, 8]), 'needs 1 entries'),
    (dict(in_channels=[64, 128], in_index=[0, 1], decoder_channels=[8]), 'must equal channels'),
    (dict(in_channels=[64, 128], in_index=[0, 1], upsample='nearest'), 'deconv'),
])
def test_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        UNetHead(channels=16, num_classes=2, **kwargs)


def test_match_size_crop_and_pad():
    x = torch.arange(16.).reshape(1, 1, 4, 4)
    assert torch.equal(match_size(x, (3, 3))[0, 0], x[0, 0, :3, :3])  # top-left kept
    padded = match_size(x, (6, 5))
    assert padded.shape == (1, 1, 6, 5)
    assert torch.equal(padded[0, 0, :4, :4], x[0, 0])  # zeros go bottom/right
    assert padded[0, 0, 4:].abs().sum() == 0 and padded[0, 0, :, 4].abs().sum() == 0

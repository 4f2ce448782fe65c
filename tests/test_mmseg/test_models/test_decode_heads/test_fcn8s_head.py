import pytest
import torch
import torch.nn.functional as F
from mmengine.config import ConfigDict
from mmseg.registry import MODELS

from seg_ext.mmseg.models.decode_heads.fcn8s_head import bilinear_kernel, upsampler

VARIANTS = {
    '8s': ([256, 512, 64], [2, 3, 5]),
    '16s': ([512, 64], [3, 5]),
    '32s': ([64], [5]),
}


def fcn(variant, out_channels=1):
    in_channels, in_index = VARIANTS[variant]
    return MODELS.build(ConfigDict(
        type='EncoderDecoder',
        backbone=dict(type='VGG', depth=16, in_channels=1, with_bn=True, with_fc=True,
                      fc_channels=64, fc_kernel=3, out_indices=(2, 3, 5)),
        decode_head=dict(type='FCNSkipHead', variant=variant, in_channels=in_channels,
                         in_index=[{2: 0, 3: 1, 5: 2}[i] for i in in_index], num_classes=2,
                         out_channels=out_channels, threshold=0.5 if out_channels == 1 else None,
                         loss_decode=dict(type='CrossEntropyLoss',
                                          use_sigmoid=out_channels == 1)),
        test_cfg=dict(mode='whole')))


@pytest.mark.parametrize('variant', ['8s', '16s', '32s'])
@pytest.mark.parametrize('size', [101, 128, 512])
def test_output_shapes(variant, size):
    model = fcn(variant).eval()
    with torch.no_grad():
        assert model._forward(torch.randn(1, 1, size, size)).shape == (1, 1, size, size)


def test_softmax_mode_and_skip_layers():
    model = fcn('8s', out_channels=2).eval()
    head = model.decode_head
    assert len(head.score_skips) == 2 and head.score_skips[0].in_channels == 512
    assert head.score_skips[1].in_channels == 256 and head.up_final.stride == (8, 8)
    assert fcn('16s').decode_head.up_final.stride == (16, 16)
    assert fcn('32s').decode_head.up_final.stride == (32, 32)
    with torch.no_grad():
        assert model._forward(torch.randn(2, 1, 64, 64)).shape == (2, 2, 64, 64)


def test_upsamplers_start_as_bilinear_interpolation():
    x = torch.randn(1, 3, 6, 6)
    up = upsampler(3, 2)
    ref = F.interpolate(x, scale_factor=2, mode='bilinear', align_corners=False)
    with torch.no_grad():
        y = up(x)
    assert y.shape == ref.shape
    assert torch.allclose(y[..., 1:-1, 1:-1], ref[..., 1:-1, 1:-1], atol=1e-6)  # border differs
    k = bilinear_kernel(2, 4)
    assert k[0, 1].abs().sum() == 0 and torch.isclose(k[0, 0].sum(), torch.tensor(4.0))


def test_bad_arguments():
    from seg_ext.mmseg.models.decode_heads import FCNSkipHead
    with pytest.raises(ValueError, match='variant'):
        FCNSkipHead(variant='4s', num_classes=2)
    with pytest.raises(ValueError, match='FCN-16s fuses 2 features'):
        FCNSkipHead(variant='16s', in_channels=[256, 512, 4096], in_index=[2, 3, 5],
                    num_classes=2)

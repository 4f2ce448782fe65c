import pytest
import torch
import torchvision
from mmseg.registry import MODELS

from seg_ext.mmseg.models.backbones import VGG, VGGFeatures, convert_torchvision_vgg


@pytest.mark.parametrize('size, expected', [
    (101, [51, 26, 13, 7, 4]),    # ceil-mode pooling keeps the last row/column of odd sizes
    (128, [64, 32, 16, 8, 4]),
    (512, [256, 128, 64, 32, 16]),
])
def test_output_shapes_and_contract(size, expected):
    vgg = VGG(depth=16, in_channels=1, with_bn=True, return_indices=True).eval()
    with torch.no_grad():
        out = vgg(torch.randn(1, 1, size, size))
    assert isinstance(out, tuple) and isinstance(out, VGGFeatures) and len(out) == 5
    assert [f.shape[-1] for f in out] == expected
    assert [f.shape[1] for f in out] == [64, 128, 256, 512, 512] == vgg.out_channels
    assert [tuple(s) for s in out.sizes] == [(size, size)] + [(e, e) for e in expected[:-1]]
    assert [i.shape for i in out.indices] == [f.shape for f in out]
    assert tuple(out.input_size) == (size, size)


def test_without_indices_and_with_fc():
    vgg = VGG(depth=11, with_fc=True, fc_channels=32, fc_kernel=3, out_indices=(2, 3, 5)).eval()
    out = vgg(torch.randn(2, 3, 64, 64))
    assert out.indices is None
    assert [tuple(f.shape) for f in out] == [(2, 256, 8, 8), (2, 512, 4, 4), (2, 32, 2, 2)]


def test_loads_torchvision_vgg16_bn_state_dict(tmp_path):
    tv = torchvision.models.vgg16_bn(weights=None)
    path = str(tmp_path / 'vgg16_bn.pth')
    torch.save(tv.state_dict(), path)
    vgg = VGG(depth=16, with_bn=True, in_channels=3,
              init_cfg=dict(type='Pretrained', checkpoint=path))
    vgg.init_weights()
    for k, v in tv.features.state_dict().items():
        assert torch.equal(vgg.features.state_dict()[k], v), k
    # the same image gives the same pool5 as torchvision's own forward (ceil vs floor aside: 224)
    x = torch.randn(1, 3, 224, 224)
    tv.eval()
    vgg.eval()
    with torch.no_grad():
        assert torch.allclose(vgg(x)[4], tv.features(x), atol=1e-5)


def test_grayscale_first_conv_and_fc_conversion(tmp_path):
    tv = torchvision.models.vgg16(weights=None)
    path = str(tmp_path / 'vgg16.pth')
    torch.save(tv.state_dict(), path)
    vgg = VGG(depth=16, in_channels=1, with_fc=True, out_indices=(4, 5),
              init_cfg=dict(type='Pretrained', checkpoint=path))
    vgg.init_weights()
    w = tv.features[0].weight
    assert torch.allclose(vgg.features[0].weight, w.sum(1, keepdim=True))
    assert torch.equal(vgg.fc6.weight.flatten(), tv.classifier[0].weight.flatten())
    assert vgg.fc6.weight.shape == (4096, 512, 7, 7)
    assert torch.equal(vgg.fc7.weight[:, :, 0, 0], tv.classifier[3].weight)
    # a gray image replicated to RGB gives torchvision's first-layer response
    gray = torch.randn(1, 1, 32, 32)
    with torch.no_grad():
        assert torch.allclose(vgg.features[0](gray), tv.features[0](gray.repeat(1, 3, 1, 1)),
                              atol=1e-5)


def test_convert_drops_imagenet_logits():
    tv = torchvision.models.vgg11(weights=None).state_dict()
    out = convert_torchvision_vgg(tv, in_channels=3)
    assert not any(k.startswith('classifier') for k in out)
    assert set(out) == {k for k in tv if k.startswith('features.')}


def test_frozen_stages_and_registry():
    vgg = MODELS.build(dict(type='VGG', depth=16, with_bn=True, frozen_stages=2))
    vgg.train()
    assert not vgg.features[0].weight.requires_grad and not vgg.features[1].training
    assert vgg.features[14].weight.requires_grad  # stage 3's first conv


@pytest.mark.parametrize('kwargs, error', [
    (dict(depth=17), KeyError), (dict(num_stages=6), ValueError),
    (dict(out_indices=(5, )), ValueError), (dict(out_indices=(0, 5), with_fc=True), None)])
def test_bad_arguments(kwargs, error):
    if error is None:
        VGG(**kwargs)
    else:
        with pytest.raises(error):
            VGG(**kwargs)


def test_base_channels_narrows_every_stage():
    vgg = VGG(depth=16, base_channels=16, with_fc=True, fc_channels=32, fc_kernel=3,
              out_indices=(0, 1, 2, 3, 4, 5)).eval()
    assert vgg.out_channels == [16, 32, 64, 128, 128, 32]
    assert [f.shape[1] for f in vgg(torch.randn(1, 3, 32, 32))] == vgg.out_channels

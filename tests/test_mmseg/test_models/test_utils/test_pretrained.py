"""Pretrained 3-channel weights into 1-/6-channel backbones through mmengine's config routes."""
import mmengine.registry
import pytest
import torch
import torchvision
from mmengine.config import Config
from mmengine.model.weight_init import PretrainedInit
from mmseg.registry import MODELS, WEIGHT_INITIALIZERS

from seg_ext.core.errors import DataError
from seg_ext.mmseg.models.utils import PretrainedAnyChannelsInit, input_conv_names

from conftest import repo_path

R18 = dict(type='ResNetV1c', depth=18, num_stages=4, out_indices=(0, 1, 2, 3))


def save(state, path):
    torch.save({'state_dict': state}, str(path))
    return str(path)


def rgb_checkpoint(tmp_path, cfg=R18, name='rgb.pth'):
    """A "pretrained" 3-channel backbone, written as mmengine checkpoints are."""
    torch.manual_seed(0)
    model = MODELS.build(dict(cfg, in_channels=3))
    for p in model.parameters():  # not the init values: every tensor distinct
        p.data.normal_()
    return model.state_dict(), save(model.state_dict(), tmp_path / name)


def assert_loaded(model, state, stem, in_channels):
    got = model.state_dict()
    w = state[stem]
    expected = w.sum(1, keepdim=True) if in_channels == 1 else \
        w[:, [i % 3 for i in range(in_channels)]] * (3 / in_channels)
    assert torch.allclose(got[stem], expected)
    for k, v in got.items():
        if k != stem:
            assert torch.equal(v, state[k]), k


def test_mmseg_scope_has_the_adapting_loader_and_mmengine_is_untouched():
    assert WEIGHT_INITIALIZERS.get('Pretrained') is PretrainedAnyChannelsInit
    assert mmengine.registry.WEIGHT_INITIALIZERS.get('Pretrained') is PretrainedInit


@pytest.mark.parametrize('in_channels', [1, 6, 2])
def test_resnetv1c_init_cfg_adapts_the_stem(tmp_path, in_channels):
    state, path = rgb_checkpoint(tmp_path)
    model = MODELS.build(dict(R18, in_channels=in_channels,
                              init_cfg=dict(type='Pretrained', checkpoint=path)))
    model.init_weights()
    assert input_conv_names(model) == ['stem.0.weight']
    assert_loaded(model, state, 'stem.0.weight', in_channels)


def test_a_wrong_layer_elsewhere_is_an_error_naming_it(tmp_path):
    state, _ = rgb_checkpoint(tmp_path)
    state['layer2.0.conv1.weight'] = torch.zeros(128, 32, 3, 3)
    path = save(state, tmp_path / 'bad.pth')
    model = MODELS.build(dict(R18, in_channels=1,
                              init_cfg=dict(type='Pretrained', checkpoint=path)))
    with pytest.raises(DataError) as e:
        model.init_weights()
    assert str(e.value).startswith(f'{path}: pretrained weights do not fit')
    assert 'layer2.0.conv1.weight: checkpoint (128, 32, 3, 3) vs model (128, 64, 3, 3)' \
        in str(e.value)


def test_torchvision_resnet18_loads_into_mmseg_resnet_by_name(tmp_path):
    """torchvision's layout *is* mmseg's ``ResNet`` (``conv1``, ``bn1``, ``layerN.M.convK``,
    ``downsample``): only the ImageNet ``fc`` is left over; ``pretrained=`` route."""
    torch.manual_seed(0)
    tv = torchvision.models.resnet18(weights=None)  # kaiming-initialised convs: all distinct
    state = tv.state_dict()
    path = save(state, tmp_path / 'tv18.pth')
    model = MODELS.build(dict(type='ResNet', depth=18, in_channels=1, pretrained=path))
    model.init_weights()
    assert_loaded(model, state, 'conv1.weight', 1)
    x = torch.randn(1, 1, 64, 64)
    model.eval()
    tv.eval()
    with torch.no_grad():  # same features as torchvision on the gray image replicated to RGB
        ref = tv.layer4(tv.layer3(tv.layer2(tv.layer1(tv.maxpool(tv.relu(tv.bn1(tv.conv1(
            x.repeat(1, 3, 1, 1)))))))))
        assert torch.allclose(model(x)[-1], ref, atol=1e-5, rtol=1e-4)
    # ResNetV1c has a deep stem instead of conv1: the stem does not fit and says so
    v1c = MODELS.build(dict(R18, in_channels=1, init_cfg=dict(type='Pretrained',
                                                             checkpoint=path)))
    with pytest.raises(DataError, match=r'not in the checkpoint: stem\.0\.weight'):
        v1c.init_weights()


def test_vgg_torchvision_checkpoint_into_six_channels(tmp_path):
    torch.manual_seed(0)
    features = torchvision.models.vgg.make_layers(torchvision.models.vgg.cfgs['A'])  # vgg11
    state = {f'features.{k}': v for k, v in features.state_dict().items()}
    state['classifier.6.weight'] = torch.zeros(1000, 4096)  # ImageNet logits: dropped
    path = save(state, tmp_path / 'vgg11.pth')
    vgg = MODELS.build(dict(type='VGG', depth=11, in_channels=6, pretrained=path))
    vgg.init_weights()
    assert_loaded(vgg, state, 'features.0.weight', 6)


def test_segmentor_pretrained_and_load_from(tmp_path, tgs_root):
    """The salt U-Net config (1-channel ResNetV1c): ``model.pretrained=`` and ``load_from`` of a
    3-channel segmentor checkpoint (through tools/train.py's ``FitCheckpointHook``)."""
    from mmengine.runner import Runner

    from seg_ext.mmseg.apis.runner_setup import add_reliability_defaults

    cfg = Config.fromfile(repo_path('configs', 'unet_salt_demo.py'))
    assert cfg.model.backbone.in_channels == 1
    state, path = rgb_checkpoint(tmp_path, cfg.model.backbone)
    model = MODELS.build(dict(cfg.model, pretrained=path))
    model.init_weights()
    assert_loaded(model.backbone, state, 'stem.0.weight', 1)

    rgb = MODELS.build(dict(cfg.model, backbone=dict(cfg.model.backbone, in_channels=3),
                            data_preprocessor=None))
    whole = save(rgb.state_dict(), tmp_path / 'segmentor_rgb.pth')
    cfg.work_dir = str(tmp_path / 'work')
    cfg.load_from = whole
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        cfg[loader].dataset.data_root = tgs_root
    add_reliability_defaults(cfg)
    runner = Runner.from_cfg(cfg)
    runner.load_or_resume()
    assert_loaded(runner.model, rgb.state_dict(), 'backbone.stem.0.weight', 1)

    bad = rgb.state_dict()
    bad['decode_head.conv_seg.weight'] = torch.zeros(2, 16, 1, 1)
    cfg.load_from = save(bad, tmp_path / 'other_classes.pth')
    cfg.work_dir = str(tmp_path / 'work2')
    with pytest.raises(DataError, match=r'decode_head\.conv_seg\.weight: checkpoint '
                       r'\(2, 16, 1, 1\) vs model \(1, 16, 1, 1\)'):
        Runner.from_cfg(cfg).load_or_resume()

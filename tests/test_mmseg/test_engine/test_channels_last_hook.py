"""Channels-last switch: the same losses and gradients as NCHW, and the config key."""
import copy

import torch
from mmengine.config import Config
from mmengine.optim import OptimWrapper
from mmengine.structures import PixelData
from mmseg.registry import HOOKS, MODELS
from mmseg.structures import SegDataSample

from seg_ext.mmseg.apis import runner_setup
from seg_ext.mmseg.engine.hooks import ChannelsLastHook, to_channels_last

from conftest import repo_path


def salt_unet(in_channels: int = 1):
    """The demo salt U-Net (ResNetV1c-18 + UNetHead), narrowed to keep the test fast."""
    cfg = Config.fromfile(repo_path('configs', 'unet_salt_demo.py'))
    model = copy.deepcopy(cfg.model)
    model.backbone.norm_cfg = model.decode_head.norm_cfg = dict(type='BN')
    model.backbone.in_channels = in_channels
    model.data_preprocessor.mean = [128.0] * in_channels
    model.data_preprocessor.std = [40.0] * in_channels
    model.data_preprocessor.size = (64, 64)
    model.backbone.update(stem_channels=16, base_channels=16)
    model.decode_head.in_channels = [16, 32, 64, 128]
    model.decode_head.decoder_channels = [32, 16, 16, 8, 8]
    model.decode_head.channels = 8
    torch.manual_seed(0)
    net = MODELS.build(model)
    net.init_weights()
    return net


def salt_batch(n: int = 2, size: int = 64, channels: int = 1, seed: int = 0) -> dict:
    gen = torch.Generator().manual_seed(seed)
    inputs, samples = [], []
    for _ in range(n):
        img = torch.randint(0, 256, (channels, size, size), generator=gen, dtype=torch.uint8)
        mask = (img[:1].float().mean(0, keepdim=True) > 128).long()
        s = SegDataSample(gt_sem_seg=PixelData(data=mask))
        s.set_metainfo(dict(img_shape=(size, size), ori_shape=(size, size),
                            pad_shape=(size, size)))
        inputs.append(img)
        samples.append(s)
    return dict(inputs=inputs, data_samples=samples)


def _run_steps(model, steps: int):
    wrapper = OptimWrapper(torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9))
    losses = []
    for i in range(steps):
        model.train()
        data = model.data_preprocessor(salt_batch(seed=i, channels=3), True)
        loss, _ = model.parse_losses(model(**data, mode='loss'))
        wrapper.update_params(loss)
        losses.append(loss.detach())
    return losses


def test_same_losses_gradients_and_weights_as_nchw():
    nchw = salt_unet(in_channels=3)
    nhwc = to_channels_last(copy.deepcopy(nchw))
    conv = nhwc.backbone.stem[3].weight  # 8 -> 8 channels: NCHW and NHWC strides differ
    assert conv.is_contiguous(memory_format=torch.channels_last) and not conv.is_contiguous()
    assert not nchw.backbone.stem[3].weight.is_contiguous(memory_format=torch.channels_last)
    out = nhwc.data_preprocessor(salt_batch(channels=3), True)['inputs']
    assert out.shape == (2, 3, 64, 64) and out.is_contiguous(memory_format=torch.channels_last)

    # one forward/backward: loss and every gradient equal within float tolerance
    batch = salt_batch(channels=3)
    grads = []
    for model in (nchw, nhwc):
        model.train()
        model.zero_grad()
        data = model.data_preprocessor(copy.deepcopy(batch), True)
        loss, _ = model.parse_losses(model(**data, mode='loss'))
        loss.backward()
        grads.append((loss.detach(), {k: p.grad.clone() for k, p in model.named_parameters()}))
    (l1, g1), (l2, g2) = grads
    assert torch.allclose(l1, l2, rtol=1e-5, atol=1e-6)
    assert g1.keys() == g2.keys() and len(g1) > 50
    # summation order differs (oneDNN's NHWC kernels), so compare against the gradient's scale:
    # BatchNorm's weight gradients are small sums of large terms and differ by a few % relative
    a, b = (torch.cat([g[k].flatten() for k in g1]) for g in (g1, g2))
    assert float((a - b).norm() / a.norm()) < 2e-3
    for k in g1:
        assert float((g1[k] - g2[k]).abs().max()) < 1e-3 * float(a.abs().max()), k

    # a couple of SGD steps from the same weights: the same losses and the same weights
    a, b = salt_unet(in_channels=3), to_channels_last(salt_unet(in_channels=3))
    la, lb = _run_steps(a, 3), _run_steps(b, 3)
    assert torch.allclose(torch.stack(la), torch.stack(lb), rtol=1e-3, atol=1e-6)
    assert la[0] != la[2]  # training moved
    for (k, p), q in zip(a.state_dict().items(), b.state_dict().values()):
        assert torch.allclose(p.float(), q.float(), rtol=1e-3, atol=1e-4), k


def test_idempotent_and_state_dict_keys_unchanged():
    model = salt_unet()
    keys = list(model.state_dict())
    to_channels_last(model)
    to_channels_last(model)
    assert list(model.state_dict()) == keys
    assert len(model.data_preprocessor._forward_hooks) == 1
    # an NCHW state dict loads into the channels-last model and keeps its layout
    model.load_state_dict(salt_unet().state_dict())
    assert model.backbone.stem[3].weight.is_contiguous(memory_format=torch.channels_last)


def test_config_key_adds_the_hook_once():
    cfg = Config(dict(channels_last=True, custom_hooks=[dict(type='FiniteLossHook')]))
    assert runner_setup.enable_channels_last(cfg)
    runner_setup.enable_channels_last(cfg)
    assert [h['type'] for h in cfg.custom_hooks] == ['FiniteLossHook', 'ChannelsLastHook']
    off = Config(dict(custom_hooks=[]))
    assert not runner_setup.enable_channels_last(off) and off.custom_hooks == []
    assert isinstance(HOOKS.build(dict(type='ChannelsLastHook')), ChannelsLastHook)


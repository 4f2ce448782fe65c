"""The salt U-Net's train step on a CUDA device: fp32 equals the CPU step, AMP and channels-last
train (run with ``pytest -m cuda``)."""
import copy

import pytest
import torch
from mmengine.optim import build_optim_wrapper

from seg_ext.mmseg.engine.hooks import to_channels_last

from .test_channels_last_hook import salt_batch, salt_unet

pytestmark = [pytest.mark.cuda,
              pytest.mark.skipif(not torch.cuda.is_available(), reason='needs a CUDA device')]


def _step(model, wrapper_type, seed=0):
    cfg = dict(type=wrapper_type, optimizer=dict(type='SGD', lr=0.01, momentum=0.9))
    if wrapper_type == 'AmpOptimWrapper':
        cfg['loss_scale'] = 'dynamic'
    wrapper = build_optim_wrapper(model, cfg)
    model.train()
    device = next(model.parameters()).device
    batch = salt_batch(seed=seed, channels=3)
    batch['inputs'] = [x.to(device) for x in batch['inputs']]
    batch['data_samples'] = [s.to(device) for s in batch['data_samples']]
    return model.train_step(batch, optim_wrapper=wrapper)


def test_fp32_step_on_cuda_equals_cpu():
    cpu = salt_unet(in_channels=3)
    gpu = copy.deepcopy(cpu).cuda()
    a, b = _step(cpu, 'OptimWrapper'), _step(gpu, 'OptimWrapper')
    assert torch.allclose(a['loss'], b['loss'].cpu(), rtol=1e-3)
    for (k, p), q in zip(cpu.state_dict().items(), gpu.state_dict().values()):
        assert torch.allclose(p.float(), q.cpu().float(), rtol=1e-2, atol=1e-4), k


@pytest.mark.parametrize('mode', ['amp', 'channels_last'])
def test_amp_and_channels_last_train_on_cuda(mode):
    ref = salt_unet(in_channels=3).cuda()
    model = copy.deepcopy(ref)
    if mode == 'channels_last':
        to_channels_last(model)
    out = _step(model, 'AmpOptimWrapper' if mode == 'amp' else 'OptimWrapper')
    base = _step(ref, 'OptimWrapper')
    assert torch.isfinite(out['loss'])
    assert abs(float(out['loss']) - float(base['loss'])) < (0.05 if mode == 'amp' else 1e-3)

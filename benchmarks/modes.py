"""``modes``: the salt U-Net's train step and inference in fp32, mixed precision and channels-last.

``configs/unet_salt_demo.py`` (ResNetV1c-18 + ``UNetHead``), batches of ``--batch-size`` random
1×128×128 images, on ``--device``. Train step: ``model.train_step`` with the config's AdamW in an
``OptimWrapper`` (fp32), the wrapper ``tools/train.py --amp`` picks (``AmpOptimWrapper`` fp16 with
loss scaling on CUDA, ``BF16AutocastOptimWrapper`` on CPU), and fp32 with the model converted as
``channels_last = True`` does; each candidate trains its own copy of the same weights. Inference:
``model.predict`` (fp32, autocast, channels-last) in images/s. Candidates interleaved in rounds;
ratios are to fp32.
"""
import argparse
import copy
import os.path as osp
from typing import Any, Callable, Dict

import torch
from mmengine.config import Config
from mmengine.optim import build_optim_wrapper
from mmengine.structures import PixelData
from mmseg.registry import MODELS
from mmseg.structures import SegDataSample

import seg_ext.mmseg  # noqa: F401  (registers BF16AutocastOptimWrapper)
from seg_ext.mmseg.apis.model_stats import predict_batch
from seg_ext.mmseg.engine.hooks import to_channels_last

from . import common as bm
from .common import ROOT, print_table, progress

CONFIG = 'configs/unet_salt_demo.py'


def salt_model(device: str) -> torch.nn.Module:
    cfg = Config.fromfile(osp.join(ROOT, CONFIG))
    model = copy.deepcopy(cfg.model)
    model.backbone.norm_cfg = model.decode_head.norm_cfg = dict(type='BN', requires_grad=True)
    torch.manual_seed(0)
    net = MODELS.build(model)
    net.init_weights()
    return net.to(device)


def random_batch(batch_size: int, device: str, size: int = 128) -> dict:
    gen = torch.Generator().manual_seed(0)
    inputs, samples = [], []
    for _ in range(batch_size):
        img = torch.randint(0, 256, (1, size, size), generator=gen, dtype=torch.uint8)
        s = SegDataSample(gt_sem_seg=PixelData(data=(img > 128).long()))
        s.set_metainfo(dict(img_shape=(size, size), ori_shape=(size, size),
                            pad_shape=(size, size)))
        inputs.append(img.to(device))
        samples.append(s.to(device))
    return dict(inputs=inputs, data_samples=samples)


def amp_wrapper_type(device: str) -> str:
    return 'AmpOptimWrapper' if device.startswith('cuda') else 'BF16AutocastOptimWrapper'


def train_candidates(device: str, batch_size: int) -> Dict[str, Callable[[int], None]]:
    cfg = Config.fromfile(osp.join(ROOT, CONFIG))
    base = salt_model(device)
    batch = random_batch(batch_size, device)
    variants = dict(fp32=('OptimWrapper', False), amp=(amp_wrapper_type(device), False),
                    channels_last=('OptimWrapper', True))
    fns = {}
    for name, (wrapper_type, nhwc) in variants.items():
        model = copy.deepcopy(base)
        if nhwc:
            to_channels_last(model)
        wcfg = dict(type=wrapper_type, optimizer=copy.deepcopy(cfg.optim_wrapper.optimizer))
        if wrapper_type == 'AmpOptimWrapper':
            wcfg['loss_scale'] = 'dynamic'
        wrapper = build_optim_wrapper(model, wcfg)

        def run(iters: int, model=model, wrapper=wrapper) -> None:
            model.train()
            for _ in range(iters):
                model.train_step(batch, optim_wrapper=wrapper)
        fns[name] = run
    return fns


def predict_candidates(device: str, batch_size: int) -> Dict[str, Callable[[int], None]]:
    model = salt_model(device).eval()
    nhwc = to_channels_last(copy.deepcopy(model))
    x, samples = predict_batch(batch_size, (1, 128, 128), (101, 101), device)
    x_nhwc = x.contiguous(memory_format=torch.channels_last)
    amp_dtype = torch.float16 if device.startswith('cuda') else torch.bfloat16
    dev_type = 'cuda' if device.startswith('cuda') else 'cpu'

    def make(net, inputs, autocast: bool) -> Callable[[int], None]:
        def run(iters: int) -> None:
            with torch.no_grad(), torch.autocast(dev_type, amp_dtype, enabled=autocast):
                for _ in range(iters):
                    net.predict(inputs, samples)
        return run
    return dict(fp32=make(model, x, False), amp=make(model, x, True),
                channels_last=make(nhwc, x_nhwc, False))


def _table(stats: Dict[str, Any], batch_size: int) -> list:
    rows = []
    for name, s in stats.items():
        s['img_per_s'] = batch_size / s['median_s']
        s['ratio_vs_fp32'] = bm.ratio_of_medians(stats, name, 'fp32')
        rows.append([name, f"{s['median_s'] * 1000:.1f}", f"{s['img_per_s']:.1f}",
                     f"{s['ratio_vs_fp32']:.3f}"])
    return rows


def bench_modes(args: argparse.Namespace) -> Dict[str, Any]:
    """``modes``: train step and inference, fp32 vs AMP vs channels-last, on ``--device``."""
    device = args.device
    sync = torch.cuda.synchronize if device.startswith('cuda') else None
    print(f'[modes] {CONFIG} on {device}, batch {args.batch_size}, {args.repeat} rounds',
          flush=True)
    train = bm.interleaved_timing(train_candidates(device, args.batch_size), args.repeat,
                                  args.iters, warmup=2, sync=sync, on_round=progress('train'))
    infer = bm.interleaved_timing(predict_candidates(device, args.batch_size), args.repeat,
                                  args.iters, warmup=2, sync=sync, on_round=progress('predict'))
    amp = amp_wrapper_type(device)
    head = ['mode', 'ms / batch', 'img/s', 'ratio vs fp32']
    result = dict(config=CONFIG, device=device, batch_size=args.batch_size, amp=amp,
                  train=train, predict=infer)
    print(f'train step ({amp} for amp):', flush=True)
    result['train_table'] = print_table(head, _table(train, args.batch_size))
    print('inference (model.predict):', flush=True)
    result['predict_table'] = print_table(head, _table(infer, args.batch_size))
    result['ratio_train_channels_last_over_fp32'] = train['channels_last']['ratio_vs_fp32']
    result['ratio_train_amp_over_fp32'] = train['amp']['ratio_vs_fp32']
    return result

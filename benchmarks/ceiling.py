"""``ceiling``: achieved FLOP/s of the U-Net training step (plain loop, NCHW and channels-last)
as a fraction of the FLOP/s of a dense fp32 ``torch.mm`` and of a 64→64 3×3 convolution, on the
same threads (a multiply-add is two FLOPs; a step is three forwards)."""
import argparse
import os.path as osp
from typing import Any, Dict

import torch
from mmengine.config import Config
from mmengine.model.utils import revert_sync_batchnorm
from mmengine.registry import init_default_scope
from mmengine.structures import PixelData
from mmseg.registry import MODELS
from mmseg.structures import SegDataSample

from seg_ext.mmseg.apis.model_stats import complexity

from . import common as bm
from .common import ROOT, print_table, progress
from .inference import SALT
from .train_step import UNET_CONFIG, plain_trainer


def bench_ceiling(args: argparse.Namespace) -> Dict[str, Any]:
    """``ceiling``: the U-Net train step's FLOP/s against ``torch.mm`` and a 3×3 conv."""
    cfg = Config.fromfile(osp.join(ROOT, UNET_CONFIG))
    init_default_scope('mmseg')
    model = revert_sync_batchnorm(MODELS.build(cfg.model)).to(args.device)
    model.init_weights()
    shape = SALT['shape']
    macs = complexity(model.eval(), shape)['flops']  # mmengine: one multiply-add = one FLOP
    model.train()
    gen = torch.Generator().manual_seed(0)
    batch = dict(inputs=[torch.randint(0, 256, shape, generator=gen, dtype=torch.uint8)
                         for _ in range(args.batch_size)],
                 data_samples=[])
    for _ in range(args.batch_size):
        s = SegDataSample()
        s.gt_sem_seg = PixelData(data=torch.randint(0, 2, (1, ) + shape[1:], generator=gen))
        batch['data_samples'].append(s)
    n = args.matmul_size
    fns = dict(matmul=bm.matmul_benchmark_fn(n, device=args.device),
               conv3x3=bm.conv_benchmark_fn(args.batch_size, 64, 64, device=args.device),
               train_step=plain_trainer(model, cfg, [batch], args.device),
               train_step_channels_last=plain_trainer(model, cfg, [batch], args.device,
                                                      channels_last=True))
    print(f'[ceiling] U-Net train step (batch {args.batch_size}, plain loop; NCHW and '
          f'channels-last) vs torch.mm {n}x{n} fp32 and a 64->64 3x3 conv on '
          f'{args.batch_size}x64x64x64, {args.repeat} rounds x {args.iters}', flush=True)
    sync = torch.cuda.synchronize if args.device.startswith('cuda') else None
    stats = bm.interleaved_timing(fns, args.repeat, args.iters, warmup=1, sync=sync,
                                  on_round=progress('ceiling'))
    step_flops = bm.train_step_flops(macs, args.batch_size)
    peak = bm.flops_per_second(bm.matmul_flops(n, n, n), stats['matmul']['median_s'])
    conv = bm.flops_per_second(bm.conv_flops(args.batch_size, 64, 64, 64, 64),
                               stats['conv3x3']['median_s'])
    result = dict(config=UNET_CONFIG, input_shape=shape, batch_size=args.batch_size,
                  forward_macs_per_image=macs, train_step_flops=step_flops, matmul_size=n,
                  matmul_flops_per_s=peak, conv3x3_flops_per_s=conv, stats=stats,
                  convention='1 multiply-add = 2 FLOPs; train step = 3 x forward '
                             '(backward = 2 x forward); optimizer and losses not counted')
    rows = []
    for name, layout in (('train_step', 'NCHW'), ('train_step_channels_last', 'NHWC')):
        achieved = bm.flops_per_second(step_flops, stats[name]['median_s'])
        # the same fractions from each round's own pair of timings (robust to drifting load)
        ratio_mm = step_flops / bm.matmul_flops(n, n, n) * bm.paired_ratio(stats, 'matmul', name)
        ratio_conv = (step_flops / bm.conv_flops(args.batch_size, 64, 64, 64, 64)
                      * bm.paired_ratio(stats, 'conv3x3', name))
        stats[name].update(flops_per_s=achieved, fraction_of_matmul=achieved / peak,
                           fraction_of_conv3x3=achieved / conv,
                           paired_fraction_of_matmul=ratio_mm,
                           paired_fraction_of_conv3x3=ratio_conv)
        rows.append([layout, f'{macs / 1e9:.2f}', f'{step_flops / 1e9:.1f}',
                     f"{stats[name]['median_s'] * 1000:.0f}", f'{achieved / 1e9:.1f}',
                     f'{peak / 1e9:.1f}', f'{achieved / peak:.2f}', f'{conv / 1e9:.1f}',
                     f'{achieved / conv:.2f}'])
    result.update(train_step_flops_per_s=stats['train_step']['flops_per_s'],
                  fraction_of_matmul=stats['train_step']['fraction_of_matmul'],
                  fraction_of_matmul_channels_last=stats['train_step_channels_last'][
                      'fraction_of_matmul'])
    result['table'] = print_table(
        ['layout', 'forward GMAC/img', 'step GFLOP (batch)', 'step ms', 'achieved GFLOP/s',
         f'torch.mm {n}² GFLOP/s', 'fraction of mm', 'conv 3×3 GFLOP/s', 'fraction of conv'],
        rows)
    return result

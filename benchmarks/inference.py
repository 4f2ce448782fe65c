"""``inference``: images/s and peak memory of ``model.predict`` for the salt and change-detection
demo configs against mmseg's own ``unet-s5-d16`` (model section, 2 classes, input channels
adapted) on the same input size. Peak memory on CPU is measured in a fresh process per model
(peak RSS during inference over the RSS before it), on CUDA with ``max_memory_allocated``.
"""
import argparse
import json
import os
import os.path as osp
import subprocess
import sys
from typing import Any, Callable, Dict

import psutil
import torch
import torch.nn as nn
from mmengine.config import Config
from mmengine.hub import get_config
from mmengine.registry import init_default_scope

from seg_ext.core.memory import peak_rss_mb, reset_peak_rss
from seg_ext.mmseg.apis.model_stats import build_eval_model, complexity, predict_batch
from seg_ext.mmseg.engine.hooks import peak_memory_mb

from . import common as bm
from .common import ROOT, print_table, progress

MMSEG_UNET = 'mmseg::unet/unet-s5-d16_fcn_4xb4-160k_cityscapes-512x1024.py'
SALT = dict(shape=(1, 128, 128), ori_shape=(101, 101))
CHANGE = dict(shape=(6, 256, 256), ori_shape=None)
INFERENCE_GROUPS = [
    ('salt', SALT, ['configs/unet_salt_demo.py', 'configs/segnet_salt_demo.py',
                    'configs/fcn8s_salt_demo.py']),
    ('change', CHANGE, ['configs/changedet_levir_demo.py']),
]
CLI = osp.join(ROOT, 'tools', 'analysis_tools', 'benchmark.py')


def model_spec_cfg(spec: Dict[str, Any]) -> Config:
    """The model config of ``spec``: a repo config, or mmseg's UNet-s5-d16 adapted to
    ``in_channels`` and two classes (auxiliary head dropped when built for evaluation)."""
    if spec['config'] != 'mmseg-unet':
        return Config.fromfile(osp.join(ROOT, spec['config']))
    cfg = get_config(MMSEG_UNET)
    c = spec['in_channels']
    model = cfg.model
    model.backbone.in_channels = c
    model.decode_head.num_classes = 2
    model.auxiliary_head.num_classes = 2
    model.data_preprocessor.update(mean=[0.0] * c, std=[1.0] * c, bgr_to_rgb=False, size=None)
    return Config(dict(model=model, default_scope='mmseg'))


def build_spec_model(spec: Dict[str, Any], device: str) -> nn.Module:
    """The eval-mode model of ``spec`` (see :func:`model_spec_cfg`) on ``device``."""
    cfg = model_spec_cfg(spec)
    init_default_scope(cfg.get('default_scope', 'mmseg'))
    return build_eval_model(cfg, device)


def predictor(model: nn.Module, spec: Dict[str, Any], device: str) -> Callable[[int], None]:
    """A ``fn(iters)`` calling ``model.predict`` on one random batch of ``spec``'s shape."""
    x, samples = predict_batch(spec['batch_size'], spec['shape'], spec['ori_shape'], device)

    def run(iters: int) -> None:
        with torch.no_grad():
            for _ in range(iters):
                model.predict(x, samples)
    return run


def memory_probe(spec: Dict[str, Any], device: str, iters: int) -> Dict[str, float]:
    """Peak memory of ``iters`` predict calls: CUDA allocator peak, or on CPU the peak RSS over
    the RSS after the model and inputs exist (meaningful in a fresh process only)."""
    model = build_spec_model(spec, device)
    run = predictor(model, spec, device)
    if device.startswith('cuda'):
        torch.cuda.synchronize()
        torch.cuda.reset_peak_memory_stats()
        base = torch.cuda.memory_allocated() / 2**20
        run(iters)
        peak = peak_memory_mb(torch.device(device))
        return dict(peak_mb=peak, inference_mb=peak - base, kind='cuda max_memory_allocated')
    base = psutil.Process().memory_info().rss / 2**20
    resettable = reset_peak_rss()
    run(iters)
    peak = peak_rss_mb()
    return dict(peak_mb=peak, inference_mb=peak - base if resettable else float('nan'),
                kind='peak RSS (VmHWM)' if resettable else 'ru_maxrss')


#: memory probes: every allocation of 64 KiB or more gets its own mapping, returned when freed, so
#: the peak RSS counts the tensors alive at the peak (not what the allocator kept from earlier
#: batches, which made probes of one model differ by 20-35 %)
PROBE_MALLOC_ENV = dict(MALLOC_MMAP_THRESHOLD_='65536', MALLOC_TRIM_THRESHOLD_='131072',
                        MALLOC_TOP_PAD_='0')


def probe_in_subprocess(spec: Dict[str, Any], args: argparse.Namespace) -> Dict[str, Any]:
    """:func:`memory_probe` in ``args.memory_probes`` fresh processes (allocator settings
    :data:`PROBE_MALLOC_ENV`); the median probe."""
    cmd = [sys.executable, CLI, 'memory-probe', '--spec', json.dumps(spec),
           '--threads', str(args.threads), '--device', args.device, '--iters', str(args.iters)]
    probes = []
    for _ in range(args.memory_probes):
        proc = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT,
                              env=dict(os.environ, **PROBE_MALLOC_ENV))
        if proc.returncode != 0:
            raise RuntimeError(f'memory probe failed for {spec}:\n{proc.stderr[-3000:]}')
        probes.append(json.loads(proc.stdout.strip().splitlines()[-1]))
    probes.sort(key=lambda p: p['inference_mb'])
    return dict(probes[len(probes) // 2], probes_inference_mb=[p['inference_mb'] for p in probes])


def bench_inference(args: argparse.Namespace) -> Dict[str, Any]:
    """``inference``: img/s (interleaved per input size) and peak memory vs mmseg's U-Net."""
    result: Dict[str, Any] = dict(groups={})
    rows = []
    for group, geo, configs in INFERENCE_GROUPS:
        batch = args.batch_size if group == 'salt' else args.cd_batch_size
        specs = {osp.basename(c): dict(config=c, **geo, batch_size=batch) for c in configs}
        specs['mmseg unet-s5-d16'] = dict(config='mmseg-unet', in_channels=geo['shape'][0],
                                          **geo, batch_size=batch)
        fns, macs = {}, {}
        for name, spec in specs.items():
            model = build_spec_model(spec, args.device)
            macs[name] = complexity(model, spec['shape'])['flops']  # multiply-adds per image
            fns[name] = predictor(model, spec, args.device)
        print(f"[inference] {group}: input {'x'.join(map(str, geo['shape']))}, batch {batch}, "
              f'{args.repeat} rounds x {args.iters} batches, {list(specs)}', flush=True)
        sync = torch.cuda.synchronize if args.device.startswith('cuda') else None
        stats = bm.interleaved_timing(fns, args.repeat, args.iters, warmup=1, sync=sync,
                                      on_round=progress(f'inference/{group}'))
        del fns
        for name, spec in specs.items():
            if args.device.startswith('cuda'):
                mem = memory_probe(spec, args.device, args.iters)
            else:
                mem = probe_in_subprocess(spec, args)
            print(f'[inference/{group}] {name}: peak memory {mem}', flush=True)
            img_per_s = batch / stats[name]['median_s']
            stats[name].update(spec=spec, img_per_s=img_per_s, memory=mem,
                               macs_per_image=macs[name],
                               flops_per_s=2 * macs[name] * img_per_s)  # 2 FLOPs per MAC
        ref = stats['mmseg unet-s5-d16']
        for name in specs:
            s = stats[name]
            s['throughput_ratio_vs_mmseg'] = s['img_per_s'] / ref['img_per_s']
            s['paired_throughput_ratio_vs_mmseg'] = 1 / bm.paired_ratio(stats, name,
                                                                     'mmseg unet-s5-d16')
            s['memory_ratio_vs_mmseg'] = (s['memory']['inference_mb']
                                          / ref['memory']['inference_mb'])
            rows.append([f'`{name}`' if name.endswith('.py') else name,
                         'x'.join(map(str, geo['shape'])), batch,
                         f"{s['macs_per_image'] / 1e9:.2f}", f"{s['flops_per_s'] / 1e9:.0f}",
                         f"{s['img_per_s']:.1f}",
                         f"{s['throughput_ratio_vs_mmseg']:.2f}",
                         f"{s['memory']['inference_mb']:.0f}", f"{s['memory']['peak_mb']:.0f}",
                         f"{s['memory_ratio_vs_mmseg']:.2f}"])
        result['groups'][group] = stats
    mem_head = 'peak alloc. (MB)' if args.device.startswith('cuda') else 'peak RSS (MB)'
    result['table'] = print_table(
        ['model', 'input', 'batch', 'GMAC/img', 'GFLOP/s', 'img/s', 'img/s ratio vs mmseg',
         'inference mem (MB)', mem_head, 'mem ratio vs mmseg'], rows)
    return result

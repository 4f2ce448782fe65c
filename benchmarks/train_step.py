"""``train``: the ``tools/train.py`` path against a plain PyTorch loop, in one process.

mmengine ``Runner`` from ``configs/unet_salt_demo.py`` (data preprocessor, ResNetV1c-18 +
``UNetHead``, its optimizer wrapper) against a plain loop (the same weights copied, the same AdamW
settings), all fed the same pre-collated batches from memory. Runner variants:
``model.train_step(batch, optim_wrapper)`` (what ``IterBasedTrainLoop`` does per iteration), the
same step with ``channels_last = True`` (a converted copy, its own optimizer) and the real loop
(``runner.train()``, then the same loop continued block by block, all hooks on, timed from the
first hook of a block's first iteration to the last hook of its last iteration)."""
import argparse
import copy
import os.path as osp
import tempfile
import time
from typing import Any, Callable, Dict, List, Optional

import torch
import torch.nn as nn
from mmengine.config import Config
from mmengine.dataset import DefaultSampler, pseudo_collate
from mmengine.hooks import Hook
from mmengine.optim import build_optim_wrapper
from mmengine.runner import Runner
from mmseg.registry import DATASETS
from torch.utils.data import DataLoader, Dataset

from seg_ext.mmseg.apis.runner_setup import resolve_work_dir
from seg_ext.mmseg.engine.hooks import to_channels_last

from . import common as bm
from .common import ROOT, print_table, progress

UNET_CONFIG = 'configs/unet_salt_demo.py'


class PlainSegmentor(nn.Module):
    """Backbone + decode head called directly: what a hand-written PyTorch loop would train."""

    def __init__(self, backbone: nn.Module, head: nn.Module) -> None:
        super().__init__()
        self.backbone = backbone
        self.head = head

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.backbone(x))


def plain_trainer(model: nn.Module, cfg: Config, batches: List[dict], device: str,
                  channels_last: bool = False) -> Callable[[int], None]:
    """A ``fn(iters)`` running the plain loop: normalise, forward, the config's losses,
    backward, AdamW step, zero_grad, on tensors stacked once from ``batches``. The model's
    backbone and head are copied (its weights included); ``channels_last`` runs them NHWC."""
    plain = PlainSegmentor(copy.deepcopy(model.backbone), copy.deepcopy(model.decode_head))
    memory_format = torch.channels_last if channels_last else torch.contiguous_format
    plain.to(memory_format=memory_format)
    losses = list(plain.head.loss_decode)
    ignore_index = plain.head.ignore_index
    opt_cfg = dict(cfg.optim_wrapper.optimizer)
    opt_type = opt_cfg.pop('type')
    optimizer = getattr(torch.optim, opt_type)(plain.parameters(), **opt_cfg)
    pre = cfg.model.data_preprocessor
    mean = torch.tensor(pre.mean, device=device).view(1, -1, 1, 1)
    std = torch.tensor(pre.std, device=device).view(1, -1, 1, 1)
    data = [(torch.stack(b['inputs']).to(device),
             torch.stack([s.gt_sem_seg.data for s in b['data_samples']]).squeeze(1).long()
             .to(device)) for b in batches]
    state = dict(i=0)
    plain.train()

    def run(iters: int) -> None:
        for _ in range(iters):
            img, label = data[state['i'] % len(data)]
            state['i'] += 1
            x = ((img.float() - mean) / std).contiguous(memory_format=memory_format)
            logits = plain(x)
            loss = sum(f(logits, label, ignore_index=ignore_index) for f in losses)
            loss.backward()
            optimizer.step()
            optimizer.zero_grad()
    return run


class _Batches(Dataset):
    """Pre-collated batches served from memory, cycling, with a length that never runs out."""

    def __init__(self, batches: List[dict]) -> None:
        self.batches = batches

    def __len__(self) -> int:
        return 10**6

    def __getitem__(self, i: int) -> dict:
        return self.batches[i % len(self.batches)]


def _identity(batch: dict) -> dict:
    return batch


class _BlockClock:
    """First ``before_train_iter`` and last ``after_train_iter`` of a block of loop iterations
    (after ``sync``, e.g. ``torch.cuda.synchronize``)."""

    def __init__(self, sync: Optional[Callable[[], None]] = None) -> None:
        self.sync = sync
        self.start: Optional[float] = None
        self.stop: Optional[float] = None

    def now(self) -> float:
        if self.sync is not None:
            self.sync()
        return time.perf_counter()


class _StartHook(Hook):
    """Runs before every other hook of an iteration: starts the block's clock."""

    priority = 'HIGHEST'

    def __init__(self, clock: _BlockClock) -> None:
        self.clock = clock

    def before_train_iter(self, runner, batch_idx: int, data_batch=None) -> None:
        if self.clock.start is None:
            self.clock.start = self.clock.now()


class _StopHook(Hook):
    """Runs after every other hook of an iteration: the block's clock stops at its last one."""

    priority = 'LOWEST'

    def __init__(self, clock: _BlockClock) -> None:
        self.clock = clock

    def after_train_iter(self, runner, batch_idx: int, data_batch=None, outputs=None) -> None:
        self.clock.stop = self.clock.now()


def demo_batches(cfg: Config, num_batches: int, batch_size: int, tmp: str) -> List[dict]:
    """``num_batches`` batches from the config's train pipeline, collated as mmseg's dataloader
    does (``pseudo_collate``). Uses the config's data root, or synthetic TGS data if it is
    absent."""
    ds_cfg = copy.deepcopy(cfg.train_dataloader.dataset)
    if not osp.isdir(osp.join(ROOT, ds_cfg.data_root)):
        from seg_ext.core.synthetic import write_tgs_dataset
        from seg_ext.core.tgs_salt import write_tgs_splits
        ds_cfg.data_root = osp.join(tmp, 'tgs')
        write_tgs_dataset(ds_cfg.data_root, num_train=max(40, num_batches * batch_size * 2),
                          num_test=2, seed=0)
        write_tgs_splits(ds_cfg.data_root, num_folds=2, seed=0)
        ds_cfg.ann_file = 'splits/fold0_train.txt'
    else:
        ds_cfg.data_root = osp.join(ROOT, ds_cfg.data_root)
    dataset = DATASETS.build(ds_cfg)
    samples = [dataset[i % len(dataset)] for i in range(num_batches * batch_size)]
    return [pseudo_collate(samples[i * batch_size:(i + 1) * batch_size])
            for i in range(num_batches)]


def build_runner(config: str, work_dir: str, batch_size: int) -> Runner:
    """The Runner ``tools/train.py`` builds, minus validation/testing and checkpoint files."""
    cfg = Config.fromfile(osp.join(ROOT, config))
    cfg.launcher = 'none'
    resolve_work_dir(cfg, work_dir, config)
    for key in ('val_dataloader', 'val_cfg', 'val_evaluator', 'test_dataloader', 'test_cfg',
                'test_evaluator'):
        cfg[key] = None
    cfg.train_dataloader.batch_size = batch_size
    cfg.default_hooks.checkpoint.save_last = False
    # the benchmark runs the loop a few iterations at a time (max_iters grows block by block):
    # give the demo schedule's poly decay, which ends at max_iters by default, a fixed end
    for scheduler in cfg.param_scheduler:
        scheduler.setdefault('end', cfg.train_cfg.max_iters)
    return Runner.from_cfg(cfg)


def bench_train(args: argparse.Namespace) -> Dict[str, Any]:
    """``train``: plain loop vs ``model.train_step`` vs ``runner.train()``, interleaved."""
    with tempfile.TemporaryDirectory(prefix='seg_ext_bench_') as tmp:
        return _bench_train(args, tmp)


def _bench_train(args: argparse.Namespace, tmp: str) -> Dict[str, Any]:
    runner = build_runner(UNET_CONFIG, osp.join(tmp, 'work'), args.batch_size)
    cfg = runner.cfg
    batches = demo_batches(cfg, args.num_batches, args.batch_size, tmp)
    # a sampler with set_epoch, as DistSamplerSeedHook expects
    dataset = _Batches(batches)
    runner._train_dataloader = DataLoader(dataset, batch_size=None, collate_fn=_identity,
                                          sampler=DefaultSampler(dataset, shuffle=False))
    # what runner.train() does first; done here so the plain loop copies the initialised weights
    runner.optim_wrapper = runner.build_optim_wrapper(runner.optim_wrapper)
    runner._init_model_weights()
    model = runner.model
    device = str(next(model.parameters()).device)
    sync = torch.cuda.synchronize if device.startswith('cuda') else None
    clock = _BlockClock(sync)
    runner.register_hook(_StartHook(clock))
    runner.register_hook(_StopHook(clock))

    plain = plain_trainer(model, cfg, batches, device)
    state = dict(i=0)
    # the channels_last = True path: a converted copy with its own optimizer wrapper
    nhwc = to_channels_last(copy.deepcopy(model))
    nhwc_wrapper = build_optim_wrapper(nhwc, copy.deepcopy(cfg.optim_wrapper))

    def stepper(net, wrapper):
        def run(iters: int) -> None:
            for _ in range(iters):
                net.train()
                batch = batches[state['i'] % len(batches)]
                state['i'] += 1
                net.train_step(batch, optim_wrapper=wrapper)
        return run
    train_step = stepper(model, runner.optim_wrapper)

    def loop(iters: int) -> float:
        clock.start = clock.stop = None
        if isinstance(runner._train_loop, dict):  # first call: the real runner.train()
            runner._train_loop['max_iters'] = iters
            runner.train()
        else:
            runner.train_loop._max_iters += iters
            runner.train_loop.run()
        return clock.stop - clock.start

    candidates = dict(plain=plain, train_step=train_step,
                      train_step_channels_last=stepper(nhwc, nhwc_wrapper), runner_loop=loop)
    print(f'[train] {UNET_CONFIG}, batch {args.batch_size}, {args.repeat} rounds x '
          f'{args.iters} iterations per candidate after {args.warmup} warm-up', flush=True)
    stats = bm.interleaved_timing(candidates, args.repeat, args.iters, args.warmup, sync=sync,
                                  on_round=progress('train'))
    rows, result = [], dict(config=UNET_CONFIG, batch_size=args.batch_size, stats=stats)
    for name in candidates:
        s = stats[name]
        s['img_per_s'] = args.batch_size / s['median_s']
        s['ratio_vs_plain'] = bm.ratio_of_medians(stats, name, 'plain')
        s['paired_ratio_vs_plain'] = bm.paired_ratio(stats, name, 'plain')
        rows.append([name, f"{s['median_s'] * 1000:.1f}", f"{s['img_per_s']:.1f}",
                     f"{s['ratio_vs_plain']:.3f}", f"{s['paired_ratio_vs_plain']:.3f}"])
    result['ratio_runner_over_plain'] = stats['runner_loop']['ratio_vs_plain']
    result['ratio_train_step_over_plain'] = stats['train_step']['ratio_vs_plain']
    result['ratio_channels_last_over_train_step'] = bm.ratio_of_medians(
        stats, 'train_step_channels_last', 'train_step')
    result['table'] = print_table(['path', 'ms/iter (median)', 'img/s', 'ratio vs plain',
                                   'paired ratio'], rows)
    return result

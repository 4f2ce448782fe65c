"""Performance comparisons, each run in one process on the same inputs, candidates interleaved.

    python tools/analysis_tools/benchmark.py {train,inference,metric,ceiling,all} \
        [--repeat 5] [--threads N] [--out-dir work_dirs/benchmark] [--default-allocator]
    python tools/analysis_tools/benchmark.py compare RUN_A_DIR RUN_B_DIR [--tolerance 0.1]

- ``train``: the ``tools/train.py`` path (mmengine ``Runner`` from ``configs/unet_salt_demo.py``:
  data preprocessor, ResNetV1c-18 + ``UNetHead``, its optimizer wrapper) against a plain PyTorch
  loop (the same weights copied, the same AdamW settings), all fed the same pre-collated batches
  from memory. Two Runner variants: ``model.train_step(batch, optim_wrapper)`` (what
  ``IterBasedTrainLoop`` does per iteration) and the real loop (``runner.train()``, then the same
  loop continued block by block, all hooks on, timed from the first hook of a block's first
  iteration to the last hook of its last iteration).
- ``inference``: images/s and peak memory of ``model.predict`` for the salt and change-detection
  demo configs against mmseg's own ``unet-s5-d16`` (model section, 2 classes, input channels
  adapted) on the same input size. Peak memory on CPU is measured in a fresh process per model
  (peak RSS during inference over the RSS before it), on CUDA with ``max_memory_allocated``.
- ``metric``: ``SegMetric`` (PA/MPA/mIoU/FWIoU/TGS) against mmseg's ``IoUMetric``:
  ``process()`` + ``compute_metrics()`` on the same synthetic predictions.
- ``ceiling``: achieved FLOP/s of the U-Net training step (plain loop, NCHW and channels-last)
  as a fraction of the FLOP/s of a dense fp32 ``torch.mm`` and of a 64→64 3×3 convolution, on
  the same threads (a multiply-add is two FLOPs; a step is three forwards).

Every comparison prints progress per round, then a Markdown table; results (with the machine and
the command) go to ``<out-dir>/<subcommand>.json``. ``compare`` puts every ratio of two runs side
by side and fails (exit 1) where they differ by more than the tolerance.

On Linux the benchmark re-runs itself with glibc's ``MALLOC_MMAP_THRESHOLD_`` and
``MALLOC_TRIM_THRESHOLD_`` raised (``seg_ext.engine.benchmarking.STEADY_MALLOC_ENV``) unless they
are set or ``--default-allocator`` is given: by default glibc unmaps freed activations and every
forward pass page-faults them in again, which costs up to 40 % and makes runs differ by 10-15 %.
All candidates of a comparison share the process, hence the allocator.
"""
import argparse
import copy
import json
import os
import os.path as osp
import subprocess
import sys
import tempfile
import time
from typing import Any, Callable, Dict, List, Optional

import numpy as np
import torch
import torch.nn as nn
from mmengine.config import Config
from mmengine.dataset import DefaultSampler, pseudo_collate
from mmengine.hooks import Hook
from mmengine.hub import get_config
from mmengine.logging import MMLogger
from mmengine.model.utils import revert_sync_batchnorm
from mmengine.registry import init_default_scope
from mmengine.runner import Runner
from mmengine.structures import PixelData
from mmseg.evaluation import IoUMetric
from mmseg.registry import DATASETS, MODELS
from mmseg.structures import SegDataSample
from torch.utils.data import DataLoader, Dataset

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
sys.path.insert(0, ROOT)
import seg_ext  # noqa: E402,F401
from seg_ext.engine import benchmarking as bm  # noqa: E402
from seg_ext.engine import cli  # noqa: E402
from seg_ext.engine.hooks.inference_stats_hook import peak_memory_mb  # noqa: E402
from seg_ext.engine.model_stats import build_eval_model, complexity, predict_batch  # noqa: E402
from seg_ext.evaluation import SegMetric  # noqa: E402
from seg_ext.synthetic.tgs_salt import salt_mask  # noqa: E402

UNET_CONFIG = 'configs/unet_salt_demo.py'
MMSEG_UNET = 'mmseg::unet/unet-s5-d16_fcn_4xb4-160k_cityscapes-512x1024.py'
SALT = dict(shape=(1, 128, 128), ori_shape=(101, 101))
CHANGE = dict(shape=(6, 256, 256), ori_shape=None)
INFERENCE_GROUPS = [
    ('salt', SALT, ['configs/unet_salt_demo.py', 'configs/segnet_salt_demo.py',
                    'configs/fcn8s_salt_demo.py']),
    ('change', CHANGE, ['configs/changedet_levir_demo.py']),
]


def progress(tag: str) -> Callable[[int, Dict[str, float]], None]:
    """Print one line per interleaved round: seconds per iteration of every candidate."""
    def report(r: int, times: Dict[str, float]) -> None:
        parts = ', '.join(f'{k} {v * 1000:.1f} ms' for k, v in times.items())
        print(f'[{tag}] round {r + 1}: {parts}', flush=True)
    return report


def print_table(head: List[str], rows: List[List[Any]]) -> str:
    """Print a Markdown table and return its text (stored in the JSON)."""
    lines = ['| ' + ' | '.join(head) + ' |', '|' + '---|' * len(head)]
    lines += ['| ' + ' | '.join(str(c) for c in row) + ' |' for row in rows]
    text = '\n'.join(lines)
    print(text, flush=True)
    return text


# ------------------------------------------------------------------------------------ train ---
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
        from seg_ext.datasets import write_tgs_splits
        from seg_ext.synthetic import write_tgs_dataset
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
    cli.resolve_work_dir(cfg, work_dir, config)
    for key in ('val_dataloader', 'val_cfg', 'val_evaluator', 'test_dataloader', 'test_cfg',
                'test_evaluator'):
        cfg[key] = None
    cfg.train_dataloader.batch_size = batch_size
    cfg.default_hooks.checkpoint.save_last = False
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

    def train_step(iters: int) -> None:
        for _ in range(iters):
            model.train()
            batch = batches[state['i'] % len(batches)]
            state['i'] += 1
            model.train_step(batch, optim_wrapper=runner.optim_wrapper)

    def loop(iters: int) -> float:
        clock.start = clock.stop = None
        if isinstance(runner._train_loop, dict):  # first call: the real runner.train()
            runner._train_loop['max_iters'] = iters
            runner.train()
        else:
            runner.train_loop._max_iters += iters
            runner.train_loop.run()
        return clock.stop - clock.start

    candidates = dict(plain=plain, train_step=train_step, runner_loop=loop)
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
    result['table'] = print_table(['path', 'ms/iter (median)', 'img/s', 'ratio vs plain',
                                   'paired ratio'], rows)
    return result


# -------------------------------------------------------------------------------- inference ---
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
    base = bm.current_rss_mb()
    resettable = bm.reset_peak_rss()
    run(iters)
    peak = bm.peak_rss_mb()
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
    cmd = [sys.executable, osp.abspath(__file__), 'memory-probe', '--spec', json.dumps(spec),
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


# ----------------------------------------------------------------------------------- metric ---
def synthetic_predictions(num: int, size: int, seed: int = 0) -> List[dict]:
    """``num`` ground-truth/prediction pairs as mmseg hands them to a metric (``to_dict()`` of
    the data samples, int64 ``1×H×W``): salt bodies in 60 % of images, predictions shifted by
    up to 3 px, with a false alarm on some empty images."""
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(num):
        gt = salt_mask(rng, size) if rng.random() < 0.6 else np.zeros((size, size), bool)
        pred = np.roll(gt, tuple(rng.integers(-3, 4, size=2)), axis=(0, 1))
        if not gt.any() and rng.random() < 0.3:
            pred = salt_mask(rng, size) & (rng.random((size, size)) < 0.5)
        out.append(dict(pred_sem_seg=dict(data=torch.from_numpy(pred[None].astype(np.int64))),
                        gt_sem_seg=dict(data=torch.from_numpy(gt[None].astype(np.int64)))))
    return out


def bench_metric(args: argparse.Namespace) -> Dict[str, Any]:
    """``metric``: ``SegMetric`` vs ``IoUMetric``, ``process()`` + ``compute_metrics()``, on
    ``--metric-threads`` torch threads (default 1: per-image updates are 10k-pixel operations
    where thread wake-ups dominate; with 2 threads ``IoUMetric``'s time differs by up to 50 %
    from one process to the next)."""
    torch.set_num_threads(args.metric_threads)
    samples = synthetic_predictions(args.num_images, args.size)
    batches = [samples[i:i + args.batch_size] for i in range(0, len(samples), args.batch_size)]
    # both metrics log a per-class table; keep it off the console (it is formatted either way)
    MMLogger.get_instance('benchmark_metric', log_level='WARNING')
    values: Dict[str, Dict[str, float]] = {}

    def evaluate(name: str, metric_cls, **kwargs) -> Callable[[int], None]:
        def run(iters: int) -> None:
            for _ in range(iters):
                metric = metric_cls(**kwargs)
                metric.dataset_meta = dict(classes=('background', 'salt'))
                for batch in batches:
                    metric.process({}, batch)
                values[name] = {k: float(v) for k, v in metric.compute_metrics(
                    metric.results).items()}
        return run

    fns = dict(SegMetric=evaluate('SegMetric', SegMetric, tgs_score=True),
               IoUMetric=evaluate('IoUMetric', IoUMetric))
    print(f'[metric] {args.num_images} images of {args.size}x{args.size}, batches of '
          f'{args.batch_size}, {args.repeat} rounds', flush=True)
    stats = bm.interleaved_timing(fns, args.repeat, 1, warmup=1, on_round=progress('metric'))
    result = dict(num_images=args.num_images, size=args.size, threads=args.metric_threads,
                  stats=stats, values=values,
                  ratio=bm.ratio_of_medians(stats, 'SegMetric', 'IoUMetric'),
                  paired_ratio=bm.paired_ratio(stats, 'SegMetric', 'IoUMetric'))
    rows = []
    for name in fns:
        s = stats[name]
        s['img_per_s'] = args.num_images / s['median_s']
        v = values[name]
        rows.append([name, f"{s['median_s'] * 1000:.1f}", f"{s['img_per_s']:.0f}",
                     f"{bm.ratio_of_medians(stats, name, 'IoUMetric'):.3f}"]
                    + [f'{v[k]:.2f}' if k in v else '-'
                       for k in ('mIoU', 'aAcc', 'mAcc', 'FWIoU', 'TGS')])
    result['table'] = print_table(['metric', 'ms (process + compute)', 'img/s',
                                   'ratio vs IoUMetric', 'mIoU', 'aAcc', 'mAcc', 'FWIoU',
                                   'TGS'], rows)
    return result


# ---------------------------------------------------------------------------------- ceiling ---
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


# -------------------------------------------------------------------------------------- CLI ---
COMMANDS = dict(train=bench_train, inference=bench_inference, metric=bench_metric,
                ceiling=bench_ceiling)


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument('--repeat', type=int, default=5, help='interleaved rounds')
    common.add_argument('--threads', type=int, default=torch.get_num_threads(),
                        help='torch threads (default: torch.get_num_threads())')
    common.add_argument('--out-dir', default=osp.join('work_dirs', 'benchmark'))
    common.add_argument('--default-allocator', action='store_true',
                        help="keep glibc's default malloc settings (see the module docstring)")
    common.add_argument('--device', default='cuda' if torch.cuda.is_available() else 'cpu')
    common.add_argument('--batch-size', type=int, default=16,
                        help='train/ceiling/salt-inference batch; metric process() batch')
    common.add_argument('--iters', type=int, default=None,
                        help='iterations per candidate and round (train 4, inference 2, '
                        'ceiling 3)')
    common.add_argument('--warmup', type=int, default=2, help='train: warm-up iterations')
    common.add_argument('--num-batches', type=int, default=4,
                        help='train: distinct batches cycled from memory')
    common.add_argument('--cd-batch-size', type=int, default=4,
                        help='inference: change-detection batch (6x256x256 pairs)')
    common.add_argument('--memory-probes', type=int, default=3,
                        help='inference: fresh processes per model for peak RSS (median)')
    common.add_argument('--num-images', type=int, default=2000, help='metric: predictions')
    common.add_argument('--size', type=int, default=101, help='metric: image side')
    common.add_argument('--metric-threads', type=int, default=1,
                        help='metric: torch threads for both metrics')
    common.add_argument('--matmul-size', type=int, default=2048, help='ceiling: n of n×n mm')
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    sub = parser.add_subparsers(dest='command', required=True)
    for name in list(COMMANDS) + ['all']:
        sub.add_parser(name, parents=[common])
    cmp = sub.add_parser('compare', help='ratios of two runs (out-dirs) side by side')
    cmp.add_argument('run_a')
    cmp.add_argument('run_b')
    cmp.add_argument('--tolerance', type=float, default=0.10)
    probe = sub.add_parser('memory-probe', parents=[common],
                           help='internal: peak memory of one model in this process')
    probe.add_argument('--spec', required=True)
    return parser.parse_args(argv)


DEFAULT_ITERS = dict(train=4, inference=2, ceiling=3, metric=1, **{'memory-probe': 2})


def compare(args: argparse.Namespace) -> int:
    """Print every ratio of two runs and whether they agree within ``--tolerance``."""
    rows, missing = [], []
    for name in list(COMMANDS):
        paths = [osp.join(d, f'{name}.json') for d in (args.run_a, args.run_b)]
        if not all(osp.isfile(p) for p in paths):
            missing.append(name)
            continue
        a, b = (json.load(open(p)) for p in paths)
        rows += [dict(r, key=f'{name}.{r["key"]}') for r in bm.compare_runs(a, b, args.tolerance)]
    if not rows:
        raise SystemExit(f'no benchmark json found in both {args.run_a} and {args.run_b}')
    print_table(['ratio', 'run A', 'run B', 'difference', f'within {args.tolerance:.0%}'],
                      [[r['key'], f"{r['a']:.3f}", f"{r['b']:.3f}", f"{r['rel_diff']:.1%}",
                        'yes' if r['ok'] else '**no**'] for r in rows])
    bad = [r for r in rows if not r['ok']]
    print(f'{len(rows) - len(bad)} of {len(rows)} ratios within {args.tolerance:.0%}'
          + (f'; not compared (missing): {", ".join(missing)}' if missing else ''))
    return 1 if bad else 0


def main(argv: Optional[List[str]] = None) -> None:
    args = parse_args(argv)
    if args.command == 'compare':
        sys.exit(compare(args))
    torch.set_num_threads(args.threads)
    init_default_scope('mmseg')
    if args.command == 'memory-probe':
        args.iters = args.iters or DEFAULT_ITERS['memory-probe']
        print(json.dumps(memory_probe(json.loads(args.spec), args.device, args.iters)))
        return
    machine = bm.machine_info(args.device)
    print(f"machine: {machine['cpu']}, {machine['cores']} cores "
          f"({machine['cores_available']} available), torch {machine['torch']} with "
          f"{machine['torch_threads']} threads, device {machine['device']}"
          + (f" ({machine['gpu']})" if 'gpu' in machine else '')
          + ', environment: ' + (' '.join(f'{k}={v}' for k, v in machine['env'].items())
                                   or 'defaults'), flush=True)
    names = list(COMMANDS) if args.command == 'all' else [args.command]
    os.makedirs(args.out_dir, exist_ok=True)
    command = 'python ' + ' '.join([osp.relpath(osp.abspath(__file__), ROOT)]
                                   + (sys.argv[1:] if argv is None else list(argv)))
    combined = {}
    for name in names:
        sub_args = copy.copy(args)
        sub_args.iters = args.iters or DEFAULT_ITERS[name]
        load = bm.load_average()
        print(f'[{name}] load average before: {load}', flush=True)
        torch.set_num_threads(args.threads)  # `metric` changes it for itself
        cpu0, t0 = bm.cpu_seconds(), time.perf_counter()
        result = COMMANDS[name](sub_args)
        torch.set_num_threads(args.threads)
        others = bm.other_load(cpu0, bm.cpu_seconds(), time.perf_counter() - t0)
        result.update(command=command, machine=machine, repeat=args.repeat,
                      iters=sub_args.iters, loadavg_before=load, loadavg_after=bm.load_average(),
                      other_load=others)
        print(f"[{name}] load average after: {result['loadavg_after']}", flush=True)
        if others is not None:
            busy = max(others.values())
            print(f"[{name}] CPU time taken by other processes: "
                  f"{100 * others['other_processes']:.0f} %, hypervisor steal: "
                  f"{100 * others['steal']:.0f} % of the machine"
                  + (' -- timings disturbed, rerun on a quiet machine' if busy > 0.05 else ''),
                  flush=True)
        path = osp.join(args.out_dir, f'{name}.json')
        with open(path, 'w') as f:
            json.dump(result, f, indent=2)
        print(f'written to {path}', flush=True)
        combined[name] = result
    if args.command == 'all':
        with open(osp.join(args.out_dir, 'all.json'), 'w') as f:
            json.dump(combined, f, indent=2)


if __name__ == '__main__':
    env = bm.steady_allocator_env(os.environ)
    if env is not None and '--default-allocator' not in sys.argv and 'compare' not in sys.argv:
        print('re-running with ' + ' '.join(f'{k}={v}' for k, v in bm.STEADY_MALLOC_ENV.items())
              + ' (--default-allocator: keep glibc defaults)', flush=True)
        os.execve(sys.executable, [sys.executable] + sys.argv, env)
    main()

"""Performance comparisons, each run in one process on the same inputs, candidates interleaved.

    python tools/analysis_tools/benchmark.py \
        {train,inference,metric,ceiling,tiling,onnx,crf,curves,modes,all} \
        [--repeat 5] [--threads N] [--out-dir work_dirs/benchmark] [--default-allocator]
    python tools/analysis_tools/benchmark.py compare RUN_A_DIR RUN_B_DIR [--tolerance 0.1]

- ``train``: the ``tools/train.py`` path (mmengine ``Runner`` from ``configs/unet_salt_demo.py``:
  data preprocessor, ResNetV1c-18 + ``UNetHead``, its optimizer wrapper) against a plain PyTorch
  loop (the same weights copied, the same AdamW settings), all fed the same pre-collated batches
  from memory. Runner variants: ``model.train_step(batch, optim_wrapper)`` (what
  ``IterBasedTrainLoop`` does per iteration), the same step channels-last (a copy converted as
  ``channels_last = True`` does, its own optimizer) and the real loop (``runner.train()``, then
  the same loop continued block by block, all hooks on, timed from the first hook of a block's
  first iteration to the last hook of its last iteration).
- ``inference``: images/s and peak memory of ``model.predict`` for the salt and change-detection
  demo configs against mmseg's own ``unet-s5-d16`` (model section, 2 classes, input channels
  adapted) on the same input size. Peak memory on CPU is measured in a fresh process per model
  (peak RSS during inference over the RSS before it), on CUDA with ``max_memory_allocated``.
- ``metric``: ``SegMetric`` (PA/MPA/mIoU/FWIoU/TGS) against mmseg's ``IoUMetric``:
  ``process()`` + ``compute_metrics()`` on the same synthetic predictions.
- ``onnx``: images/s of ONNX Runtime against PyTorch on the exported graph of every mmseg-side
  model (salt U-Net / SegNet / FCN-8s, Siamese and early-fusion change U-Nets), same batch, same
  threads (``benchmarks/onnx_runtime.py``).
- ``crf``: the torch dense CRF against pydensecrf2 for 2..21 classes at 101², 512², 1024², a
  photo-like synthetic 427×640 image and a real photograph (matplotlib's 600×512
  ``grace_hopper.jpg``): time ratio and label agreement per cell (``--crf-profile``: a profile of
  the cells where torch is slower).
- ``curves``: CRF time vs megapixels (both backends, 2 and 21 classes) and ``SegMetric`` time vs
  number of images, drawn as ``crf_scaling.png`` and ``eval_scaling.png`` in the out-dir.
- ``modes``: the U-Net train step and ``model.predict`` in fp32, mixed precision (the wrapper
  ``--amp`` picks) and channels-last, on ``--device`` (``gpu_check.sh`` runs it on CUDA).
- ``ceiling``: achieved FLOP/s of the U-Net training step (plain loop, NCHW and channels-last)
  as a fraction of the FLOP/s of a dense fp32 ``torch.mm`` and of a 64→64 3×3 convolution, on
  the same threads (a multiply-add is two FLOPs; a step is three forwards).
- ``tiling``: peak memory of tiled change detection (``PairInferencer`` with ``--tile``/
  ``--overlap``) on random pairs of each ``--sides`` (fresh process each), with the curve
  ``<out-dir>/tiling_memory.png`` (not part of ``all``).

Every comparison prints progress per round, then a Markdown table; results (with the machine and
the command) go to ``<out-dir>/<subcommand>.json``. ``compare`` puts every ratio of two runs side
by side and fails (exit 1) where they differ by more than the tolerance.

On Linux the benchmark re-runs itself with glibc's ``MALLOC_MMAP_THRESHOLD_`` and
``MALLOC_TRIM_THRESHOLD_`` raised (``benchmarks.common.STEADY_MALLOC_ENV``) unless they
are set or ``--default-allocator`` is given: by default glibc unmaps freed activations and every
forward pass page-faults them in again, which costs up to 40 % and makes runs differ by 10-15 %.
All candidates of a comparison share the process, hence the allocator.
"""
import argparse
import copy
import json
import os
import os.path as osp
import sys
import time
from typing import List, Optional

import torch
from mmengine.registry import init_default_scope

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
sys.path.insert(0, ROOT)
import seg_ext.mmseg  # noqa: E402,F401
from benchmarks import common as bm  # noqa: E402
from benchmarks.ceiling import bench_ceiling  # noqa: E402
from benchmarks.common import print_table  # noqa: E402
from benchmarks.crf import bench_crf  # noqa: E402
from benchmarks.curves import bench_curves  # noqa: E402
from benchmarks.inference import bench_inference, memory_probe  # noqa: E402
from benchmarks.metric import bench_metric  # noqa: E402
from benchmarks.modes import bench_modes  # noqa: E402
from benchmarks.onnx_runtime import bench_onnx  # noqa: E402
from benchmarks.tiling import bench_tiling, tiling_probe  # noqa: E402
from benchmarks.train_step import bench_train  # noqa: E402

COMMANDS = dict(train=bench_train, inference=bench_inference, metric=bench_metric,
                ceiling=bench_ceiling, tiling=bench_tiling, onnx=bench_onnx, crf=bench_crf,
                curves=bench_curves, modes=bench_modes)
#: what ``all`` runs (``tiling`` takes minutes per image side, ``onnx`` exports five models,
#: ``crf``, ``curves`` and ``modes`` are long sweeps: run them on their own)
ALL = ('train', 'inference', 'metric', 'ceiling')


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
    common.add_argument('--sides', default='1024,2048,4096',
                        help='tiling: image sides, comma-separated')
    common.add_argument('--tile', type=int, default=512, help='tiling: window side')
    common.add_argument('--overlap', type=int, default=64, help='tiling: window overlap')
    common.add_argument('--crf-iterations', type=int, default=5, help='crf: mean-field steps')
    common.add_argument('--crf-sizes', nargs='+', default=None,
                        help="crf: cases (default all: '101x101 gray' 512x512 1024x1024 "
                        "'photo 427x640' 'real photo 600x512')")
    common.add_argument('--crf-classes', nargs='+', type=int, default=None,
                        help='crf: class counts (default 2 4 8 14 21)')
    common.add_argument('--crf-profile', action='store_true',
                        help='crf: profile the torch backend where it is slower')
    common.add_argument('--curve-sides', nargs='+', type=int, default=None,
                        help='curves: CRF image sides (default 256 512 768 1024 1280)')
    common.add_argument('--curve-counts', nargs='+', type=int, default=None,
                        help='curves: numbers of predictions (default 250 ... 4000)')
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
    tprobe = sub.add_parser('tiling-probe', parents=[common],
                            help='internal: peak memory of one tiled pair in this process')
    tprobe.add_argument('--side', type=int, required=True)
    return parser.parse_args(argv)


DEFAULT_ITERS = dict(train=4, inference=2, ceiling=3, metric=1, tiling=1, onnx=2, crf=1,
                     curves=1, modes=2,
                     **{'memory-probe': 2})


def compare(args: argparse.Namespace) -> int:
    """Print every ratio of two runs and whether they agree within ``--tolerance``."""
    rows, missing = [], []
    for name in list(COMMANDS):
        paths = [osp.join(d, f'{name}.json') for d in (args.run_a, args.run_b)]
        if not all(osp.isfile(p) for p in paths):
            if name in ALL:
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
    if args.command == 'tiling-probe':
        print(json.dumps(tiling_probe(args.side, args.tile, args.overlap, args.device)))
        return
    machine = bm.machine_info(args.device)
    print(f"machine: {machine['cpu']}, {machine['cores']} cores "
          f"({machine['cores_available']} available), torch {machine['torch']} with "
          f"{machine['torch_threads']} threads, device {machine['device']}"
          + (f" ({machine['gpu']})" if 'gpu' in machine else '')
          + ', environment: ' + (' '.join(f'{k}={v}' for k, v in machine['env'].items())
                                   or 'defaults'), flush=True)
    names = list(ALL) if args.command == 'all' else [args.command]
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
        for key in ('stats', 'train', 'predict'):  # torch.utils.benchmark's Compare table
            if isinstance(result.get(key), dict):
                print(bm.compare_table(result[key], f'{name}: {key}'), flush=True)
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

"""Time the torch and pydensecrf2 dense-CRF backends in one process on the same inputs.

    python tools/analysis_tools/benchmark_crf.py [--iterations 5] [--repeat 3] \
        [--sizes 512x512 ...] [--classes 2 21 ...] [--profile] [--device cuda]

The class-count × size table of ``benchmarks/crf.py`` (also ``benchmark.py crf``) without mmseg:
time per image of each backend (interleaved rounds, medians), the ratio (torch / pydensecrf2;
< 1 = torch faster), torch's first call on an image size (it builds the position-only lattice
that later calls reuse) and the label agreement. With ``--device cuda`` (default when a GPU is
visible) it adds a batch of 8 512×512×21 images on the GPU and its throughput relative to
pydensecrf2 on the CPU. Writes ``--out`` (JSON).
"""
import argparse
import json
import os
import os.path as osp
import sys
import time

import torch

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
sys.path.insert(0, ROOT)
from benchmarks import common as bm  # noqa: E402
from benchmarks.crf import CLASSES, SIZES, bench_crf, crf_case  # noqa: E402
from seg_ext.core.crf import DenseCRF  # noqa: E402


def cuda_batch(device: str, iterations: int, repeat: int, batch: int = 8) -> dict:
    """A batch of ``batch`` 512×512×21 images on ``device`` against pydensecrf2 on the CPU."""
    image, probs = crf_case('512x512', 21)
    batch_p = probs[None].repeat(batch, 1, 1, 1).to(device)
    batch_i = torch.from_numpy(image)[None].repeat(batch, 1, 1, 1).to(device)
    gpu = DenseCRF(iterations=iterations, backend='torch')
    ref = DenseCRF(iterations=iterations, backend='pydensecrf')
    sync = torch.cuda.synchronize if device.startswith('cuda') else None
    out = {}

    def on_device(iters):
        for _ in range(iters):
            out['device'] = gpu(batch_p, batch_i)

    def reference(iters):
        for _ in range(iters):
            out['cpu'] = ref(probs, image)

    stats = bm.interleaved_timing(dict(device=on_device, pydensecrf=reference), repeat, 1,
                                  warmup=1, sync=sync)
    t_dev, t_ref = stats['device']['median_s'], stats['pydensecrf']['median_s']
    agree = float((out['device'][0].cpu().argmax(0) == out['cpu'].argmax(0)).float().mean())
    return dict(device=torch.cuda.get_device_name() if device.startswith('cuda') else device,
                batch=batch, seconds=t_dev, images_per_s=batch / t_dev,
                pydensecrf_cpu_s=t_ref, speedup_vs_pydensecrf_cpu=(batch / t_dev) * t_ref,
                label_agreement=agree)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--iterations', type=int, default=5)
    parser.add_argument('--repeat', type=int, default=3)
    parser.add_argument('--sizes', nargs='+', default=list(SIZES), choices=list(SIZES))
    parser.add_argument('--classes', nargs='+', type=int, default=list(CLASSES))
    parser.add_argument('--profile', action='store_true',
                        help='profile the torch backend where it is slower')
    parser.add_argument('--device', default='cuda' if torch.cuda.is_available() else 'cpu',
                        help='cuda: add the 8×512²×21 batch on the GPU')
    parser.add_argument('--cuda-only', action='store_true', help='only the GPU batch')
    parser.add_argument('--batch', type=int, default=8, help='images in the GPU batch')
    parser.add_argument('--out', default='work_dirs/benchmark_crf.json')
    args = parser.parse_args()
    result = dict(machine=bm.machine_info(args.device), loadavg_before=bm.load_average())
    t0, cpu0 = time.perf_counter(), bm.cpu_seconds()
    if not args.cuda_only:
        ns = argparse.Namespace(crf_iterations=args.iterations, repeat=args.repeat,
                                crf_sizes=args.sizes, crf_classes=args.classes,
                                crf_profile=args.profile)
        result.update(bench_crf(ns))
    if args.device.startswith('cuda') or args.cuda_only:
        result['cuda'] = c = cuda_batch(args.device, args.iterations, args.repeat, args.batch)
        print(f"{c['device']}: {c['batch']} x 512x512x21 in {c['seconds']:.3f} s = "
              f"{c['images_per_s']:.1f} img/s, {c['speedup_vs_pydensecrf_cpu']:.1f}x pydensecrf2 "
              f"on the CPU, label agreement {100 * c['label_agreement']:.2f} %")
    result['other_load'] = bm.other_load(cpu0, bm.cpu_seconds(), time.perf_counter() - t0)
    result['loadavg_after'] = bm.load_average()
    os.makedirs(osp.dirname(osp.abspath(args.out)), exist_ok=True)
    with open(args.out, 'w') as f:
        json.dump(result, f, indent=2)
    print(f'written to {args.out}')


if __name__ == '__main__':
    main()

"""Time the torch and pydensecrf2 dense-CRF backends in one process on the same inputs.

    python tools/analysis_tools/benchmark_crf.py [--iterations 5] [--repeat 3]

Cases: 101x101 gray x 2 classes (TGS), 512x512 RGB x 21 classes (VOC-like), 1024x1024 RGB x 2.
Prints time per image for each backend (torch also for its first call on an image size, which
builds the position-only lattice that later calls reuse), the ratio (torch / pydensecrf; < 1 = torch
faster) and the fraction of pixels whose label agrees; with a CUDA device also a batch of 8
512x512x21 images on it and its throughput relative to pydensecrf on the CPU. Writes
work_dirs/benchmark_crf.json.
"""
import argparse
import json
import os
import platform
import time

import numpy as np
import torch

from seg_ext.core.crf import DenseCRF, pydensecrf_available
from seg_ext.core.synthetic import make_crf_problem

CASES = [(101, 101, 2, 1), (512, 512, 21, 3), (1024, 1024, 2, 3)]


def timed(fn, repeat: int):
    """Median wall time of ``fn()`` over ``repeat`` runs after the first, the first call's time
    (cold: includes building lattices that later calls on the same image size reuse) and the
    result."""
    t0 = time.perf_counter()
    out = fn()
    if torch.cuda.is_available():
        torch.cuda.synchronize()
    first = time.perf_counter() - t0
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        if torch.cuda.is_available():
            torch.cuda.synchronize()
        times.append(time.perf_counter() - t0)
    return float(np.median(times)), first, out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--iterations', type=int, default=5)
    parser.add_argument('--repeat', type=int, default=3)
    parser.add_argument('--out', default='work_dirs/benchmark_crf.json')
    args = parser.parse_args()
    if not pydensecrf_available():
        raise SystemExit("pydensecrf2 is not installed: pip install 'seg_ext[crf]'")
    torch_crf = DenseCRF(iterations=args.iterations, backend='torch')
    ref_crf = DenseCRF(iterations=args.iterations, backend='pydensecrf')
    rows = []
    for h, w, c, ch in CASES:
        image, probs, _ = make_crf_problem(h, w, c, ch, seed=h + c)
        img = image[..., 0] if ch == 1 else image
        p = torch.from_numpy(probs)
        t_torch, cold_torch, q_torch = timed(lambda: torch_crf(p, img), args.repeat)
        t_ref, _, q_ref = timed(lambda: ref_crf(p, img), args.repeat)
        agree = float((q_torch.argmax(0) == q_ref.argmax(0)).float().mean())
        rows.append(dict(case=f'{h}x{w}x{c}', channels=ch, torch_s=round(t_torch, 4),
                         torch_first_s=round(cold_torch, 4), pydensecrf_s=round(t_ref, 4),
                         ratio=round(t_torch / t_ref, 3), ratio_first=round(cold_torch / t_ref, 3),
                         label_agreement=round(agree, 5)))
    cpu = platform.processor() or platform.machine()
    print(f'dense CRF, {args.iterations} mean-field iterations, CPU: {cpu}, '
          f'torch threads: {torch.get_num_threads()}')
    print('| case | image | torch (s) | torch, first call (s) | pydensecrf2 (s) | '
          'torch / pydensecrf2 | first call / pydensecrf2 | label agreement |')
    print('|---|---|---|---|---|---|---|---|')
    for r in rows:
        print(f"| {r['case']} | {'gray' if r['channels'] == 1 else 'RGB'} | {r['torch_s']:.3f} | "
              f"{r['torch_first_s']:.3f} | {r['pydensecrf_s']:.3f} | {r['ratio']:.2f} | "
              f"{r['ratio_first']:.2f} | {100 * r['label_agreement']:.2f} % |")
    result = dict(iterations=args.iterations, torch_threads=torch.get_num_threads(), rows=rows)
    if torch.cuda.is_available():
        image, probs, _ = make_crf_problem(512, 512, 21, 3, seed=7)
        batch_p = torch.from_numpy(probs)[None].repeat(8, 1, 1, 1).cuda()
        batch_i = np.stack([image] * 8)
        t_gpu, _, _ = timed(lambda: torch_crf(batch_p, batch_i), args.repeat)
        ref = next(r for r in rows if r['case'] == '512x512x21')
        speedup = (8 / t_gpu) / (1 / ref['pydensecrf_s'])
        result['cuda'] = dict(device=torch.cuda.get_device_name(), batch=8, seconds=t_gpu,
                              images_per_s=8 / t_gpu, speedup_vs_pydensecrf_cpu=speedup)
        print(f'CUDA ({torch.cuda.get_device_name()}): 8 x 512x512x21 in {t_gpu:.3f} s = '
              f'{8 / t_gpu:.1f} img/s, {speedup:.1f}x pydensecrf2 on CPU')
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    json.dump(result, open(args.out, 'w'), indent=2)
    print(f'written to {args.out}')


if __name__ == '__main__':
    main()

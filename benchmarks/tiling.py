"""``tiling``: peak memory of tiled change detection (``PairInferencer`` with ``tile``) against
the image side, at a fixed tile size. Each side is measured in a fresh process (peak RSS,
``VmHWM``): the process's whole peak, and the part added by the prediction over the RSS after
the model and the pair exist. The claim checked: memory is bounded by the tile and the output,
not by running the model on the whole image -- a 4096² pair within 1.3× of a 1024² pair's peak.
"""
import argparse
import json
import os
import os.path as osp
import subprocess
import sys
import time
from typing import Any, Dict, List

import numpy as np
import psutil

from seg_ext.core.memory import peak_rss_mb, reset_peak_rss

from .common import ROOT, print_table
from .inference import PROBE_MALLOC_ENV

CHANGE_CONFIG = 'configs/changedet_levir_demo.py'
CLI = osp.join(ROOT, 'tools', 'analysis_tools', 'benchmark.py')


def tiling_probe(side: int, tile: int, overlap: int, device: str = 'cpu',
                 config: str = CHANGE_CONFIG) -> Dict[str, Any]:
    """Predict one random ``side``×``side`` RGB pair window by window, in this process.

    Returns the peak RSS of the process (MiB), the RSS before the prediction (model, libraries
    and the pair loaded) and the increment, the number of windows and the seconds taken.
    """
    from seg_ext.core.tiling import tile_windows
    from seg_ext.mmseg.apis.pair_inferencer import PairInferencer

    inferencer = PairInferencer(osp.join(ROOT, config), device=device)
    rng = np.random.default_rng(0)
    a = rng.integers(0, 256, (side, side, 3), dtype=np.uint8)
    b = rng.integers(0, 256, (side, side, 3), dtype=np.uint8)
    resettable = reset_peak_rss()
    # after the reset: the peak from here on is never below it
    base = psutil.Process().memory_info().rss / 2**20
    t0 = time.perf_counter()
    res = inferencer(a, b, tile=tile, overlap=overlap)
    seconds = time.perf_counter() - t0
    peak = peak_rss_mb()
    assert res.change_prob.shape == (side, side)
    return dict(side=side, tile=tile, overlap=overlap, peak_mb=peak, base_mb=base,
                # RSS counters are cached per thread: a difference below them reads as 0
                inference_mb=max(0.0, peak - base) if resettable else float('nan'),
                windows=len(tile_windows(side, side, tile, overlap)), seconds=seconds,
                input_mb=a.nbytes * 2 / 2**20, output_mb=res.probs.nbytes / 2**20,
                kind='peak RSS (VmHWM)' if resettable else 'ru_maxrss')


def probe_in_subprocess(side: int, args: argparse.Namespace) -> Dict[str, Any]:
    """:func:`tiling_probe` in a fresh process (allocator settings of the inference probes)."""
    cmd = [sys.executable, CLI, 'tiling-probe', '--side', str(side), '--tile', str(args.tile),
           '--overlap', str(args.overlap), '--threads', str(args.threads),
           '--device', args.device]
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT,
                          env=dict(os.environ, **PROBE_MALLOC_ENV))
    if proc.returncode != 0:
        raise RuntimeError(f'tiling probe failed for side {side}:\n{proc.stderr[-3000:]}')
    return json.loads(proc.stdout.strip().splitlines()[-1])


def plot_memory_curve(rows: List[Dict[str, Any]], path: str, tile: int, overlap: int) -> str:
    """Peak RSS and prediction increment against the image side (log-2 axis), as a PNG."""
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt

    sides = [r['side'] for r in rows]
    fig, ax = plt.subplots(figsize=(6, 4))
    ax.plot(sides, [r['peak_mb'] for r in rows], marker='o', label='process peak RSS')
    ax.plot(sides, [r['inference_mb'] for r in rows], marker='s',
            label='added by the prediction')
    ax.plot(sides, [r['input_mb'] + r['output_mb'] for r in rows], ls='--', color='gray',
            label='pair (uint8) + probabilities (float32)')
    ax.set_xscale('log', base=2)
    ax.set_xticks(sides, labels=[f'{s}²' for s in sides])
    ax.set(xlabel='image side (pair of RGB images)', ylabel='MiB', ylim=(0, None),
           title=f'tiled change detection, tile {tile}, overlap {overlap}')
    ax.legend(fontsize=8)
    fig.tight_layout()
    os.makedirs(osp.dirname(osp.abspath(path)), exist_ok=True)
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


def bench_tiling(args: argparse.Namespace) -> Dict[str, Any]:
    """``tiling``: peak memory per image side (fresh process each), ratios to the smallest."""
    sides = sorted(int(s) for s in str(args.sides).split(','))
    print(f'[tiling] {CHANGE_CONFIG}, tile {args.tile}, overlap {args.overlap}, sides {sides} '
          '(one fresh process each)', flush=True)
    rows = []
    for side in sides:
        r = probe_in_subprocess(side, args)
        print(f"[tiling] {side}x{side}: peak {r['peak_mb']:.0f} MiB (prediction "
              f"+{r['inference_mb']:.0f} MiB), {r['windows']} windows, {r['seconds']:.1f} s",
              flush=True)
        rows.append(r)
    ref = rows[0]
    for r in rows:
        r['peak_ratio_vs_smallest'] = r['peak_mb'] / ref['peak_mb']
    png = plot_memory_curve(rows, osp.join(args.out_dir, 'tiling_memory.png'), args.tile,
                            args.overlap)
    table = print_table(
        ['image side', 'windows', 'pair + probs (MiB)', 'peak RSS (MiB)', 'prediction (MiB)',
         f'peak ratio vs {ref["side"]}²', 's'],
        [[f"{r['side']}²", r['windows'], f"{r['input_mb'] + r['output_mb']:.0f}",
          f"{r['peak_mb']:.0f}", f"{r['inference_mb']:.0f}",
          f"{r['peak_ratio_vs_smallest']:.2f}", f"{r['seconds']:.1f}"] for r in rows])
    print(f'[tiling] memory curve: {png}', flush=True)
    return dict(config=CHANGE_CONFIG, tile=args.tile, overlap=args.overlap, sides=rows,
                plot=png, table=table)

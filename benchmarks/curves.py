"""``curves``: how cost grows with the work, drawn as PNGs next to the JSON.

- ``crf_scaling.png``: dense-CRF time per image against megapixels, torch and pydensecrf2, at 2 and
  21 classes (square RGB images, 5 mean-field iterations, the backends interleaved per point).
- ``eval_scaling.png``: ``SegMetric`` ``process()`` + ``compute_metrics()`` time against the
  number of 101×101 predictions, with the least-squares line through the origin (linear is the
  goal: per-image work is one ``bincount``, the final reduction is over a C×C matrix).
"""
import argparse
import os.path as osp
from typing import Any, Dict, List, Sequence

import numpy as np
import torch

from seg_ext.core.crf import DenseCRF, pydensecrf_available
from seg_ext.core.synthetic.crf_problem import make_crf_problem

from . import common as bm

CRF_SIDES = (256, 512, 768, 1024, 1280)
EVAL_COUNTS = (250, 500, 1000, 2000, 4000)


def crf_points(sides: Sequence[int], classes: Sequence[int], repeat: int,
               iterations: int = 5) -> List[Dict[str, Any]]:
    """Median seconds per image of both backends at each side × class count."""
    backends = ['torch'] + (['pydensecrf'] if pydensecrf_available() else [])
    points = []
    for c in classes:
        for side in sides:
            image, probs, _ = make_crf_problem(side, side, c, 3, seed=side + c)
            p = torch.from_numpy(probs)
            crfs = {b: DenseCRF(iterations=iterations, backend=b) for b in backends}

            def run(crf):
                def fn(iters: int) -> None:
                    for _ in range(iters):
                        crf(p, image)
                return fn

            stats = bm.interleaved_timing({b: run(crfs[b]) for b in backends}, repeat, 1,
                                          warmup=1)
            point = dict(classes=c, side=side, megapixels=side * side / 1e6,
                         **{f'{b}_s': stats[b]['median_s'] for b in backends})
            if 'pydensecrf' in backends:
                point['ratio'] = bm.ratio_of_medians(stats, 'torch', 'pydensecrf')
            print(f'[curves] crf {side}x{side} x{c}: ' + ', '.join(
                f"{b} {point[f'{b}_s']:.3f} s" for b in backends), flush=True)
            points.append(point)
    return points


def eval_points(counts: Sequence[int], repeat: int, size: int = 101) -> List[Dict[str, Any]]:
    """Median seconds of ``SegMetric`` process + compute for each number of predictions."""
    from mmengine.logging import MMLogger

    from seg_ext.mmseg.evaluation import SegMetric

    from .metric import synthetic_predictions
    MMLogger.get_instance('benchmark_curves', log_level='WARNING')
    samples = synthetic_predictions(max(counts), size)
    fns = {}
    for n in counts:
        batches = [samples[i:i + 16] for i in range(0, n, 16)]

        def fn(iters: int, batches=batches) -> None:
            for _ in range(iters):
                metric = SegMetric(tgs_score=True)
                metric.dataset_meta = dict(classes=('background', 'salt'))
                for batch in batches:
                    metric.process({}, batch)
                metric.compute_metrics(metric.results)
        fns[str(n)] = fn
    stats = bm.interleaved_timing(fns, repeat, 1, warmup=1)
    return [dict(images=n, seconds=stats[str(n)]['median_s']) for n in counts]


def linear_fit(xs: Sequence[float], ys: Sequence[float]) -> Dict[str, float]:
    """Least-squares slope through the origin and the largest relative residual."""
    x, y = np.asarray(xs, float), np.asarray(ys, float)
    slope = float((x * y).sum() / (x * x).sum())
    return dict(slope=slope, max_rel_residual=float(np.max(np.abs(y - slope * x) / y)))


def _figure():
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    return plt, plt.subplots(figsize=(5.2, 3.4), dpi=90)


def _finish(plt, fig, ax, path: str, note: str) -> str:
    """Grid, legend, the machine note at the bottom; saved to ``path``."""
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7)
    fig.text(0.01, 0.01, note, fontsize=6, color='gray')
    fig.tight_layout(rect=(0, 0.03, 1, 1))
    fig.savefig(path)
    plt.close(fig)
    return path


def plot_crf(points: List[Dict[str, Any]], path: str, note: str) -> str:
    plt, (fig, ax) = _figure()
    styles = {'torch': '-o', 'pydensecrf': '--s'}
    for c in sorted({p['classes'] for p in points}):
        pts = [p for p in points if p['classes'] == c]
        for b, style in styles.items():
            if f'{b}_s' in pts[0]:
                ax.plot([p['megapixels'] for p in pts], [p[f'{b}_s'] for p in pts], style,
                        label=f"{'torch' if b == 'torch' else 'pydensecrf2'}, {c} classes",
                        markersize=4)
    ax.set_xlabel('megapixels')
    ax.set_ylabel('seconds per image')
    ax.set_title('Dense CRF, 5 iterations', fontsize=10)
    return _finish(plt, fig, ax, path, note)


def plot_eval(points: List[Dict[str, Any]], fit: Dict[str, float], path: str, note: str) -> str:
    plt, (fig, ax) = _figure()
    xs = [p['images'] for p in points]
    ax.plot(xs, [p['seconds'] for p in points], 'o', label='SegMetric, measured')
    ax.plot([0, max(xs)], [0, fit['slope'] * max(xs)], '-', alpha=0.6,
            label=f"linear: {fit['slope'] * 1e3:.3f} ms / image")
    ax.set_xlabel('images (101×101)')
    ax.set_ylabel('seconds (process + compute)')
    ax.set_title('Evaluation time vs dataset size', fontsize=10)
    return _finish(plt, fig, ax, path, note)


def bench_curves(args: argparse.Namespace) -> Dict[str, Any]:
    """``curves``: measure both scaling series and draw them under ``--out-dir``."""
    note = (f"{bm.cpu_model()}, {torch.get_num_threads()} torch threads, "
            f"load {bm.load_average()}")
    crf = crf_points(args.curve_sides or CRF_SIDES, (2, 21), args.repeat)
    counts = args.curve_counts or EVAL_COUNTS
    torch.set_num_threads(args.metric_threads)
    ev = eval_points(counts, args.repeat)
    fit = linear_fit([p['images'] for p in ev], [p['seconds'] for p in ev])
    figs = [plot_crf(crf, osp.join(args.out_dir, 'crf_scaling.png'), note),
            plot_eval(ev, fit, osp.join(args.out_dir, 'eval_scaling.png'), note)]
    print(f"[curves] SegMetric: {fit['slope'] * 1e3:.3f} ms/image, largest deviation from the "
          f"line {100 * fit['max_rel_residual']:.1f} %; figures: {', '.join(figs)}", flush=True)
    return dict(crf=crf, eval=ev, eval_fit=fit, figures=figs)

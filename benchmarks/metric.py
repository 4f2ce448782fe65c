"""``metric``: ``SegMetric`` (PA/MPA/mIoU/FWIoU/TGS) against mmseg's ``IoUMetric``:
``process()`` + ``compute_metrics()`` on the same synthetic predictions."""
import argparse
from typing import Any, Callable, Dict, List

import numpy as np
import torch
from mmengine.logging import MMLogger
from mmseg.evaluation import IoUMetric

from seg_ext.core.synthetic.tgs_salt import salt_mask
from seg_ext.mmseg.evaluation import SegMetric

from . import common as bm
from .common import print_table, progress


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

"""``crf``: the torch dense CRF against pydensecrf2 (Krähenbühl's C++), class count × image size.

Both backends run the same inputs in one process, interleaved in rounds (A B, B A, ...); each cell
reports the median time per image of each, their ratio (torch / pydensecrf2; < 1: torch faster)
and the fraction of pixels whose label agrees. The torch backend's position-only lattice is built
once per image size and reused (what a test loop over same-size images does); its first call is
reported separately. Cells slower than pydensecrf2 get a profile (torch.profiler, operators by
self CPU time) so that the reason is on record.
"""
import argparse
from typing import Any, Dict, List, Tuple

import numpy as np
import torch

from seg_ext.core.crf import DenseCRF, pydensecrf_available
from seg_ext.core.synthetic.crf_problem import make_crf_problem

from . import common as bm
from .common import print_table, progress

SIZES = {'101x101 gray': (101, 101, 1), '512x512': (512, 512, 3), '1024x1024': (1024, 1024, 3),
         'photo 427x640': (427, 640, 3), 'real photo 600x512': (600, 512, 3)}
CLASSES = (2, 4, 8, 14, 21)


def photo_like_problem(height: int, width: int, num_classes: int, seed: int = 0
                       ) -> Tuple[np.ndarray, np.ndarray]:
    """An RGB image with what makes a photo expensive for the bilateral lattice -- smooth
    shading, texture and many distinct colours -- over 40 object regions, and speckled class
    probabilities (C, H, W) for it (the real photograph is ``real_photo_problem``'s)."""
    image, probs, _ = make_crf_problem(height, width, num_classes, 3, noise=1.5, seed=seed,
                                       regions=40)
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:height, 0:width] / max(height, width)
    shade = np.zeros((height, width, 3))
    for _ in range(4):  # low-frequency illumination and colour casts
        f = rng.uniform(1, 6, 2)
        shade += rng.uniform(-30, 30, 3) * np.sin(2 * np.pi * (f[0] * yy + f[1] * xx)
                                                  + rng.uniform(0, 6.3))[..., None]
    texture = rng.normal(0, 12, (height, width, 3))
    img = np.clip(image.astype(np.float64) + shade + texture, 0, 255).astype(np.uint8)
    return img, probs


def real_photo_problem(num_classes: int, seed: int = 0) -> Tuple[np.ndarray, np.ndarray]:
    """A real photograph -- matplotlib's sample ``grace_hopper.jpg`` (600×512 RGB, installed with
    matplotlib) -- and speckled class probabilities (C, H, W) of its colour clusters (k-means on
    the pixels' colours, then ``softmax(2 · onehot + 1.5 · N(0, 1))`` as for the synthetic
    cases)."""
    from matplotlib import cbook
    from PIL import Image
    with Image.open(cbook.get_sample_data('grace_hopper.jpg', asfileobj=False)) as im:
        img = np.asarray(im.convert('RGB'))
    rng = np.random.default_rng(seed)
    pixels = img.reshape(-1, 3).astype(np.float32)
    centres = pixels[rng.choice(len(pixels), num_classes, replace=False)]
    sample = pixels[rng.choice(len(pixels), min(len(pixels), 20000), replace=False)]
    for _ in range(10):  # Lloyd iterations on a sample
        nearest = ((sample[:, None] - centres[None])**2).sum(-1).argmin(1)
        for c in range(num_classes):
            if (nearest == c).any():
                centres[c] = sample[nearest == c].mean(0)
    labels = ((pixels[:, None] - centres[None])**2).sum(-1).argmin(1).reshape(img.shape[:2])
    logits = 2.0 * np.eye(num_classes, dtype=np.float32)[labels] + \
        1.5 * rng.standard_normal(labels.shape + (num_classes, )).astype(np.float32)
    probs = np.exp(logits - logits.max(-1, keepdims=True))
    probs /= probs.sum(-1, keepdims=True)
    return img, np.ascontiguousarray(probs.transpose(2, 0, 1))


def crf_case(name: str, num_classes: int, seed: int = 0) -> Tuple[np.ndarray, torch.Tensor]:
    """Image (H, W[, 3]) and probabilities (C, H, W) of one benchmark cell."""
    h, w, ch = SIZES[name]
    if name.startswith('real photo'):
        image, probs = real_photo_problem(num_classes, seed)
    elif name.startswith('photo'):
        image, probs = photo_like_problem(h, w, num_classes, seed)
    else:
        image, probs, _ = make_crf_problem(h, w, num_classes, ch, seed=seed + num_classes)
        image = image[..., 0] if ch == 1 else image
    return image, torch.from_numpy(probs)


def softmax_layouts(n: int = 2**20, classes=(2, 4, 8, 14, 21), min_run_time: float = 0.3
                    ) -> Dict[str, Any]:
    """Micro-benchmark behind ``mean_field.softmax_rows``: torch's row-wise softmax of (N, C),
    the column-wise one of its transpose, and ``softmax_rows`` (global maximum, matrix-vector
    row sums), by ``torch.utils.benchmark.Timer.blocked_autorange``; returns the ratios
    (each / row-wise) and ``Compare``'s table."""
    from torch.utils.benchmark import Compare, Timer

    from seg_ext.core.crf.mean_field import softmax_rows
    ms, ratio = [], {}
    stmts = {'softmax(x, 1)': 'torch.softmax(x, 1)',
             'softmax(x.t(), 0).t().contiguous()': 'torch.softmax(x.t(), 0).t().contiguous()',
             'softmax_rows(x)': 'softmax_rows(x)'}
    for c in classes:
        x = torch.randn(n, c)
        got = {k: Timer(v, globals=dict(torch=torch, x=x, softmax_rows=softmax_rows),
                        label=f'softmax of ({n}, C)', sub_label=f'C={c}',
                        description=k).blocked_autorange(min_run_time=min_run_time)
               for k, v in stmts.items()}
        ms += list(got.values())
        base, transposed, ours = (m.median for m in got.values())
        ratio[f'C={c}'] = dict(transposed=transposed / base, softmax_rows=ours / base)
    return dict(ratio_over_rows=ratio, table=str(Compare(ms)))


def profile_torch_crf(crf: DenseCRF, probs: torch.Tensor, image, top: int = 12) -> List[list]:
    """Operators of one warm torch-backend call by self CPU time: [name, ms, % , calls]."""
    from torch.profiler import ProfilerActivity, profile
    crf(probs, image)
    with profile(activities=[ProfilerActivity.CPU]) as prof:
        crf(probs, image)
    events = sorted(prof.key_averages(), key=lambda e: e.self_cpu_time_total, reverse=True)
    total = sum(e.self_cpu_time_total for e in events) or 1.0
    return [[e.key, round(e.self_cpu_time_total / 1000, 1),
             round(100 * e.self_cpu_time_total / total, 1), e.count] for e in events[:top]]


def bench_crf_cell(name: str, num_classes: int, iterations: int, repeat: int,
                   do_profile: bool = False) -> Dict[str, Any]:
    """One cell: both backends interleaved; ratio, agreement, torch's first call."""
    image, probs = crf_case(name, num_classes)
    torch_crf = DenseCRF(iterations=iterations, backend='torch')
    ref_crf = DenseCRF(iterations=iterations, backend='pydensecrf')
    out: Dict[str, torch.Tensor] = {}
    first = bm.timer_seconds(lambda: out.__setitem__('torch', torch_crf(probs, image)))

    def run(crf, key):
        def fn(iters: int) -> None:
            for _ in range(iters):
                out[key] = crf(probs, image)
        return fn

    stats = bm.interleaved_timing(dict(torch=run(torch_crf, 'torch'),
                                       pydensecrf=run(ref_crf, 'pydensecrf')),
                                  repeat, 1, warmup=1)
    agree = float((out['torch'].argmax(0) == out['pydensecrf'].argmax(0)).float().mean())
    row = dict(case=name, classes=num_classes, pixels=int(probs[0].numel()),
               torch_s=stats['torch']['median_s'], pydensecrf_s=stats['pydensecrf']['median_s'],
               torch_first_s=first, ratio=bm.ratio_of_medians(stats, 'torch', 'pydensecrf'),
               paired_ratio=bm.paired_ratio(stats, 'torch', 'pydensecrf'),
               label_agreement=agree)
    if do_profile and row['ratio'] > 1.0:
        row['profile'] = profile_torch_crf(torch_crf, probs, image)
    return row


def bench_crf(args: argparse.Namespace) -> Dict[str, Any]:
    """``crf``: the class-count × size table of torch / pydensecrf2 time ratios."""
    if not pydensecrf_available():
        raise SystemExit("the crf benchmark needs pydensecrf2: pip install 'seg_ext[crf]'")
    sizes = args.crf_sizes or list(SIZES)
    classes = args.crf_classes or list(CLASSES)
    print(f'[crf] {args.crf_iterations} mean-field iterations, {args.repeat} interleaved rounds, '
          f'torch threads {torch.get_num_threads()}; sizes {sizes}, classes {classes}', flush=True)
    rows = []
    for name in sizes:
        for c in classes:
            row = bench_crf_cell(name, c, args.crf_iterations, args.repeat, args.crf_profile)
            progress('crf')(len(rows), {f'{name} x{c} torch': row['torch_s'],
                                        'pydensecrf': row['pydensecrf_s']})
            rows.append(row)
    table = [[r['case'], r['classes'], f"{r['torch_s']:.3f}", f"{r['pydensecrf_s']:.3f}",
              f"{r['ratio']:.2f}", f"{r['torch_first_s']:.3f}",
              f"{100 * r['label_agreement']:.2f} %"] for r in rows]
    result = dict(iterations=args.crf_iterations, rows=rows,
                  ratios={f"ratio {r['case']} x{r['classes']}": r['ratio'] for r in rows})
    result['table'] = print_table(['case', 'classes', 'torch (s)', 'pydensecrf2 (s)',
                                   'torch / pydensecrf2', 'torch first call (s)',
                                   'label agreement'], table)
    ratio = {(r['case'], r['classes']): r['ratio'] for r in rows}
    grid = [[name] + [f'{ratio[name, c]:.2f}' for c in classes] for name in sizes]
    result['grid'] = print_table(['size \\ classes'] + [str(c) for c in classes], grid)
    result['softmax'] = softmax_layouts()
    print(result['softmax']['table'], flush=True)
    for r in rows:
        if 'profile' in r:
            print(f"[crf] profile of {r['case']} x{r['classes']} (ratio {r['ratio']:.2f}):")
            print_table(['operator', 'self CPU ms', '%', 'calls'], r['profile'])
    return result

"""Grid-search dense/grid CRF parameters for a trained model on a tuning split.

    python tools/analysis_tools/tune_crf.py configs/unet_salt_demo.py CKPT \
        --cfg-options test_dataloader.dataset.data_root=data/tgs_salt_tune \
        test_dataloader.dataset.ann_file='' --out work_dirs/crf_tuning.json

The model runs once over the test dataloader (point it at data that is *not* your reporting split);
every CRF setting of the grid is then applied to the cached probabilities and scored (mIoU, FWIoU,
TGS, and the foreground F1 of change detection). Prints the table best first and writes JSON. The
default grid suits small grayscale images.
"""
import argparse
import itertools
import json
import os
import os.path as osp

import numpy as np
import torch
from mmengine.config import Config, DictAction
from mmengine.registry import init_default_scope
from mmengine.runner import Runner, load_checkpoint

import seg_ext  # noqa: F401
from seg_ext.engine.hooks.crf_hook import CRFHook, class_probabilities
from seg_ext.engine.model_stats import build_eval_model
from seg_ext.evaluation import confusion_matrix, seg_scores, tgs_image_scores


def collect(cfg: Config, checkpoint: str, image_keys, color_type: str):
    """Probabilities, ground truth and CRF image of every test sample (model run once)."""
    model = build_eval_model(cfg)
    load_checkpoint(model, checkpoint, map_location='cpu')
    loader = Runner.build_dataloader(cfg.test_dataloader)
    reader = CRFHook(dict(type='GridCRF'), image_keys, color_type)
    out = []
    with torch.no_grad():
        for batch in loader:
            for s in model.test_step(batch):
                out.append((class_probabilities(s.seg_logits.data).cpu(),
                            s.gt_sem_seg.data[0].cpu(), reader._image(s.metainfo),
                            s.seg_logits.data.shape[0] == 1))
    return out


def score(samples, preds, num_classes: int):
    cm = sum(confusion_matrix(p, s[1], num_classes).numpy() for s, p in zip(samples, preds))
    scores = seg_scores(cm)
    fg = [(int(((p == 1) & (s[1] == 1)).sum()), int((s[1] == 1).sum()), int((p == 1).sum()))
          for s, p in zip(samples, preds)]
    tgs = tgs_image_scores(*map(np.array, zip(*fg))).mean() if num_classes == 2 else float('nan')
    tp, gt, pr = (sum(f[i] for f in fg) for i in range(3))
    f1 = 2 * tp / max(gt + pr, 1) if num_classes == 2 else float('nan')  # change F1 for CD
    return dict(mIoU=round(100 * scores['mIoU'], 2), FWIoU=round(100 * scores['FWIoU'], 2),
                TGS=round(100 * tgs, 2), F1=round(100 * f1, 2))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('config')
    parser.add_argument('checkpoint')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    parser.add_argument('--gaussian-sxy', type=float, nargs='+', default=[1.0, 3.0])
    parser.add_argument('--gaussian-compat', type=float, nargs='+', default=[0.0, 1.0, 3.0])
    parser.add_argument('--bilateral-sxy', type=float, nargs='+', default=[5.0, 10.0, 20.0])
    parser.add_argument('--bilateral-srgb', type=float, nargs='+', default=[5.0, 10.0, 20.0])
    parser.add_argument('--bilateral-compat', type=float, nargs='+', default=[0.0, 1.0, 3.0, 5.0])
    parser.add_argument('--iterations', type=int, default=5)
    parser.add_argument('--out', default='work_dirs/crf_tuning.json')
    args = parser.parse_args()

    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    init_default_scope(cfg.get('default_scope', 'mmseg'))
    pipeline = cfg.test_dataloader.dataset.pipeline
    pair = any(str(t.get('type', '')).startswith('LoadBiTemporal') for t in pipeline)
    loader = next(t for t in pipeline if str(t.get('type', '')).startswith('Load'))
    samples = collect(cfg, args.checkpoint, ('img_path', 'img_path2') if pair else ('img_path', ),
                      loader.get('color_type', 'color'))
    num_classes = samples[0][0].shape[0]
    print(f'{len(samples)} samples cached')

    def predict(probs_list):
        return [(q[1] > 0.5).long() if binary else q.argmax(0)
                for q, (_, _, _, binary) in zip(probs_list, samples)]

    rows = [dict(crf='none', **score(samples, predict([s[0] for s in samples]), num_classes))]
    grid = itertools.product(args.gaussian_sxy, args.gaussian_compat, args.bilateral_sxy,
                             args.bilateral_srgb, args.bilateral_compat)
    seen = set()
    for gs, gc, bs, br, bc in grid:
        key = (gs if gc else 0, gc, bs if bc else 0, br if bc else 0, bc)
        if key in seen or (gc == 0 and bc == 0):
            continue
        seen.add(key)
        crf = seg_ext.postprocessing.DenseCRF(args.iterations, dict(sxy=gs, compat=gc),
                                               dict(sxy=bs, srgb=br, compat=bc))
        refined = []
        for i in range(0, len(samples), 64):  # same-size batches
            chunk = samples[i:i + 64]
            if len({tuple(s[0].shape) for s in chunk}) == 1:
                refined += list(crf(torch.stack([s[0] for s in chunk]),
                                    np.stack([s[2] for s in chunk])))
            else:
                refined += [crf(s[0], s[2]) for s in chunk]
        rows.append(dict(crf=dict(type='DenseCRF', iterations=args.iterations,
                                  gaussian=dict(sxy=gs, compat=gc),
                                  bilateral=dict(sxy=bs, srgb=br, compat=bc)),
                         **score(samples, predict(refined), num_classes)))
    rows.sort(key=lambda r: (-r['mIoU'], -r['TGS'] if r['TGS'] == r['TGS'] else 0))
    print('| mIoU | FWIoU | TGS | F1 | crf |\n|---|---|---|---|---|')
    for r in rows[:15]:
        print(f"| {r['mIoU']} | {r['FWIoU']} | {r['TGS']} | {r['F1']} | {r['crf']} |")
    print('no CRF:', next(r for r in rows if r['crf'] == 'none'))
    os.makedirs(osp.dirname(osp.abspath(args.out)), exist_ok=True)
    json.dump(rows, open(args.out, 'w'), indent=2)
    print(f'written to {args.out}')


if __name__ == '__main__':
    main()

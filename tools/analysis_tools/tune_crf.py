"""Grid-search dense/grid CRF parameters for a trained model on a tuning split.

    python tools/analysis_tools/tune_crf.py configs/unet_salt_demo.py CKPT \
        --cfg-options test_dataloader.dataset.data_root=data/tgs_salt_tune \
        test_dataloader.dataset.ann_file='' --out work_dirs/crf_tuning.json

The model runs once over the test dataloader (point it at data that is *not* your reporting split);
every CRF setting of the grid is then applied to the cached probabilities and scored (mIoU, FWIoU,
TGS, and the foreground F1 of change detection). Prints the table best first and writes JSON. The
default grid suits small grayscale images. ``tune_postprocess.py`` searches the CRF jointly with
the threshold, the minimum component area and the empty-mask gate, and writes a config
``tools/test.py`` runs.
"""
import argparse
import itertools
import json
import os
import os.path as osp

import numpy as np
import torch
from mmengine.config import DictAction
from mmengine.registry import init_default_scope
from mmengine.runner import Runner, load_checkpoint

import seg_ext.mmseg  # noqa: F401
from seg_ext.core.crf import (
    DenseCRF,
    class_probabilities,
    labels_from_probabilities,
    refine_probabilities,
)
from seg_ext.core.metrics import change_scores, confusion_matrix, seg_scores, tgs_image_scores
from seg_ext.mmseg.apis.model_stats import build_eval_model
from seg_ext.mmseg.apis.runner_setup import load_config
from seg_ext.mmseg.models.segmentors import original_image


def collect(cfg, checkpoint: str):
    """Probabilities, ground truth and CRF image of every test sample (model run once)."""
    model = build_eval_model(cfg)
    load_checkpoint(model, checkpoint, map_location='cpu')
    loader = Runner.build_dataloader(cfg.test_dataloader)
    out = []
    with torch.no_grad():
        for batch in loader:
            images = [original_image(x, s.metainfo)
                      for x, s in zip(batch['inputs'], batch['data_samples'])]
            for s, image in zip(model.test_step(batch), images):
                out.append((class_probabilities(s.seg_logits.data).cpu(),
                            s.gt_sem_seg.data[0].cpu(), image, s.seg_logits.data.shape[0] == 1))
    return out


def score(samples, preds, num_classes: int):
    """mIoU / FWIoU of the dataset confusion matrix; for two classes also the TGS score (per
    image) and the F1 of class 1 (change detection's F1)."""
    per_image = [confusion_matrix(p, s[1], num_classes).numpy() for s, p in zip(samples, preds)]
    cm = sum(per_image)
    scores = seg_scores(cm)
    tgs = f1 = float('nan')
    if num_classes == 2:
        m = np.stack(per_image)
        tgs = tgs_image_scores(m[:, 1, 1], m[:, 1, :].sum(1), m[:, :, 1].sum(1)).mean()
        f1 = change_scores(cm)['F1']
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

    cfg = load_config(args.config, args.cfg_options)
    init_default_scope(cfg.get('default_scope', 'mmseg'))
    samples = collect(cfg, args.checkpoint)
    num_classes = samples[0][0].shape[0]
    print(f'{len(samples)} samples cached')

    def predict(probs_list):
        return [labels_from_probabilities(q, binary)
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
        crf = DenseCRF(args.iterations, dict(sxy=gs, compat=gc), dict(sxy=bs, srgb=br, compat=bc))
        refined = []
        for i in range(0, len(samples), 64):  # same-size images as one batch
            chunk = samples[i:i + 64]
            refined += refine_probabilities(crf, [s[0] for s in chunk], [s[2] for s in chunk])
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

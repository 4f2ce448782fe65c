"""Joint search of the test-time post-processing on cached network outputs.

The model runs once over a split (:func:`collect`); every combination of sigmoid threshold,
minimum component area, empty-gate threshold (UNetHead ``empty_branch``) and CRF setting is then
applied to the cached logits exactly as ``tools/test.py`` applies it (gate -> CRF -> threshold /
arg-max -> small components removed, :mod:`seg_ext.core.postprocess`) and scored
(:func:`search`). :func:`write_snippet` writes the winner as a config that inherits the tuned one
and that ``tools/test.py`` runs as it is.
"""
import itertools
import os
import os.path as osp
from dataclasses import dataclass
from typing import Dict, List, Optional, Sequence

import numpy as np
import torch
from torch import Tensor

from ...core.crf import class_probabilities, labels_from_probabilities, refine_probabilities
from ...core.errors import ConfigError
from ...core.metrics import change_scores, confusion_matrix, seg_scores, tgs_image_scores
from ...core.postprocess import remove_small_components_tensor
from ..engine.loops.val_loss_loop import crop_to_original
from ..models.segmentors.crf_refiner import original_image
from ..registry import build_postprocessor

__all__ = ['Cached', 'collect', 'scores', 'search', 'write_snippet', 'GATE_OFF', 'METRICS']

GATE_OFF = 1.01  # an empty-gate threshold no probability reaches: the gate is off
METRICS = ('TGS', 'mIoU', 'F1')


@dataclass
class Cached:
    """One image: ungated logits at the original size (C, H, W), the empty probability (or
    ``None``), the ground truth (H, W) and the image the CRF sees (H, W, K)."""
    logits: Tensor
    p_empty: Optional[float]
    gt: Tensor
    image: np.ndarray


def collect(model, loader) -> List[Cached]:
    """Run ``model`` (an ``EncoderDecoder`` in eval mode) once over ``loader``."""
    head = model.decode_head
    with_empty = bool(getattr(head, 'empty_cfg', None))
    if with_empty and model.test_cfg.get('mode', 'whole') != 'whole':
        raise ConfigError('test_cfg', "the empty-gate tuner needs test_cfg.mode='whole'")
    out = []
    with torch.no_grad():
        for batch in loader:
            images = [original_image(x, s.metainfo)
                      for x, s in zip(batch['inputs'], batch['data_samples'])]
            data = model.data_preprocessor(batch, False)
            inputs, samples = data['inputs'], data['data_samples']
            metas = [s.metainfo for s in samples]
            p_empty = [None] * len(samples)
            if with_empty:
                logits, p = head.forward_with_empty(model.extract_feat(inputs))
                logits = head.predict_by_feat(logits, metas)
                p_empty = p.tolist()
            else:
                logits = model.inference(inputs, metas)
            for i, s in enumerate(samples):
                x = crop_to_original(logits[i:i + 1], metas[i], head.align_corners)[0]
                out.append(Cached(x.float().cpu(), p_empty[i], s.gt_sem_seg.data[0].cpu(),
                                  images[i]))
    return out


def scores(per_image: Sequence[np.ndarray], num_classes: int) -> Dict[str, float]:
    """mIoU and FWIoU of the summed confusion matrix; for two classes the TGS score (per image)
    and the F1 of class 1; in %, rounded to 2 decimals as mmseg's metrics print them."""
    cm = np.sum(per_image, axis=0)
    s = seg_scores(cm)
    tgs = f1 = float('nan')
    if num_classes == 2:
        m = np.stack(per_image)
        tgs = float(tgs_image_scores(m[:, 1, 1], m[:, 1, :].sum(1), m[:, :, 1].sum(1)).mean())
        f1 = change_scores(cm)['F1']
    return dict(mIoU=round(100 * float(s['mIoU']), 2), FWIoU=round(100 * float(s['FWIoU']), 2),
                TGS=round(100 * tgs, 2), F1=round(100 * f1, 2))


def _probabilities(c: Cached) -> Tensor:
    """As mmseg's ``postprocess_result`` + ``class_probabilities``: sigmoid for 1 channel."""
    return class_probabilities(c.logits.sigmoid() if c.logits.shape[0] == 1 else c.logits)


def search(samples: Sequence[Cached], num_classes: int, metric: str = 'TGS',
           thresholds: Sequence[float] = (0.5, ), min_areas: Sequence[int] = (0, ),
           empty_thresholds: Sequence[float] = (GATE_OFF, ),
           crfs: Sequence[Optional[dict]] = (None, ),
           ignore_index: int = 255) -> List[dict]:
    """Score every combination; rows best first (ties: the earlier, i.e. simpler, setting).

    ``thresholds`` apply to sigmoid (1-channel) heads only; ``empty_thresholds`` only when the
    samples carry an empty probability; a ``crfs`` entry is a ``POSTPROCESSORS`` config or
    ``None`` (no CRF).
    """
    if metric not in METRICS:
        raise ValueError(f'metric must be one of {METRICS}, got {metric!r}')
    binary = samples[0].logits.shape[0] == 1
    thresholds = list(thresholds) if binary else [None]
    with_empty = samples[0].p_empty is not None
    empty_thresholds = list(empty_thresholds) if with_empty else [GATE_OFF]
    background = [confusion_matrix(torch.zeros_like(c.gt), c.gt, num_classes,
                                   ignore_index).numpy() for c in samples]
    probs = [_probabilities(c) for c in samples]
    rows = []
    for crf_cfg in crfs:
        refined = probs if crf_cfg is None else refine_probabilities(
            build_postprocessor(crf_cfg), probs, [c.image for c in samples])
        for t, area in itertools.product(thresholds, min_areas):
            cms = [confusion_matrix(
                remove_small_components_tensor(
                    labels_from_probabilities(q, binary, 0.5 if t is None else t), area),
                c.gt, num_classes, ignore_index).numpy() for q, c in zip(refined, samples)]
            for te in empty_thresholds:
                gated = [bg if c.p_empty is not None and c.p_empty >= te else cm
                         for c, cm, bg in zip(samples, cms, background)]
                rows.append(dict(threshold=t, min_area=int(area), empty_threshold=te,
                                 crf=crf_cfg, **scores(gated, num_classes)))
    order = sorted(range(len(rows)), key=lambda i: (-_key(rows[i][metric]), i))
    return [rows[i] for i in order]


def _key(value: float) -> float:
    return value if value == value else float('-inf')  # NaN last


def write_snippet(path: str, config_path: str, best: dict, metric: str, split: str,
                  with_empty: bool) -> str:
    """Write ``best`` as a config inheriting ``config_path``: ``tools/test.py path CKPT`` then
    applies the settings (decode head threshold, empty-gate threshold, ``crf``,
    ``postprocess.min_area``)."""
    head = {}
    if best['threshold'] is not None:
        head['threshold'] = best['threshold']
    if with_empty:
        head['empty_branch'] = dict(threshold=best['empty_threshold'])
    crf = dict(best['crf'], enabled=True) if best['crf'] else dict(enabled=False)
    lines = [
        f'# Post-processing chosen by tools/analysis_tools/tune_postprocess.py for {metric}',
        f'# on {split}: ' + ', '.join(f'{k} {best[k]}' for k in METRICS + ('FWIoU', )) + '.',
        '# Report scores on another split. empty_branch.threshold > 1 means the gate is off.',
        f'_base_ = [{osp.abspath(config_path)!r}]',
    ]
    if head:
        lines.append(f'model = dict(decode_head={head!r})')
    lines += [f'crf = dict(_delete_=True, **{crf!r})',
              f"postprocess = dict(min_area={best['min_area']})", '']
    os.makedirs(osp.dirname(osp.abspath(path)), exist_ok=True)
    with open(path, 'w') as f:
        f.write('\n'.join(lines))
    return path

"""Panoptic quality (PQ = SQ x RQ, Kirillov et al.) as computed by COCO's ``panopticapi``.

``panopticapi`` is installed from GitHub only; Detectron2's ``COCOPanopticEvaluator`` imports
``panopticapi.utils.id2rgb`` and ``panopticapi.evaluation.pq_compute``. This module implements
the same matching (a predicted and a ground-truth segment of the same category match when
IoU > 0.5, VOID and crowd pixels excluded from the union; unmatched predictions that are mostly
VOID/crowd are not false positives) with the same inputs and result layout; the Detectron2 plugin
makes it importable under that name when the real one is absent (``seg_ext.d2.compat``).
"""
import json
import os.path as osp
from collections import defaultdict
from typing import Dict, Sequence

import numpy as np
from PIL import Image

from ..coco.formats import rgb2id
from ..errors import DataError, MissingDataError

OFFSET = 256 * 256 * 256
VOID = 0


class PQStat:
    """Per-category TP/FP/FN counts and summed IoU of matched segments."""

    def __init__(self) -> None:
        self.iou: Dict[int, float] = defaultdict(float)
        self.tp: Dict[int, int] = defaultdict(int)
        self.fp: Dict[int, int] = defaultdict(int)
        self.fn: Dict[int, int] = defaultdict(int)

    def pq_average(self, categories: Dict[int, dict], isthing=None) -> tuple:
        """Mean PQ/SQ/RQ over the categories (things, stuff or all) that occur, and per class."""
        pq = sq = rq = 0.0
        n = 0
        per_class = {}
        for label, info in categories.items():
            if isthing is not None and bool(info['isthing']) != isthing:
                continue
            tp, fp, fn, iou = self.tp[label], self.fp[label], self.fn[label], self.iou[label]
            if tp + fp + fn == 0:
                per_class[label] = dict(pq=0.0, sq=0.0, rq=0.0)
                continue
            n += 1
            pq_c = iou / (tp + 0.5 * fp + 0.5 * fn)
            sq_c = iou / tp if tp else 0.0
            rq_c = tp / (tp + 0.5 * fp + 0.5 * fn)
            per_class[label] = dict(pq=pq_c, sq=sq_c, rq=rq_c)
            pq, sq, rq = pq + pq_c, sq + sq_c, rq + rq_c
        if n == 0:
            return dict(pq=0.0, sq=0.0, rq=0.0, n=0), per_class
        return dict(pq=pq / n, sq=sq / n, rq=rq / n, n=n), per_class


def pq_image(stat: PQStat, gt: np.ndarray, pred: np.ndarray, gt_segments: Sequence[dict],
             pred_segments: Sequence[dict], categories: Dict[int, dict],
             source: str = '<image>') -> None:
    """Accumulate one image: ``gt``/``pred`` are segment-id maps, the segments their
    ``segments_info`` (``id``, ``category_id``, optional ``iscrowd``)."""
    gt_segms = {s['id']: dict(s) for s in gt_segments}
    pred_segms = {s['id']: dict(s) for s in pred_segments}
    for segms, ids, what in ((gt_segms, gt, 'ground truth'), (pred_segms, pred, 'prediction')):
        labels, areas = np.unique(ids, return_counts=True)
        for label, area in zip(labels.tolist(), areas.tolist()):
            if label == VOID:
                continue
            if label not in segms:
                raise DataError(source, f'{what} segment id {label} is in the PNG but not in '
                                'segments_info')
            segms[label]['area'] = area
        for label, s in segms.items():
            if s['category_id'] not in categories:
                raise DataError(source, f'{what} category {s["category_id"]} is unknown')
            s.setdefault('area', 0)
    joint = gt.astype(np.uint64) * OFFSET + pred.astype(np.uint64)
    labels, counts = np.unique(joint, return_counts=True)
    inter = {(int(k // OFFSET), int(k % OFFSET)): int(c) for k, c in zip(labels, counts)}

    gt_matched, pred_matched = set(), set()
    for (g, p), intersection in inter.items():
        if g not in gt_segms or p not in pred_segms:
            continue
        if gt_segms[g].get('iscrowd', 0) == 1:
            continue
        if gt_segms[g]['category_id'] != pred_segms[p]['category_id']:
            continue
        union = (pred_segms[p]['area'] + gt_segms[g]['area'] - intersection
                 - inter.get((VOID, p), 0))
        iou = intersection / union
        if iou > 0.5:
            cat = gt_segms[g]['category_id']
            stat.tp[cat] += 1
            stat.iou[cat] += iou
            gt_matched.add(g)
            pred_matched.add(p)

    crowd_by_cat = {}
    for g, s in gt_segms.items():
        if g in gt_matched:
            continue
        if s.get('iscrowd', 0) == 1:
            crowd_by_cat[s['category_id']] = g
            continue
        if s['area'] > 0:
            stat.fn[s['category_id']] += 1
    for p, s in pred_segms.items():
        if p in pred_matched or s['area'] == 0:
            continue
        ignored = inter.get((VOID, p), 0)
        if s['category_id'] in crowd_by_cat:
            ignored += inter.get((crowd_by_cat[s['category_id']], p), 0)
        if ignored / s['area'] > 0.5:
            continue
        stat.fp[s['category_id']] += 1


def _read_ids(path: str) -> np.ndarray:
    if not osp.isfile(path):
        raise MissingDataError(path, 'panoptic PNG not found')
    return rgb2id(np.array(Image.open(path).convert('RGB')))


def pq_compute(gt_json_file: str, pred_json_file: str, gt_folder: str = None,
               pred_folder: str = None) -> dict:
    """``panopticapi.evaluation.pq_compute``: PQ/SQ/RQ for All/Things/Stuff (+ per class)."""
    with open(gt_json_file) as f:
        gt_json = json.load(f)
    with open(pred_json_file) as f:
        pred_json = json.load(f)
    gt_folder = gt_folder or gt_json_file.replace('.json', '')
    pred_folder = pred_folder or pred_json_file.replace('.json', '')
    categories = {c['id']: c for c in gt_json['categories']}
    pred_by_image = {a['image_id']: a for a in pred_json['annotations']}
    stat = PQStat()
    for gt_ann in gt_json['annotations']:
        image_id = gt_ann['image_id']
        if image_id not in pred_by_image:
            raise DataError(pred_json_file, f'no prediction for image id {image_id}')
        pred_ann = pred_by_image[image_id]
        gt = _read_ids(osp.join(gt_folder, gt_ann['file_name']))
        pred = _read_ids(osp.join(pred_folder, pred_ann['file_name']))
        if gt.shape != pred.shape:
            raise DataError(pred_ann['file_name'], f'prediction is {pred.shape[::-1]}, ground '
                            f'truth {gt.shape[::-1]}')
        pq_image(stat, gt, pred, gt_ann['segments_info'], pred_ann['segments_info'],
                 categories, source=gt_ann['file_name'])
    results = {}
    for name, isthing in (('All', None), ('Things', True), ('Stuff', False)):
        results[name], per_class = stat.pq_average(categories, isthing)
        if name == 'All':
            results['per_class'] = per_class
    return results

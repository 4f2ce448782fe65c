"""Pure conversions between mask formats: instance-mask folders (PennFudan), COCO instances
(boxes, polygons, RLE) and COCO panoptic (RGB-encoded segment ids + ``segments_info``).

No detectron2 needed: the synthetic data generator and the Detectron2 dataset loaders share these.
"""
from typing import Dict, List, Optional, Sequence, Tuple

import cv2
import numpy as np

from ..errors import DataError

VOID = 0  # COCO panoptic: segment id 0 = unlabelled


def id2rgb(ids: np.ndarray) -> np.ndarray:
    """COCO panoptic encoding: id = R + 256 * G + 256**2 * B (H x W -> H x W x 3 uint8)."""
    ids = np.asarray(ids, dtype=np.int64)
    return np.stack([ids % 256, ids // 256 % 256, ids // 256**2 % 256], -1).astype(np.uint8)


def rgb2id(rgb: np.ndarray) -> np.ndarray:
    """Inverse of :func:`id2rgb` (RGB channel order)."""
    rgb = np.asarray(rgb, dtype=np.int64)
    return rgb[..., 0] + 256 * rgb[..., 1] + 256**2 * rgb[..., 2]


def bbox_xyxy(mask: np.ndarray) -> List[float]:
    """Tight box of a binary mask, ``[x0, y0, x1, y1]`` with x1/y1 exclusive (pixel edges)."""
    ys, xs = np.nonzero(mask)
    if len(xs) == 0:
        raise ValueError('empty mask has no bounding box')
    return [float(xs.min()), float(ys.min()), float(xs.max() + 1), float(ys.max() + 1)]


def encode_rle(mask: np.ndarray) -> dict:
    """COCO compressed RLE of a binary mask (``counts`` as str, JSON-serialisable)."""
    from pycocotools import mask as mask_utils  # the d2 extra; not needed elsewhere in the core
    rle = mask_utils.encode(np.asfortranarray(mask.astype(np.uint8)))
    rle['counts'] = rle['counts'].decode('ascii')
    return rle


def mask_to_polygons(mask: np.ndarray) -> List[List[float]]:
    """Outer and hole-free polygons (COCO ``[x0, y0, x1, y1, ...]``, pixel edges) of a mask.

    Polygons of fewer than 3 points are dropped; a mask made only of such slivers returns [].
    """
    # pad so that contours touching the border close properly; trace at 2x for pixel edges
    m = cv2.resize(mask.astype(np.uint8), None, fx=2, fy=2, interpolation=cv2.INTER_NEAREST)
    contours, _ = cv2.findContours(m, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    polys = []
    for c in contours:
        c = c.reshape(-1, 2).astype(np.float64)
        if len(c) < 3:
            continue
        polys.append(((c + 0.5) / 2.0).reshape(-1).round(2).tolist())
    return polys


def instances_from_mask(mask: np.ndarray, divisor: Optional[int] = None,
                        source: str = '<mask>') -> List[dict]:
    """Instances of a PennFudan-style mask: background 0, each instance one distinct value.

    With ``divisor`` (the Cityscapes ``instanceIds`` convention, in a 16-bit PNG) a value is
    ``class_id * divisor + k`` with ``class_id`` counted from 1, returned as the 0-based
    ``category = class_id - 1``. Without it (PennFudan) every instance is category 0.
    Returns ``[{'value', 'category', 'mask'}]`` sorted by value.
    """
    if mask.ndim == 3:
        if not (mask[..., :1] == mask).all():
            raise DataError(source, f'instance mask has {mask.shape[2]} differing channels; '
                            'expected one value per pixel')
        mask = mask[..., 0]
    out = []
    for v in np.unique(mask):
        if v == 0:
            continue
        category = 0
        if divisor:
            category = int(v) // divisor - 1
            if category < 0:
                raise DataError(source, f'value {int(v)} < divisor {divisor} has no class '
                                f'(expected class_id * {divisor} + instance, class_id >= 1)')
        out.append(dict(value=int(v), category=category, mask=mask == v))
    return out


def semantic_instance_to_panoptic(semantic: np.ndarray, instance: np.ndarray,
                                  categories: Sequence[dict], ignore_label: int = 255,
                                  source: str = '<image>') -> Tuple[np.ndarray, List[dict]]:
    """Merge a semantic map (values = category ``id``) and an instance map (0 = none, else an id
    unique in the image) into COCO panoptic segment ids and ``segments_info``.

    Thing pixels form one segment per (instance id); stuff pixels one segment per category;
    ``ignore_label`` pixels and thing pixels without an instance id stay VOID (0).
    """
    if semantic.shape != instance.shape:
        raise DataError(source, f'semantic {semantic.shape} and instance {instance.shape} '
                        'maps differ in size')
    cats = {c['id']: c for c in categories}
    unknown = set(np.unique(semantic).tolist()) - set(cats) - {ignore_label}
    if unknown:
        raise DataError(source, f'semantic values {sorted(unknown)} are not category ids '
                        f'{sorted(cats)} (nor the ignore label {ignore_label})')
    pan = np.zeros(semantic.shape, np.int64)
    segments = []

    def add(region: np.ndarray, category_id: int) -> None:
        seg_id = len(segments) + 1
        pan[region] = seg_id
        ys, xs = np.nonzero(region)
        x0, y0 = int(xs.min()), int(ys.min())
        segments.append(dict(id=seg_id, category_id=int(category_id), iscrowd=0,
                             area=int(region.sum()),
                             bbox=[x0, y0, int(xs.max()) + 1 - x0, int(ys.max()) + 1 - y0]))

    for cid in sorted(c for c in cats if not cats[c].get('isthing')):
        region = semantic == cid
        if region.any():
            add(region, cid)
    is_thing = np.isin(semantic, [c for c in cats if cats[c].get('isthing')])
    for inst in np.unique(instance[is_thing]):
        if inst == 0:
            continue
        region = (instance == inst) & is_thing
        labels, counts = np.unique(semantic[region], return_counts=True)
        if len(labels) > 1:
            raise DataError(source, f'instance {int(inst)} spans thing categories '
                            f'{labels.tolist()}')
        add(region, int(labels[0]))
    return pan, segments


def panoptic_to_semantic_instance(pan: np.ndarray, segments_info: Sequence[dict],
                                  categories: Sequence[dict], ignore_label: int = 255
                                  ) -> Tuple[np.ndarray, np.ndarray]:
    """Inverse of :func:`semantic_instance_to_panoptic`: semantic map (category ids,
    ``ignore_label`` for VOID) and instance map (1.. per thing segment, 0 elsewhere)."""
    cats = {c['id']: c for c in categories}
    semantic = np.full(pan.shape, ignore_label, np.int64)
    instance = np.zeros(pan.shape, np.int64)
    k = 0
    for s in segments_info:
        region = pan == s['id']
        semantic[region] = s['category_id']
        if cats[s['category_id']].get('isthing'):
            k += 1
            instance[region] = k
    return semantic, instance


def stuff_semantic(pan: np.ndarray, segments_info: Sequence[dict], categories: Sequence[dict],
                   ignore_label: int = 255) -> np.ndarray:
    """Detectron2's "separated" semantic target for Panoptic FPN: every thing pixel 0, stuff
    categories 1..S in the order of ``categories``, VOID ``ignore_label``."""
    stuff_ids = [c['id'] for c in categories if not c.get('isthing')]
    lut: Dict[int, int] = {cid: i + 1 for i, cid in enumerate(stuff_ids)}
    out = np.full(pan.shape, ignore_label, np.uint8)
    for s in segments_info:
        out[pan == s['id']] = lut.get(s['category_id'], 0)
    return out

"""Synthetic "shapes" scenes for instance and panoptic segmentation, in real on-disk formats.

Each scene: 2-3 textured *stuff* regions (water, grass, sand) with blobby borders, and 2-6
*thing* instances (circle, square, triangle) of random size, rotation and colour -- colour says
nothing about the class, the shape does -- shaded, outlined and drawn in depth order, so later
objects occlude earlier ones. Written per split as

- PennFudan layout: ``<split>/PNGImages/<name>.png`` and ``<split>/PedMasks/<name>_mask.png``
  (16-bit, each instance one distinct value ``class_id * 1000 + k``, background 0);
- ``<split>/semantic/<name>.png`` (category ids, 8-bit) -- with the instance masks, the input
  of the panoptic converter;
- COCO instances ``annotations/instances_<split>.json`` (polygons) and COCO panoptic
  ``annotations/panoptic_<split>.json`` + ``panoptic_<split>/<name>.png``, and Detectron2's
  "separated" stuff maps ``panoptic_stuff_<split>/<name>.png`` (made by
  :func:`seg_ext.datasets.coco_export.export_coco_panoptic`).
"""
import os
import os.path as osp
from typing import Dict, List, Tuple

import cv2
import numpy as np

from ..coco.export import export_coco_instances, export_coco_panoptic

INSTANCE_DIVISOR = 1000
CATEGORIES = [
    dict(id=1, name='circle', isthing=1, color=[220, 20, 60]),
    dict(id=2, name='square', isthing=1, color=[0, 130, 230]),
    dict(id=3, name='triangle', isthing=1, color=[250, 170, 30]),
    dict(id=4, name='water', isthing=0, color=[40, 80, 200]),
    dict(id=5, name='grass', isthing=0, color=[60, 160, 60]),
    dict(id=6, name='sand', isthing=0, color=[210, 190, 140]),
]


def _smooth(rng: np.random.Generator, size: int, sigma: float) -> np.ndarray:
    n = cv2.GaussianBlur(rng.standard_normal((size, size)).astype(np.float32), (0, 0), sigma)
    return n / (n.std() + 1e-6)


def _texture(rng: np.random.Generator, name: str, size: int) -> np.ndarray:
    """An RGB texture (float, 0-255) for a stuff class."""
    yy, xx = np.mgrid[:size, :size].astype(np.float32)
    if name == 'water':
        base = np.array([40, 90, 170]) + rng.uniform(-15, 15, 3)
        waves = np.sin(yy * rng.uniform(0.4, 0.8) + 2 * _smooth(rng, size, 6))
        img = base + 18 * waves[..., None] * np.array([0.5, 0.8, 1.0])
    elif name == 'grass':
        base = np.array([60, 140, 50]) + rng.uniform(-15, 15, 3)
        img = base + 25 * _smooth(rng, size, 1)[..., None] * np.array([0.6, 1.0, 0.5])
    else:  # sand
        base = np.array([200, 180, 130]) + rng.uniform(-15, 15, 3)
        img = base + 10 * _smooth(rng, size, 3)[..., None] + 8 * rng.standard_normal(
            (size, size, 1))
    return img


def _shape_mask(rng: np.random.Generator, kind: str, size: int) -> Tuple[np.ndarray, float]:
    """Binary mask of one thing and its radius."""
    m = np.zeros((size, size), np.uint8)
    r = rng.uniform(0.06, 0.16) * size
    cx, cy = rng.uniform(r, size - r, 2)
    if kind == 'circle':
        cv2.circle(m, (int(round(cx)), int(round(cy))), int(round(r)), 1, -1, cv2.LINE_AA)
    else:
        n = 4 if kind == 'square' else 3
        a0 = rng.uniform(0, 2 * np.pi)
        rr = r * (1.25 if n == 4 else 1.35)
        pts = [(cx + rr * np.cos(a0 + 2 * np.pi * i / n), cy + rr * np.sin(a0 + 2 * np.pi * i / n))
               for i in range(n)]
        cv2.fillPoly(m, [np.round(np.array(pts)).astype(np.int32)], 1, cv2.LINE_AA)
    return m > 0, r


def make_scene(rng: np.random.Generator, size: int = 128, max_things: int = 6
               ) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One scene: RGB image (uint8), semantic map (category ids) and instance map
    (``class_id * 1000 + k`` on thing pixels, 0 elsewhere)."""
    stuff = [c for c in CATEGORIES if not c['isthing']]
    things = [c for c in CATEGORIES if c['isthing']]
    chosen = rng.choice(len(stuff), size=int(rng.integers(2, 4)), replace=False)
    fields = np.stack([_smooth(rng, size, size / 6) + 0.3 * _smooth(rng, size, 3)
                       for _ in chosen])
    region = fields.argmax(0)
    semantic = np.zeros((size, size), np.uint8)
    img = np.zeros((size, size, 3), np.float32)
    for i, k in enumerate(chosen):
        sel = region == i
        semantic[sel] = stuff[k]['id']
        img[sel] = _texture(rng, stuff[k]['name'], size)[sel]

    instance = np.zeros((size, size), np.int32)
    yy, xx = np.mgrid[:size, :size].astype(np.float32)
    count: Dict[int, int] = {}
    for _ in range(int(rng.integers(2, max_things + 1))):
        cat = things[int(rng.integers(len(things)))]
        mask, r = _shape_mask(rng, cat['name'], size)
        colour = cv2.cvtColor(np.uint8([[[rng.integers(0, 180), rng.integers(120, 256),
                                          rng.integers(120, 256)]]]), cv2.COLOR_HSV2RGB)[0, 0]
        light = rng.uniform(0, 2 * np.pi)
        shade = 1 + 0.25 * ((np.cos(light) * xx + np.sin(light) * yy) / size - 0.5)
        img[mask] = (colour[None].astype(np.float32) * shade[mask][:, None])
        edge = mask & ~cv2.erode(mask.astype(np.uint8), np.ones((3, 3), np.uint8)).astype(bool)
        img[edge] *= 0.55
        k = count.get(cat['id'], 0) + 1
        count[cat['id']] = k
        instance[mask] = cat['id'] * INSTANCE_DIVISOR + k
        semantic[mask] = cat['id']
    # drop instances that occlusion left almost invisible (they would be unfair targets)
    for v in np.unique(instance):
        if v and (instance == v).sum() < 30:
            sel = instance == v
            instance[sel] = 0
            semantic[sel] = 255  # unlabelled
    img += 4 * rng.standard_normal(img.shape)
    img = cv2.GaussianBlur(img, (0, 0), 0.6)
    return np.clip(img, 0, 255).astype(np.uint8), semantic, instance


def write_shapes_dataset(root: str, splits: Dict[str, int], seed: int = 0, size: int = 128
                         ) -> Dict[str, dict]:
    """Write the scene set in all formats (see module docstring); returns per-split counts."""
    stats = {}
    for s_i, (split, n) in enumerate(splits.items()):
        rng = np.random.default_rng(seed * 1000 + s_i)
        dirs = {k: osp.join(root, split, k) for k in ('PNGImages', 'PedMasks', 'semantic')}
        for d in dirs.values():
            os.makedirs(d, exist_ok=True)
        names: List[str] = []
        instances = 0
        for i in range(n):
            name = f'{split}_{i:05d}'
            img, semantic, instance = make_scene(rng, size)
            cv2.imwrite(osp.join(dirs['PNGImages'], name + '.png'), img[..., ::-1])
            cv2.imwrite(osp.join(dirs['PedMasks'], name + '_mask.png'), instance.astype(np.uint16))
            cv2.imwrite(osp.join(dirs['semantic'], name + '.png'), semantic)
            names.append(name)
            instances += len(np.unique(instance)) - 1
        export_coco_instances(root, split, dirs['PNGImages'], dirs['PedMasks'], CATEGORIES,
                              divisor=INSTANCE_DIVISOR)
        export_coco_panoptic(root, split, dirs['PNGImages'], dirs['semantic'], dirs['PedMasks'],
                             CATEGORIES)
        stats[split] = dict(images=n, instances=instances)
    return stats

"""Write COCO instances / COCO panoptic annotation files from mask folders.

Used by ``tools/dataset_converters/to_coco_panoptic.py`` and the shapes demo generator.
"""
import json
import os
import os.path as osp
from typing import Sequence

import cv2
import numpy as np

from ..errors import DataError
from ..image_io import read_image
from .formats import id2rgb, semantic_instance_to_panoptic, stuff_semantic
from .mask_folder import (
    check_same_size,
    instance_segmentation,
    list_images,
    mask_folder_instances,
    read_label_map,
)


def _image_size(path: str) -> tuple:
    return read_image(path).shape[:2]


def export_coco_instances(root: str, split: str, image_dir: str, mask_dir: str,
                          categories: Sequence[dict], divisor: int = None,
                          mask_suffix: str = '_mask', out_json: str = None,
                          semantic_dir: str = None) -> str:
    """COCO instances json (polygons; RLE for masks whose polygons degenerate) from a
    PennFudan-style mask folder. Thing categories are those with ``isthing`` (in id order).

    An instance's class comes from its value (``divisor``), else from the semantic map in
    ``semantic_dir`` (the category id most of its pixels have), else it is the first thing class.
    """
    things = sorted((c for c in categories if c.get('isthing', 1)), key=lambda c: c['id'])
    images, anns = [], []
    thing_index = {c['id']: i for i, c in enumerate(things)}
    for img_id, sample in enumerate(mask_folder_instances(image_dir, mask_dir, mask_suffix,
                                                          divisor), 1):
        name, mask_path = sample['file_name'], sample['mask_path']
        images.append(dict(id=img_id, file_name=name, height=sample['height'],
                           width=sample['width']))
        semantic = None
        if semantic_dir:
            sem_path = osp.join(semantic_dir, osp.splitext(name)[0] + '.png')
            semantic = read_label_map(sem_path)
            check_same_size(sem_path, semantic, name, sample['height'], sample['width'])
        for inst in sample['instances']:
            if semantic is not None:
                ids, counts = np.unique(semantic[inst['mask']], return_counts=True)
                cid = int(ids[counts.argmax()])
                if cid not in thing_index:
                    raise DataError(mask_path, f'instance {inst["value"]} lies on semantic '
                                    f'category {cid}, which is not a thing category')
                inst['category'] = thing_index[cid]
            if inst['category'] >= len(things):
                raise DataError(mask_path, f'value {inst["value"]} -> class '
                                f'{inst["category"] + 1}, but only {len(things)} thing classes')
            m = inst['mask']
            ys, xs = np.nonzero(m)
            anns.append(dict(id=len(anns) + 1, image_id=img_id,
                             category_id=things[inst['category']]['id'],
                             segmentation=instance_segmentation(m), area=int(m.sum()), iscrowd=0,
                             bbox=[int(xs.min()), int(ys.min()), int(xs.max() - xs.min() + 1),
                                   int(ys.max() - ys.min() + 1)]))
    out_json = out_json or osp.join(root, 'annotations', f'instances_{split}.json')
    os.makedirs(osp.dirname(out_json), exist_ok=True)
    with open(out_json, 'w') as f:
        json.dump(dict(images=images, annotations=anns,
                       categories=[{k: c[k] for k in ('id', 'name')} for c in things]), f)
    return out_json


def export_coco_panoptic(root: str, split: str, image_dir: str, semantic_dir: str,
                         instance_dir: str, categories: Sequence[dict], ignore_label: int = 255,
                         instance_suffix: str = '_mask') -> dict:
    """COCO panoptic (``annotations/panoptic_<split>.json`` + ``panoptic_<split>/*.png``) and
    Detectron2's separated stuff maps (``panoptic_stuff_<split>/*.png``) from semantic maps
    (category ids) + instance maps (distinct value per thing instance, 0 elsewhere)."""
    pan_dir = osp.join(root, f'panoptic_{split}')
    stuff_dir = osp.join(root, f'panoptic_stuff_{split}')
    for d in (pan_dir, stuff_dir, osp.join(root, 'annotations')):
        os.makedirs(d, exist_ok=True)
    images, anns = [], []
    for img_id, name in enumerate(list_images(image_dir), 1):
        stem = osp.splitext(name)[0]
        h, w = _image_size(osp.join(image_dir, name))
        sem_path = osp.join(semantic_dir, stem + '.png')
        inst_path = osp.join(instance_dir, stem + instance_suffix + '.png')
        semantic, instance = read_label_map(sem_path), read_label_map(inst_path)
        for path, m in ((sem_path, semantic), (inst_path, instance)):
            check_same_size(path, m, name, h, w)
        pan, segments = semantic_instance_to_panoptic(semantic, instance, categories,
                                                      ignore_label, source=sem_path)
        png = stem + '.png'
        cv2.imwrite(osp.join(pan_dir, png), id2rgb(pan)[..., ::-1])
        cv2.imwrite(osp.join(stuff_dir, png), stuff_semantic(pan, segments, categories,
                                                             ignore_label))
        images.append(dict(id=img_id, file_name=name, height=h, width=w))
        anns.append(dict(image_id=img_id, file_name=png, segments_info=segments))
    out_json = osp.join(root, 'annotations', f'panoptic_{split}.json')
    cats = [{k: c[k] for k in ('id', 'name', 'isthing', 'color') if k in c} for c in categories]
    with open(out_json, 'w') as f:
        json.dump(dict(images=images, annotations=anns, categories=cats), f)
    return dict(json=out_json, panoptic_root=pan_dir, stuff_root=stuff_dir)

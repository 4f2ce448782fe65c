"""Register users' data in Detectron2's ``DatasetCatalog`` / ``MetadataCatalog``.

One call per dataset, or by config (``SEG_EXT.DATASETS``, see :func:`register_from_cfg`):

- :func:`register_mask_folder` -- instance segmentation from an image folder and a mask folder
  where each instance is a distinct value (PennFudan: ``PNGImages/``, ``PedMasks/``);
- :func:`register_coco_instances` -- COCO instances json (Detectron2's own loader);
- :func:`register_coco_panoptic` -- COCO panoptic PNG + json, "separated" for Panoptic FPN
  (instances json + stuff maps, as ``tools/dataset_converters/to_coco_panoptic.py`` writes);
- :func:`register_tgs_salt` -- the TGS Salt Kaggle layout as a semantic-segmentation dataset,
  read by the same code (:mod:`seg_ext.core.tgs_salt`) as the mmseg ``TGSSaltDataset``.
"""
import json
import os
import os.path as osp
from typing import Callable, Dict, List, Optional, Sequence

import cv2
import numpy as np
from detectron2.data import DatasetCatalog, MetadataCatalog
from detectron2.data.datasets import load_coco_json, load_sem_seg
from detectron2.data.datasets.coco_panoptic import merge_to_panoptic
from detectron2.structures import BoxMode

from ..core.coco import (
    instance_segmentation,
    list_images,
    mask_folder_instances,
    validate_coco_instances,
    validate_coco_panoptic,
)
from ..core.errors import DataError, MissingDataError
from ..core.image_io import read_image, to_gray
from ..core.tgs_salt import read_record_mask, tgs_records


def _register(name: str, loader: Callable[[], List[dict]], **metadata) -> None:
    if name in DatasetCatalog.list():
        raise KeyError(f'dataset {name!r} is already registered')
    DatasetCatalog.register(name, loader)
    MetadataCatalog.get(name).set(**metadata)


def load_mask_folder(image_dir: str, mask_dir: str, num_classes: int = 1,
                     divisor: Optional[int] = None, mask_suffix: str = '_mask',
                     mask_format: str = 'polygon') -> List[dict]:
    """Detectron2 dataset dicts from a PennFudan-style pair of folders.

    Each ``<image_dir>/<stem>.<ext>`` has ``<mask_dir>/<stem><mask_suffix>.png`` with background 0
    and one distinct value per instance (``divisor``: value = class_id * divisor + k, class_id
    from 1; else all instances are class 0). Boxes are tight XYXY boxes of the masks;
    ``mask_format`` ``'polygon'`` (COCO polygons) or ``'bitmask'`` (COCO RLE).
    """
    if mask_format not in ('polygon', 'bitmask'):
        raise ValueError(f"mask_format must be 'polygon' or 'bitmask', not {mask_format!r}")
    records = []
    for image_id, sample in enumerate(mask_folder_instances(image_dir, mask_dir, mask_suffix,
                                                            divisor)):
        annotations = []
        for inst in sample['instances']:
            if inst['category'] >= num_classes:
                raise DataError(sample['mask_path'], f'value {inst["value"]} is class '
                                f'{inst["category"] + 1}, but the dataset has {num_classes} '
                                'classes')
            m = inst['mask']
            ys, xs = np.nonzero(m)
            annotations.append(dict(
                bbox=[float(xs.min()), float(ys.min()), float(xs.max() + 1), float(ys.max() + 1)],
                bbox_mode=BoxMode.XYXY_ABS, category_id=inst['category'],
                segmentation=instance_segmentation(m, mask_format), iscrowd=0))
        records.append(dict(file_name=sample['image_path'], image_id=image_id,
                            height=sample['height'], width=sample['width'],
                            annotations=annotations))
    return records


def register_mask_folder(name: str, image_dir: str, mask_dir: str,
                         thing_classes: Sequence[str] = ('person', ),
                         divisor: Optional[int] = None, mask_suffix: str = '_mask',
                         mask_format: str = 'polygon') -> None:
    """Register a PennFudan-style instance dataset (COCO AP evaluation)."""
    _register(name, lambda: load_mask_folder(image_dir, mask_dir, len(thing_classes), divisor,
                                             mask_suffix, mask_format),
              thing_classes=list(thing_classes), image_root=image_dir, evaluator_type='coco')


def register_coco_instances(name: str, json_file: str, image_root: str) -> None:
    """Register a COCO instances json (Detectron2's loader; classes from the json), checked
    first by :func:`~seg_ext.core.coco.validation.validate_coco_instances`."""
    for path in (json_file, image_root):
        if not osp.exists(path):
            raise MissingDataError(path, 'not found')
    DatasetCatalog.register(name, lambda: _checked_coco(json_file, image_root, name))
    MetadataCatalog.get(name).set(json_file=json_file, image_root=image_root,
                                  evaluator_type='coco')


def _checked_coco(json_file: str, image_root: str, name: str) -> List[dict]:
    validate_coco_instances(json_file, image_root)
    return load_coco_json(json_file, image_root, name)


def panoptic_metadata(panoptic_json: str) -> dict:
    """Detectron2's panoptic metadata (thing/stuff classes and id maps) from a COCO panoptic
    json's categories; the "separated" stuff classes start with ``things`` (id 0)."""
    if not osp.isfile(panoptic_json):
        raise MissingDataError(panoptic_json, 'panoptic json not found')
    with open(panoptic_json) as f:
        cats = json.load(f).get('categories')
    if not cats:
        raise DataError(panoptic_json, 'no categories')
    things = [c for c in cats if c.get('isthing')]
    stuff = [c for c in cats if not c.get('isthing')]
    stuff_map = {c['id']: i + 1 for i, c in enumerate(stuff)}
    stuff_map[0] = 0
    return dict(
        thing_classes=[c['name'] for c in things],
        thing_colors=[c.get('color', [220, 20, 60]) for c in things],
        thing_dataset_id_to_contiguous_id={c['id']: i for i, c in enumerate(things)},
        stuff_classes=['things'] + [c['name'] for c in stuff],
        stuff_colors=[[82, 18, 128]] + [c.get('color', [128, 128, 128]) for c in stuff],
        stuff_dataset_id_to_contiguous_id=stuff_map)


def register_coco_panoptic(name: str, image_root: str, panoptic_root: str, panoptic_json: str,
                           sem_seg_root: str, instances_json: str,
                           image_ext: Optional[str] = None) -> None:
    """Register COCO panoptic data for Panoptic FPN ("separated": instance annotations from the
    instances json, semantic targets from the stuff maps where things are 0). Evaluated with
    PQ/SQ/RQ, COCO AP and semantic mIoU. Unlike Detectron2's ``register_coco_panoptic_separated``
    any image extension works (``image_ext``: detected from ``image_root`` by default)."""
    for path in (image_root, panoptic_root, panoptic_json, sem_seg_root, instances_json):
        if not osp.exists(path):
            raise MissingDataError(path, 'not found')
    meta = panoptic_metadata(panoptic_json)
    if image_ext is None:
        image_ext = osp.splitext(list_images(image_root)[0])[1].lstrip('.')

    def load() -> List[dict]:
        validate_coco_panoptic(panoptic_json, panoptic_root)
        sem = load_sem_seg(sem_seg_root, image_root, gt_ext='png', image_ext=image_ext)
        return merge_to_panoptic(_checked_coco(instances_json, image_root, name), sem)

    _register(name, load, panoptic_root=panoptic_root, image_root=image_root,
              panoptic_json=panoptic_json, sem_seg_root=sem_seg_root, json_file=instances_json,
              evaluator_type='coco_panoptic_seg', ignore_label=255, **meta)


def load_tgs_salt(root: str, split_file: str = '', cache_dir: Optional[str] = None) -> List[dict]:
    """TGS Salt samples as Detectron2 semantic-segmentation dicts. Masks (PNG 0/255 or
    ``train.csv`` RLE, listed and checked by :mod:`seg_ext.core.tgs_salt`, as for the mmseg
    ``TGSSaltDataset``) are written once as 0/1 label PNGs under ``cache_dir`` (default
    ``<root>/d2_sem_seg``)."""
    records = tgs_records(osp.join(root, 'train', 'images'), osp.join(root, 'train', 'masks'),
                          split_file=osp.join(root, split_file) if split_file else '',
                          rle_file=osp.join(root, 'train.csv'), with_annotations=True)
    cache_dir = cache_dir or osp.join(root, 'd2_sem_seg')
    os.makedirs(cache_dir, exist_ok=True)
    out = []
    for i, rec in enumerate(records):
        label_path = osp.join(cache_dir, rec['sample_id'] + '.png')
        h, w = to_gray(read_image(rec['img_path']), rec['img_path']).shape
        if not osp.isfile(label_path):
            cv2.imwrite(label_path, read_record_mask(rec, (h, w)))
        out.append(dict(file_name=rec['img_path'], sem_seg_file_name=label_path, image_id=i,
                        height=h, width=w))
    return out


def register_tgs_salt(name: str, root: str, split_file: str = '') -> None:
    """Register TGS Salt (``background``, ``salt``) for Detectron2 semantic segmentation
    (``SemSegEvaluator``: mIoU, fwIoU, mACC, pACC)."""
    _register(name, lambda: load_tgs_salt(root, split_file), stuff_classes=['background', 'salt'],
              stuff_colors=[[0, 0, 0], [255, 160, 40]], ignore_label=255,
              evaluator_type='sem_seg', image_root=osp.join(root, 'train', 'images'))


_BY_TYPE: Dict[str, Callable] = dict(mask_folder=register_mask_folder,
                                     coco=register_coco_instances,
                                     coco_panoptic=register_coco_panoptic,
                                     tgs_salt=register_tgs_salt)


def register_from_cfg(cfg, names: Optional[Sequence[str]] = None) -> List[str]:
    """Register every ``cfg.SEG_EXT.DATASETS`` entry not yet registered, e.g.::

        SEG_EXT:
          DATASETS:
            peds_train: {TYPE: mask_folder, IMAGE_DIR: data/PennFudanPed/PNGImages,
                         MASK_DIR: data/PennFudanPed/PedMasks, THING_CLASSES: [person]}

    Keys are the lower-cased arguments of the ``register_*`` function of ``TYPE``; ``names``:
    only these entries (a name that is not there is a ``KeyError``).
    """
    done = []
    unknown = sorted(set(names or ()) - set(cfg.SEG_EXT.DATASETS))
    if unknown:
        raise KeyError(f'{unknown} not in SEG_EXT.DATASETS (has {sorted(cfg.SEG_EXT.DATASETS)})')
    for name, spec in cfg.SEG_EXT.DATASETS.items():
        if name in DatasetCatalog.list() or (names is not None and name not in names):
            continue
        spec = {k.lower(): v for k, v in dict(spec).items()}
        kind = spec.pop('type', None)
        if kind not in _BY_TYPE:
            raise KeyError(f'SEG_EXT.DATASETS.{name}.TYPE must be one of {sorted(_BY_TYPE)}, '
                           f'got {kind!r}')
        try:
            _BY_TYPE[kind](name, **spec)
        except TypeError as e:
            raise TypeError(f'SEG_EXT.DATASETS.{name} ({kind}): {e}') from None
        done.append(name)
    return done

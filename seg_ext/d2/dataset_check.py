"""``tools/check_dataset.py`` for Detectron2 configs: every record of ``DATASETS.TRAIN`` and
``DATASETS.TEST`` read once (image, semantic and panoptic PNGs) and checked against its
annotations, each problem naming its file."""
from typing import List, Sequence

import numpy as np
from detectron2.data import DatasetCatalog, MetadataCatalog

from ..core.coco.formats import rgb2id
from ..core.errors import DataError
from ..core.image_io import decode_image, is_palette_png, read_bytes, read_image
from ..core.reporting import CheckReport, check_samples, describe


def check_record(rec: dict, meta) -> None:
    """Raise :class:`DataError` naming the file for the first problem of one dataset record."""
    img = read_image(rec['file_name'])
    h, w = img.shape[:2]
    if (rec.get('height', h), rec.get('width', w)) != (h, w):
        raise DataError(rec['file_name'], f'image is {w}x{h} but its annotation says '
                        f'{rec.get("width")}x{rec.get("height")}')
    things = len(getattr(meta, 'thing_classes', []) or [])
    for ann in rec.get('annotations', []):
        if things and not 0 <= ann['category_id'] < things:
            raise DataError(rec['file_name'], f'instance of category {ann["category_id"]}, but '
                            f'the dataset has {things} thing classes')
    if 'sem_seg_file_name' in rec:
        path = rec['sem_seg_file_name']
        data = read_bytes(path)
        if is_palette_png(data):  # DatasetMapper reads sem_seg_file_name with PIL mode "L"
            raise DataError(path, 'semantic map is a palette PNG: Detectron2 reads it as gray '
                            'levels (PIL mode "L"), not as its palette indices; save the indices '
                            'as a single-channel (grayscale) PNG')
        sem = decode_image(data, path)
        if sem.shape[:2] != (h, w):
            raise DataError(path, f'semantic map is {sem.shape[1]}x{sem.shape[0]} but its image '
                            f'{rec["file_name"]} is {w}x{h}')
        if sem.ndim == 3:
            raise DataError(path, f'semantic map has {sem.shape[2]} channels; it must be a '
                            'single-channel label PNG')
        classes = len(getattr(meta, 'stuff_classes', []) or [])
        ignore = getattr(meta, 'ignore_label', 255)
        bad = sorted(set(np.unique(sem).tolist()) - set(range(classes)) - {ignore})
        if classes and bad:
            raise DataError(path, f'label value(s) {bad[:5]} outside the {classes} classes '
                            f'(0..{classes - 1}, ignore {ignore})')
    if 'pan_seg_file_name' in rec:
        check_panoptic_png(rec['pan_seg_file_name'], (h, w), rec.get('segments_info', []),
                           f'its image {rec["file_name"]}')


def check_panoptic_pngs(report: CheckReport, meta, max_errors: int, progress: bool) -> None:
    """For COCO panoptic datasets: every PNG of the panoptic json against its segments_info and
    its image's size (Panoptic FPN trains from the "separated" files, the PQ evaluation from
    these)."""
    import json
    import os.path as osp
    with open(meta.panoptic_json) as f:
        data = json.load(f)
    sizes = {img['id']: (img['height'], img['width']) for img in data['images']}
    anns = data['annotations']

    def read(i: int) -> None:
        ann = anns[i]
        check_panoptic_png(osp.join(meta.panoptic_root, ann['file_name']),
                           sizes[ann['image_id']], ann.get('segments_info', []), 'its image')

    check_samples(report, len(anns), read,
                  lambda i: osp.join(meta.panoptic_root, anns[i].get('file_name', '?')),
                  max_errors, progress)


def check_panoptic_png(path: str, size, segments_info, image: str) -> None:
    """A panoptic PNG must have its image's ``size`` (h, w) and exactly the segment ids of
    ``segments_info`` (0 = unlabelled); ``image`` names the image in the message."""
    pan = read_image(path, 'color')[..., ::-1]
    h, w = size
    if pan.shape[:2] != (h, w):
        raise DataError(path, f'panoptic PNG is {pan.shape[1]}x{pan.shape[0]} but {image} is '
                        f'{w}x{h}')
    in_png = set(np.unique(rgb2id(pan)).tolist()) - {0}
    listed = {s['id'] for s in segments_info}
    if in_png - listed:
        raise DataError(path, f'segment id(s) {sorted(in_png - listed)[:5]} in the PNG are not '
                        'in its segments_info')
    if listed - in_png:
        raise DataError(path, f'segments_info id(s) {sorted(listed - in_png)[:5]} do not appear '
                        'in the PNG')


def check_d2_config(cfg, max_errors: int = 20, progress: bool = True) -> List[CheckReport]:
    """Check every dataset named in ``cfg.DATASETS.TRAIN`` and ``cfg.DATASETS.TEST``."""
    names: Sequence[str] = list(dict.fromkeys(list(cfg.DATASETS.TRAIN) + list(cfg.DATASETS.TEST)))
    reports = []
    for name in names:
        report = CheckReport(name)
        reports.append(report)
        try:
            records = DatasetCatalog.get(name)
        except Exception as e:  # noqa: BLE001
            report.problems.append(describe(e, name))
            continue
        if not records:
            report.problems.append(f'{name}: the dataset is empty')
            continue
        meta = MetadataCatalog.get(name)
        ids = [r.get('image_id') for r in records]
        if len(set(ids)) != len(ids):
            dup = sorted({i for i in ids if ids.count(i) > 1})[:5]
            report.problems.append(f'{name}: image id(s) {dup} appear more than once')
        check_samples(report, len(records), lambda i: check_record(records[i], meta),
                      lambda i: records[i].get('file_name', f'record {i}'), max_errors, progress)
        if getattr(meta, 'panoptic_json', None) and len(report.problems) < max_errors:
            check_panoptic_pngs(report, meta, max_errors, progress)
            report.samples = len(records)
    return reports

"""The TGS Salt Kaggle layout: which samples exist, where their masks, RLEs and depths are.

Shared by the mmseg ``TGSSaltDataset``, the Detectron2 ``tgs_salt`` dataset and the split tool::

    train/images/<id>.png   grayscale, stored as 1- or 3-channel PNG
    train/masks/<id>.png    0/255 (optional: masks may be given only as RLE)
    train.csv               id,rle_mask   (column-major, 1-based RLE)
    depths.csv              id,z
    splits/fold<k>_{train,val}.txt   one id per line
    test/images/<id>.png    unlabelled Kaggle test images
"""
import csv
import os
import os.path as osp
from typing import Dict, List, Optional

import numpy as np

from .errors import DataError, MissingDataError, first_problem
from .folders import FolderIndex, read_lines
from .image_io import read_image, read_label_image, to_gray
from .masks import binary_mask_from_image, binary_mask_from_rle_for_image, check_mask_size
from .splits import coverage_class, fold_ids, stratified_kfold
from .tables import read_csv_column

#: The size of every TGS image; Kaggle's ``train.csv`` RLEs are for this shape.
TGS_SHAPE = (101, 101)


def sample_ids(split_file: str, img_dir: str, img_suffix: str = '.png',
               problems: Optional[List[DataError]] = None) -> List[str]:
    """Ids listed in ``split_file`` (one per line, a UTF-8 BOM accepted), or every
    ``<id><img_suffix>`` of ``img_dir`` (suffix in any letter case).

    A duplicate id is a problem (appended to ``problems``, else raised); it is listed once.

    Raises:
        MissingDataError / DataError: missing split file or folder, no ids, a duplicate id.
    """
    if split_file:
        if not osp.isfile(split_file):
            raise MissingDataError(split_file, 'split file not found (make splits with '
                                   'tools/dataset_converters/tgs_salt_splits.py)')
        ids = read_lines(split_file)
        source = split_file
    else:
        ids = FolderIndex(img_dir).stems(img_suffix)
        source = img_dir
    if not ids:
        raise DataError(source, 'no samples (empty split file or image folder)')
    seen, unique = set(), []
    for sid in ids:
        if sid in seen:
            err = DataError(source, f'duplicate id {sid!r}')
            if problems is None:
                raise err
            problems.append(err)
            continue
        seen.add(sid)
        unique.append(sid)
    return unique


def read_depths(path: Optional[str],
                problems: Optional[List[DataError]] = None) -> Dict[str, float]:
    """``{id: depth}`` from ``depths.csv`` (empty when ``path`` is None).

    A depth that is not a finite number (``nan``, ``inf``, text) is a problem naming the file and
    the id: appended to ``problems`` (the id left out), else raised.

    Raises:
        MissingDataError: ``path`` is given but does not exist.
        DataError: a bad row.
    """
    depths: Dict[str, float] = {}
    if path is None:
        return depths
    if not osp.isfile(path):
        raise MissingDataError(path, 'depth file not found (depth_file is set: the config reads '
                               'depths, e.g. for AddDepthChannel; set depth_file=None otherwise)')
    for sid, z in read_csv_column(path, 'id', 'z').items():
        try:
            value = float(z)
        except ValueError:
            value = None
        if value is None or not np.isfinite(value):
            err = DataError(path, f'id {sid!r}: depth {z!r} is not a finite number')
            if problems is None:
                raise err
            problems.append(err)
            continue
        depths[sid] = value
    return depths


def tgs_records(img_dir: str, mask_dir: Optional[str] = None, split_file: str = '',
                rle_file: Optional[str] = None, depth_file: Optional[str] = None,
                with_annotations: Optional[bool] = None, test_mode: bool = False,
                img_suffix: str = '.png', seg_map_suffix: str = '.png',
                problems: Optional[List[DataError]] = None) -> List[dict]:
    """One record per sample, every file it needs checked to exist.

    A record holds ``img_path``, ``sample_id``, ``depth`` (None without ``depth_file``),
    ``depth_source`` and, when annotated, ``seg_map_path`` (the mask PNG when it exists, else
    None with ``rle_mask`` and ``rle_source`` from ``rle_file``). Suffixes match in any letter
    case (``.PNG`` == ``.png``).

    ``with_annotations=None`` expects annotations unless ``test_mode`` with neither a mask folder
    nor an RLE file.

    Every per-sample problem is found: with ``problems`` (a list) they are appended to it and the
    samples concerned left out; without, the first is raised, saying how many more there are.

    Raises:
        MissingDataError / DataError: naming the file -- a missing image (and the split that
            lists it, with a hint when it exists under another suffix), no mask file and no RLE
            row, no annotations at all, bad CSV rows, a depth that is not a finite number.
    """
    found: List[DataError] = []
    ids = sample_ids(split_file, img_dir, img_suffix, found)
    images = FolderIndex(img_dir)
    masks = FolderIndex(mask_dir, required=False) if mask_dir else None
    has_masks = masks is not None and masks.exists
    has_rle = rle_file is not None and osp.isfile(rle_file)
    if with_annotations is None:
        with_annotations = has_masks or has_rle or not test_mode
    if with_annotations and not (has_masks or has_rle):
        raise MissingDataError(mask_dir or img_dir, 'no annotations: neither the mask folder '
                               f'nor {rle_file or "an RLE file"} exists')
    rles = read_csv_column(rle_file, 'id', 'rle_mask') if with_annotations and has_rle else {}
    depth_problems: List[DataError] = []
    depths = read_depths(depth_file, depth_problems)
    found.extend(depth_problems)
    bad_depth = {sid for sid in ids for e in depth_problems if e.problem.startswith(f'id {sid!r}:')}
    records = []
    for sid in ids:
        img_path = images.find(sid, img_suffix)
        if img_path is None:
            found.append(images.missing(
                sid, img_suffix, f'image of id {sid!r} not found'
                + (f' (listed in {split_file})' if split_file else '')))
            continue
        if sid in bad_depth:
            continue
        rec = dict(img_path=img_path, sample_id=sid, depth=depths.get(sid),
                   depth_source=depth_file)
        if with_annotations:
            mask_path = masks.find(sid, seg_map_suffix) if has_masks else None
            if mask_path is not None:
                rec['seg_map_path'] = mask_path
            elif sid in rles:
                rec.update(seg_map_path=None, rle_mask=rles[sid], rle_source=rle_file,
                           rle_shape=TGS_SHAPE)
            else:
                missing = osp.join(mask_dir, sid + seg_map_suffix) if has_masks else rle_file
                hint = masks.suffix_hint(sid, seg_map_suffix, 'seg_map_suffix') if has_masks \
                    else ''
                found.append(MissingDataError(
                    missing, f'mask of id {sid!r} not found'
                    + (f' and {rle_file} has no row for it' if has_rle else '') + hint))
                continue
        records.append(rec)
    if problems is not None:
        problems.extend(found)
    elif found:
        raise first_problem(found)
    return records


def read_record_mask(record: dict, image_hw) -> np.ndarray:
    """The 0/1 mask of a record of :func:`tgs_records` (PNG, palette PNG or RLE), checked against
    the image size ``image_hw``. An RLE is decoded at ``record['rle_shape']`` (the TGS size):
    an image of another size cannot be checked against it and is refused."""
    path = record.get('seg_map_path')
    if path is not None:
        mask, source = binary_mask_from_image(read_label_image(path), path), path
    else:
        source = f"{record.get('rle_source', 'RLE')} (id {record.get('sample_id', '?')})"
        mask = binary_mask_from_rle_for_image(record.get('rle_mask'), record.get('rle_shape'),
                                              image_hw, source, record['img_path'])
    check_mask_size(mask, source, image_hw, record['img_path'])
    return mask


def write_tgs_splits(data_root: str, num_folds: int = 5, seed: int = 0,
                     out_dir: str = 'splits', num_bins: int = 10) -> dict:
    """Write coverage-stratified k-fold split files for a TGS Salt folder.

    Reads every training image and mask (PNG or ``train.csv`` RLE, checked as in training), bins
    its salt coverage with :func:`~.splits.coverage_class` and deals ids into folds with
    :func:`~.splits.stratified_kfold`. Writes ``<data_root>/<out_dir>/fold<k>_train.txt`` and
    ``fold<k>_val.txt`` for every fold, and ``folds.csv`` (``id,coverage,coverage_class,fold``).

    Returns ``dict(num_samples=..., files=[...], fold_sizes=[...])``.
    """
    problems: List[DataError] = []
    records = tgs_records(osp.join(data_root, 'train', 'images'),
                          osp.join(data_root, 'train', 'masks'),
                          rle_file=osp.join(data_root, 'train.csv'), with_annotations=True,
                          problems=problems)
    ids, coverage = [], []
    for rec in records:
        try:
            image = to_gray(read_image(rec['img_path']), rec['img_path'])
            coverage.append(float(read_record_mask(rec, image.shape).mean()))
        except DataError as e:
            problems.append(e)
            continue
        ids.append(rec['sample_id'])
    if problems:
        raise first_problem(problems)
    classes = coverage_class(np.asarray(coverage), num_bins)
    folds = stratified_kfold(classes, num_folds, seed)
    root = osp.join(data_root, out_dir)
    os.makedirs(root, exist_ok=True)
    files = []
    for k in range(num_folds):
        train, val = fold_ids(ids, folds, k)
        for name, part in ((f'fold{k}_train.txt', train), (f'fold{k}_val.txt', val)):
            path = osp.join(root, name)
            with open(path, 'w') as f:
                f.write('\n'.join(part) + '\n')
            files.append(path)
    table = osp.join(root, 'folds.csv')
    with open(table, 'w', newline='') as f:
        w = csv.writer(f)
        w.writerow(['id', 'coverage', 'coverage_class', 'fold'])
        w.writerows((i, f'{c:.6f}', int(cc), int(fo))
                    for i, c, cc, fo in zip(ids, coverage, classes, folds))
    files.append(table)
    return dict(num_samples=len(ids), files=files,
                fold_sizes=np.bincount(folds, minlength=num_folds).tolist())

"""Bi-temporal change-detection folders: images of two dates paired by file name.

LEVIR-CD's ``{train,val,test}/{A,B,label}/*.png`` by default; any pair of folders (S2Looking's
``Image1``/``Image2``, WHU-CD, ...) with the suffixes given. Shared by the mmseg
``BiTemporalCDDataset`` and the prediction tools.
"""
import os
import os.path as osp
from typing import List, Optional

from .errors import DataError, MissingDataError


def names_with_suffix(folder: str, suffix: str) -> List[str]:
    """Sorted file names of ``folder`` ending in ``suffix``, without it."""
    if not osp.isdir(folder):
        raise MissingDataError(folder, 'image folder not found')
    return sorted(f[:-len(suffix)] for f in os.listdir(folder)
                  if f.endswith(suffix) and osp.isfile(osp.join(folder, f)))


def pair_records(dir_a: str, dir_b: str, label_dir: Optional[str] = None,
                 split_file: str = '', img_suffix: str = '.png', img_suffix2: str = '.png',
                 seg_map_suffix: str = '.png') -> List[dict]:
    """One record ``dict(img_path, img_path2[, seg_map_path], name)`` per pair.

    Names come from ``split_file`` (one per line) or from ``dir_a``; every partner must exist.

    Raises:
        MissingDataError / DataError: naming the file -- an image of one date without its partner
            (either way round), a missing label, an empty folder or split.
    """
    if split_file:
        if not osp.isfile(split_file):
            raise MissingDataError(split_file, 'split file not found')
        with open(split_file) as f:
            names = [ln.strip() for ln in f if ln.strip()]
    else:
        names = names_with_suffix(dir_a, img_suffix)
        only_b = sorted(set(names_with_suffix(dir_b, img_suffix2)) - set(names))
        if only_b:
            raise DataError(osp.join(dir_b, only_b[0] + img_suffix2),
                            f'unpaired: no image {only_b[0] + img_suffix} in {dir_a} '
                            f'({len(only_b)} such file(s) in {dir_b})')
    if not names:
        raise DataError(split_file or dir_a, 'no image pairs (empty folder or split)')
    records = []
    for name in names:
        path_a = osp.join(dir_a, name + img_suffix)
        path_b = osp.join(dir_b, name + img_suffix2)
        if not osp.isfile(path_a):
            raise MissingDataError(path_a, f'image A of pair {name!r} not found')
        if not osp.isfile(path_b):
            raise MissingDataError(path_b, f'unpaired: image B of {path_a} not found')
        rec = dict(img_path=path_a, img_path2=path_b, name=name)
        if label_dir is not None:
            label = osp.join(label_dir, name + seg_map_suffix)
            if not osp.isfile(label):
                raise MissingDataError(label, f'change label of pair {name!r} not found')
            rec['seg_map_path'] = label
        records.append(rec)
    return records

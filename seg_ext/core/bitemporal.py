"""Bi-temporal change-detection folders: images of two dates paired by file name.

LEVIR-CD's ``{train,val,test}/{A,B,label}/*.png`` by default; any pair of folders (S2Looking's
``Image1``/``Image2``, WHU-CD, ...) with the suffixes given. Shared by the mmseg
``BiTemporalCDDataset`` and the prediction tools.
"""
import os.path as osp
from typing import List, Optional

from .errors import DataError, MissingDataError, first_problem
from .folders import FolderIndex, read_lines


def names_with_suffix(folder: str, suffix: str) -> List[str]:
    """Sorted file names of ``folder`` ending in ``suffix`` (any letter case), without it."""
    return FolderIndex(folder).stems(suffix)


def pair_records(dir_a: str, dir_b: str, label_dir: Optional[str] = None,
                 split_file: str = '', img_suffix: str = '.png', img_suffix2: str = '.png',
                 seg_map_suffix: str = '.png',
                 problems: Optional[List[DataError]] = None) -> List[dict]:
    """One record ``dict(img_path, img_path2[, seg_map_path], name)`` per pair.

    Names come from ``split_file`` (one per line, a UTF-8 BOM accepted) or from ``dir_a``; every
    partner must exist. Suffixes match in any letter case; a partner present under another
    suffix is named in the message (``B/x.jpg exists: set img_suffix2='.jpg'``).

    Every problem is found: with ``problems`` (a list) they are appended to it and the pairs
    concerned left out; without, the first is raised, saying how many more there are.

    Raises:
        MissingDataError / DataError: naming the file -- an image of one date without its partner
            (either way round), a missing label, an empty folder or split.
    """
    found: List[DataError] = []
    index_a, index_b = FolderIndex(dir_a), FolderIndex(dir_b)
    labels = FolderIndex(label_dir) if label_dir is not None else None
    if split_file:
        if not osp.isfile(split_file):
            raise MissingDataError(split_file, 'split file not found')
        names = read_lines(split_file)
    else:
        names = index_a.stems(img_suffix)
        only_b = sorted(set(index_b.stems(img_suffix2)) - set(names))
        for name in only_b:
            found.append(DataError(index_b.find(name, img_suffix2),
                                   f'unpaired: no image {name + img_suffix} in {dir_a}'
                                   + index_a.suffix_hint(name, img_suffix, 'img_suffix')))
    if not names:
        raise DataError(split_file or dir_a, 'no image pairs (empty folder or split)')
    records = []
    for name in names:
        path_a = index_a.find(name, img_suffix)
        path_b = index_b.find(name, img_suffix2)
        label = labels.find(name, seg_map_suffix) if labels is not None else None
        bad = False
        if path_a is None:
            found.append(index_a.missing(name, img_suffix, f'image A of pair {name!r} not found',
                                         'img_suffix'))
            bad = True
        if path_b is None:
            found.append(index_b.missing(
                name, img_suffix2,
                f'unpaired: image B of {path_a or repr(name)} not found', 'img_suffix2'))
            bad = True
        if labels is not None and label is None:
            found.append(labels.missing(name, seg_map_suffix,
                                        f'change label of pair {name!r} not found',
                                        'seg_map_suffix'))
            bad = True
        if bad:
            continue
        rec = dict(img_path=path_a, img_path2=path_b, name=name)
        if label is not None:
            rec['seg_map_path'] = label
        records.append(rec)
    if problems is not None:
        problems.extend(found)
    elif found:
        raise first_problem(found)
    return records

"""The Kaggle submission of a binary segmentation competition (TGS Salt): ``id,rle_mask`` rows.

Masks are run-length encoded with :func:`seg_ext.core.rle.rle_encode` (column-major, 1-based
``start length`` pairs; an empty mask is an empty string). When the competition's
``sample_submission.csv`` is given, the rows follow its ids and order.
"""
import csv
from typing import Dict, List, Mapping, Optional, Sequence, Tuple

import numpy as np

from .errors import DataError, MissingDataError, PathType
from .rle import rle_decode, rle_encode


def read_submission_ids(path: PathType) -> List[str]:
    """The ``id`` column of a (sample) submission CSV, in file order.

    Raises:
        MissingDataError / DataError: no such file, no ``id`` column, or a duplicate id.
    """
    try:
        with open(path, newline='') as f:
            reader = csv.DictReader(f)
            if reader.fieldnames is None or 'id' not in reader.fieldnames:
                raise DataError(path, f'has no "id" column (columns: {reader.fieldnames})')
            ids = [row['id'] for row in reader]
    except FileNotFoundError:
        raise MissingDataError(path, 'sample submission file not found') from None
    seen = set()
    for sid in ids:
        if sid in seen:
            raise DataError(path, f'duplicate id {sid!r}')
        seen.add(sid)
    return ids


def submission_rows(rles: Mapping[str, str],
                    order: Optional[Sequence[str]] = None,
                    order_source: PathType = 'sample_submission.csv') -> List[Tuple[str, str]]:
    """``(id, rle)`` rows for each id of ``order`` (all ids of ``rles`` in their order when
    ``None``); ``rles`` maps ids to :func:`mask_rle` strings.

    Raises:
        DataError: an id of ``order`` has no prediction (names ``order_source`` and the ids).
    """
    ids = list(rles) if order is None else list(order)
    missing = [sid for sid in ids if sid not in rles]
    if missing:
        raise DataError(order_source, f'{len(missing)} listed id(s) have no predicted image '
                        f'(e.g. {", ".join(missing[:5])})')
    return [(sid, rles[sid]) for sid in ids]


def mask_rle(mask: np.ndarray) -> str:
    """The submission string of one predicted mask (non-zero = foreground; '' when empty)."""
    return rle_encode(mask)


def write_submission(path: PathType, rows: Sequence[Tuple[str, str]]) -> None:
    """Write ``id,rle_mask`` and one line per row."""
    with open(path, 'w', newline='') as f:
        writer = csv.writer(f)
        writer.writerow(['id', 'rle_mask'])
        writer.writerows(rows)


def read_submission(path: PathType, shape: Tuple[int, int]) -> Dict[str, np.ndarray]:
    """Decode a submission back into ``{id: (H, W) uint8 0/1 mask}`` (file order kept)."""
    out: Dict[str, np.ndarray] = {}
    with open(path, newline='') as f:
        for row in csv.DictReader(f):
            out[row['id']] = rle_decode(row['rle_mask'], shape)
    return out

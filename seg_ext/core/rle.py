"""Kaggle run-length encoding (TGS Salt ``train.csv``), as pure functions.

Pixels are numbered from 1, top to bottom then left to right (column-major); an RLE string is
space-separated ``start length`` pairs, and an empty string is an empty mask.
"""
from typing import Optional, Tuple

import numpy as np


def rle_encode(mask: np.ndarray) -> str:
    """Encode a 2-D mask (non-zero = foreground) as a Kaggle RLE string ('' if empty)."""
    mask = np.asarray(mask)
    if mask.ndim != 2:
        raise ValueError(f'rle_encode expects a 2-D mask, got shape {mask.shape}')
    pixels = (mask.T.reshape(-1) != 0).astype(np.int8)
    edges = np.flatnonzero(np.diff(np.concatenate(([0], pixels, [0])))) + 1
    edges[1::2] -= edges[0::2]
    return ' '.join(map(str, edges.tolist()))


def rle_decode(rle: Optional[str], shape: Tuple[int, int]) -> np.ndarray:
    """Decode a Kaggle RLE string into an ``(H, W)`` uint8 mask of 0/1.

    ``None``, NaN and blank strings decode to an empty mask.

    Raises:
        ValueError: malformed string (odd token count, non-integer, start < 1, length < 1), runs
            that overlap or are out of order, or a run that ends past the last pixel of ``shape``.
    """
    h, w = int(shape[0]), int(shape[1])
    n = h * w
    if rle is None or (isinstance(rle, float) and np.isnan(rle)) or not str(rle).strip():
        return np.zeros((h, w), np.uint8)
    tokens = str(rle).split()
    if len(tokens) % 2:
        raise ValueError(f'RLE has an odd number of values ({len(tokens)}); '
                         'expected "start length" pairs')
    try:
        nums = np.array([int(t) for t in tokens], dtype=np.int64)
    except ValueError:
        bad = next(t for t in tokens if not t.lstrip('-').isdigit())
        raise ValueError(f'RLE value {bad!r} is not an integer') from None
    starts, lengths = nums[0::2] - 1, nums[1::2]
    if (starts < 0).any():
        raise ValueError(f'RLE start {int(starts.min()) + 1} < 1 (starts are 1-based)')
    if (lengths < 1).any():
        raise ValueError(f'RLE run length {int(lengths.min())} < 1')
    ends = starts + lengths
    if ends.max() > n:
        raise ValueError(f'RLE run ends at pixel {int(ends.max())} but a {h}x{w} image has '
                         f'only {n} pixels')
    if (starts[1:] < ends[:-1]).any():
        i = int(np.flatnonzero(starts[1:] < ends[:-1])[0])
        raise ValueError(f'RLE runs overlap or are out of order (run {i + 2} starts at '
                         f'{int(starts[i + 1]) + 1}, before run {i + 1} ends)')
    flat = np.zeros(n + 1, np.int32)
    np.add.at(flat, starts, 1)
    np.add.at(flat, ends, -1)
    return (np.cumsum(flat[:-1]) > 0).astype(np.uint8).reshape(w, h).T.copy()

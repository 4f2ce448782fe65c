"""Sliding-window (tiled) prediction with blended overlaps, for single images and image pairs.

A large image is cut into ``tile``-sized windows on mmseg's slide grid (stride ``tile -
overlap``, the last window of a row/column moved back inside the image), the model predicts each
window, and the class probabilities are blended into one float32 ``C×H×W`` buffer. Memory is the
model's at the tile size plus the output: the model never sees the whole image.

Blending weights are separable. Along each axis a window's weight is 1 except on sides inside the
image (a neighbour overlaps there): from such an edge it is 0 for ``guard`` pixels, then ramps
linearly to 1 over ``overlap - 2·guard`` pixels. Sides on the image border keep weight 1, so the
border counts fully. Two neighbours' ramps sum to 1 across an overlap of exactly ``overlap``
pixels; every pixel gets a positive total weight as long as ``overlap >= 2·guard``.

Exactness: a window's prediction is wrong only near its inner edges, where its zero padding stands
in for image content. If the model's receptive-field radius is at most ``guard`` and it is
translation-equivariant (stride-1 convolutions), each pixel's blend only uses windows that saw its
whole receptive field, and the tiled prediction equals the whole-image one. mmseg's
``test_cfg=dict(mode='slide')`` averages logits with equal weights instead, which is exact only
for a receptive field of one pixel.
"""
from typing import Callable, List, Optional, Sequence, Tuple, Union

import numpy as np

from .errors import DataError

Image = Union[np.ndarray, Tuple[np.ndarray, ...]]
Window = Tuple[int, int, int, int]  # y0, x0, y1, x1 (end exclusive)
PredictFn = Callable[[List[Image]], Sequence[np.ndarray]]


def _pair(value: Union[int, Sequence[int]], name: str) -> Tuple[int, int]:
    if isinstance(value, (int, np.integer)):
        return int(value), int(value)
    value = tuple(int(v) for v in value)
    if len(value) != 2:
        raise ValueError(f'{name} must be an int or (height, width), got {value}')
    return value


def check_tiling(tile: Union[int, Sequence[int]], overlap: int,
                 guard: Optional[int] = None) -> Tuple[Tuple[int, int], int, int]:
    """Validate the arguments; returns ``((tile_h, tile_w), overlap, guard)`` with the default
    ``guard = overlap // 4``.

    Raises:
        ValueError: a tile side < 1, ``overlap`` outside ``[0, min(tile))``, ``guard`` outside
            ``[0, overlap // 2]``.
    """
    th, tw = _pair(tile, 'tile')
    if th < 1 or tw < 1:
        raise ValueError(f'tile must be positive, got {th}x{tw}')
    if not 0 <= overlap < min(th, tw):
        raise ValueError(f'overlap must be in [0, {min(th, tw)}) for a {th}x{tw} tile, got '
                         f'{overlap}')
    guard = overlap // 4 if guard is None else int(guard)
    if not 0 <= 2 * guard <= overlap:
        raise ValueError(f'guard must be in [0, overlap // 2 = {overlap // 2}], got {guard}')
    return (th, tw), int(overlap), guard


def tile_starts(length: int, tile: int, overlap: int) -> List[int]:
    """Window starts along one axis: mmseg's slide grid (stride ``tile - overlap``, as many
    windows as ``slide_inference`` uses, the last one ending at ``length``); ``tile <= length``."""
    stride = tile - overlap
    n = max(length - tile + stride - 1, 0) // stride + 1
    return [min(i * stride, length - tile) for i in range(n)]


def tile_windows(height: int, width: int, tile: Union[int, Sequence[int]],
                 overlap: int) -> List[Window]:
    """All windows ``(y0, x0, y1, x1)`` of an image, row by row."""
    th, tw = _pair(tile, 'tile')
    return [(y, x, y + th, x + tw) for y in tile_starts(height, th, overlap)
            for x in tile_starts(width, tw, overlap)]


def ramp_profile(start: int, tile: int, length: int, overlap: int, guard: int) -> np.ndarray:
    """The 1-D blending weight (float64, ``tile`` values) of the window ``[start, start+tile)``
    of an axis of ``length`` pixels (see the module docstring)."""
    d = np.arange(tile, dtype=np.float64)
    ramp = np.clip((d - guard + 1) / (overlap - 2 * guard + 1), 0.0, 1.0)
    w = np.ones(tile)
    if start > 0:  # inner edge on the low side
        w = np.minimum(w, ramp)
    if start + tile < length:  # inner edge on the high side
        w = np.minimum(w, ramp[::-1])
    return w


def axis_weights(length: int, tile: int, overlap: int,
                 guard: int) -> Tuple[List[int], List[np.ndarray], np.ndarray]:
    """Starts, per-window profiles and their sum over the axis (float64, ``length`` values)."""
    starts = tile_starts(length, tile, overlap)
    profiles = [ramp_profile(s, tile, length, overlap, guard) for s in starts]
    total = np.zeros(length)
    for s, p in zip(starts, profiles):
        total[s:s + tile] += p
    return starts, profiles, total


def _image_size(image: Image, source: str) -> Tuple[int, int]:
    if isinstance(image, (tuple, list)):
        if not image:
            raise DataError(source, 'empty image tuple')
        shapes = {np.shape(x) for x in image}
        if len(shapes) != 1:
            raise DataError(source, 'the images of a pair must have the same size, got '
                            + ' and '.join('x'.join(map(str, np.shape(x))) for x in image))
        image = image[0]
    if np.ndim(image) not in (2, 3):
        raise DataError(source, f'expected an H×W or H×W×C image, got shape {np.shape(image)}')
    return int(np.shape(image)[0]), int(np.shape(image)[1])


def _crop(image: Image, win: Window) -> Image:
    y0, x0, y1, x1 = win
    if isinstance(image, (tuple, list)):
        return tuple(np.ascontiguousarray(x[y0:y1, x0:x1]) for x in image)
    return np.ascontiguousarray(image[y0:y1, x0:x1])


def predict_tiled(predict_fn: PredictFn, image: Image, tile: Union[int, Sequence[int]],
                  overlap: int, guard: Optional[int] = None, batch_size: int = 1,
                  source: str = '<image>', out: Optional[np.ndarray] = None) -> np.ndarray:
    """Predict ``image`` window by window and blend the windows' probabilities.

    Args:
        predict_fn: called with a list of up to ``batch_size`` crops (each an ``h×w[×C]`` array,
            or for a pair a tuple ``(A, B)`` of crops) and returning one ``K×h×w`` probability
            array per crop -- e.g. a predictor's ``predict_probs``.
        image: an ``H×W`` or ``H×W×C`` array, or a tuple ``(A, B)`` of arrays of the same shape
            (change detection); only windows are copied, so a memory map works too.
        tile: window size, ``int`` or ``(height, width)``.
        overlap: pixels shared by neighbouring windows, ``0 <= overlap < min(tile)``.
        guard: zero-weight band at inner window edges (default ``overlap // 4``, at most
            ``overlap // 2``); the result is exact for receptive-field radii up to ``guard``.
        batch_size: windows per ``predict_fn`` call.
        source: the file named in errors.
        out: optional float32 ``K×H×W`` buffer (e.g. a ``np.memmap``) to blend into (zeroed
            first).

    Returns:
        float32 ``K×H×W`` blended probabilities (``out`` when given).

    Raises:
        DataError: the tile is larger than the image (naming ``source``), a pair of different
            sizes, or ``predict_fn`` returned probabilities of the wrong shape.
        ValueError: bad ``tile``/``overlap``/``guard``/``batch_size`` (see :func:`check_tiling`).
    """
    (th, tw), overlap, guard = check_tiling(tile, overlap, guard)
    if batch_size < 1:
        raise ValueError(f'batch_size must be >= 1, got {batch_size}')
    h, w = _image_size(image, source)
    if th > h or tw > w:
        raise DataError(source, f'the tile {th}x{tw} is larger than the image {h}x{w}; use a '
                        'tile of at most the image size (or predict it whole)')
    ys, py, sum_y = axis_weights(h, th, overlap, guard)
    xs, px, sum_x = axis_weights(w, tw, overlap, guard)
    if out is not None:
        out[...] = 0
    jobs = [(y0, x0, np.outer(wy, wx).astype(np.float32))
            for y0, wy in zip(ys, py) for x0, wx in zip(xs, px)]
    for i in range(0, len(jobs), batch_size):
        batch = jobs[i:i + batch_size]
        crops = [_crop(image, (y0, x0, y0 + th, x0 + tw)) for y0, x0, _ in batch]
        probs = predict_fn(crops)
        if len(probs) != len(crops):
            raise DataError(source, f'the model returned {len(probs)} predictions for '
                            f'{len(crops)} windows')
        for (y0, x0, weight), p in zip(batch, probs):
            p = np.asarray(p, dtype=np.float32)
            if p.ndim != 3 or p.shape[1:] != (th, tw):
                raise DataError(source, f'the model returned probabilities of shape {p.shape} '
                                f'for a {th}x{tw} window (expected K×{th}×{tw})')
            if out is None:
                out = np.zeros((p.shape[0], h, w), np.float32)
            elif out.shape != (p.shape[0], h, w) or out.dtype != np.float32:
                raise ValueError(f'out must be float32 {(p.shape[0], h, w)}, got {out.dtype} '
                                 f'{out.shape}')
            out[:, y0:y0 + th, x0:x0 + tw] += p * weight
    # the total weight is separable too: divide by its row and column factors, in place
    out /= sum_y.astype(np.float32)[None, :, None]
    out /= sum_x.astype(np.float32)[None, None, :]
    return out

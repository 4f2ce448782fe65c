"""Pad image and masks to a fixed size by reflection, recording the padding so it can be undone."""
from typing import Sequence, Tuple

import numpy as np
from mmcv.transforms import BaseTransform
from mmseg.registry import TRANSFORMS


def centered_padding(size: Tuple[int, int], target: Tuple[int, int]) -> Tuple[int, int, int, int]:
    """``(left, right, top, bottom)`` padding that centres ``size`` (H, W) inside ``target``."""
    (h, w), (th, tw) = size, target
    if th < h or tw < w:
        raise ValueError(f'cannot pad {h}x{w} to the smaller size {th}x{tw}')
    top, left = (th - h) // 2, (tw - w) // 2
    return left, tw - w - left, top, th - h - top


@TRANSFORMS.register_module()
class ReflectPad(BaseTransform):
    """Pad ``img`` and every ``seg_fields`` map to ``size`` (e.g. TGS 101→128), centred.

    ``mode='reflect'`` mirrors the content without repeating the border pixel (numpy ``reflect``);
    masks are reflected too by default so that image and label stay consistent, or filled with
    ``seg_pad_val`` when ``seg_mode='constant'``.

    Sets ``img_shape``/``pad_shape`` and ``img_padding_size = [left, right, top, bottom]``, which
    mmseg's segmentors read to crop the padding off the logits before resizing predictions to
    ``ori_shape``: predictions and metrics stay at the original resolution. Add
    ``'img_padding_size'`` to ``PackSegInputs.meta_keys`` in test pipelines.
    """

    def __init__(self, size: Sequence[int] = (128, 128), mode: str = 'reflect',
                 seg_mode: str = 'reflect', pad_val: float = 0, seg_pad_val: int = 255) -> None:
        if mode not in ('reflect', 'symmetric', 'edge', 'constant'):
            raise ValueError(f'unsupported mode {mode!r}')
        if seg_mode not in ('reflect', 'symmetric', 'edge', 'constant'):
            raise ValueError(f'unsupported seg_mode {seg_mode!r}')
        self.size = (int(size[0]), int(size[1]))
        self.mode = mode
        self.seg_mode = seg_mode
        self.pad_val = pad_val
        self.seg_pad_val = seg_pad_val

    @staticmethod
    def _pad(arr: np.ndarray, pads: Tuple[int, int, int, int], mode: str, value) -> np.ndarray:
        left, right, top, bottom = pads
        width = [(top, bottom), (left, right)] + [(0, 0)] * (arr.ndim - 2)
        if mode == 'constant':
            return np.pad(arr, width, mode='constant', constant_values=value)
        return np.pad(arr, width, mode=mode)

    def transform(self, results: dict) -> dict:
        img = results['img']
        pads = centered_padding(img.shape[:2], self.size)
        results['img'] = self._pad(img, pads, self.mode, self.pad_val)
        for key in results.get('seg_fields', []):
            results[key] = self._pad(results[key], pads, self.seg_mode, self.seg_pad_val)
        results['img_shape'] = results['img'].shape[:2]
        results['pad_shape'] = results['img'].shape[:2]
        results['img_padding_size'] = list(pads)
        return results

    def __repr__(self) -> str:
        return (f'{type(self).__name__}(size={self.size}, mode={self.mode!r}, '
                f'seg_mode={self.seg_mode!r})')

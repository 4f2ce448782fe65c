"""Loading transforms that validate what they read and name the file when something is wrong."""
from typing import Optional

import numpy as np
from mmcv.transforms import BaseTransform
from mmseg.registry import TRANSFORMS

from ...utils.errors import DataError, MissingDataError
from ...utils.image_io import read_image
from ..rle import rle_decode


@TRANSFORMS.register_module()
class LoadCheckedImageFromFile(BaseTransform):
    """Load ``results['img_path']`` like mmcv's ``LoadImageFromFile``, with clear errors.

    Args:
        color_type: ``'grayscale'`` (H×W uint8; 3-channel PNGs whose channels are equal are
            collapsed, a colour image is refused), ``'color'`` (H×W×3 BGR) or ``'unchanged'``.
        to_float32: return float32 instead of uint8.
        backend_args: mmengine file-backend arguments.

    Adds ``img``, ``img_shape`` and ``ori_shape``.

    Raises:
        MissingDataError / DataError: missing, empty or undecodable file, or a colour image
            where grayscale is expected (the message names the file).
    """

    def __init__(self, color_type: str = 'color', to_float32: bool = False,
                 backend_args: Optional[dict] = None) -> None:
        if color_type not in ('grayscale', 'color', 'unchanged'):
            raise ValueError('color_type must be grayscale, color or unchanged, '
                             f'got {color_type!r}')
        self.color_type = color_type
        self.to_float32 = to_float32
        self.backend_args = backend_args

    def transform(self, results: dict) -> dict:
        if self.color_type == 'grayscale':
            img = self._read_gray(results['img_path'])
        else:
            img = read_image(results['img_path'], self.color_type, self.backend_args)
        if self.to_float32:
            img = img.astype(np.float32)
        results['img'] = img
        results['img_shape'] = img.shape[:2]
        results['ori_shape'] = img.shape[:2]
        return results

    def _read_gray(self, path: str) -> np.ndarray:
        img = read_image(path, 'unchanged', self.backend_args)
        if img.ndim == 3:
            c = img.shape[2]
            if c >= 3 and not (np.array_equal(img[..., 0], img[..., 1])
                               and np.array_equal(img[..., 1], img[..., 2])):
                raise DataError(path, f'image has {c} channels with different values (a colour '
                                'image) but this dataset reads grayscale images; convert it, or '
                                "use color_type='color' with a 3-channel model input")
            img = img[..., 0]  # gray, gray + alpha, or equal RGB(A) channels
        if img.dtype == np.uint16:
            img = (img >> 8).astype(np.uint8)
        elif img.dtype != np.uint8:
            raise DataError(path, f'unsupported pixel type {img.dtype} for a grayscale image')
        return img

    def __repr__(self) -> str:
        return (f'{type(self).__name__}(color_type={self.color_type!r}, '
                f'to_float32={self.to_float32})')


@TRANSFORMS.register_module()
class LoadBinaryAnnotations(BaseTransform):
    """Load a binary (background/foreground) mask as ``gt_seg_map`` with values 0/1.

    The mask comes from ``results['seg_map_path']`` (PNG, 8- or 16-bit, 1 or 3 equal channels,
    foreground stored as 255, 65535 or 1) or, when that is ``None``, from a Kaggle RLE string in
    ``results['rle_mask']`` decoded at the image's original size.

    Must run after the image is loaded (the mask size is checked against ``ori_shape``).

    Raises:
        DataError: mask missing, undecodable, of another size than its image, or holding values
            other than background/foreground; the message names the file (or ``train.csv`` row).
    """

    def __init__(self, backend_args: Optional[dict] = None) -> None:
        self.backend_args = backend_args

    def transform(self, results: dict) -> dict:
        img_hw = tuple(results['ori_shape'][:2])
        path = results.get('seg_map_path')
        if path is not None:
            mask = self._read_png(path)
            source = path
        elif results.get('rle_mask') is not None or results.get('rle_source') is not None:
            source = f"{results.get('rle_source', 'RLE')} (id {results.get('sample_id', '?')})"
            try:
                mask = rle_decode(results.get('rle_mask'), img_hw)
            except ValueError as e:
                raise DataError(source, str(e)) from None
        else:
            raise MissingDataError(results.get('img_path', '?'), 'no mask file and no RLE mask for '
                                   'this image')
        if mask.shape != img_hw:
            raise DataError(source, f'mask is {mask.shape[0]}x{mask.shape[1]} but its image '
                            f"{results.get('img_path', '')} is {img_hw[0]}x{img_hw[1]}")
        results['gt_seg_map'] = mask
        results.setdefault('seg_fields', [])
        if 'gt_seg_map' not in results['seg_fields']:
            results['seg_fields'].append('gt_seg_map')
        return results

    def _read_png(self, path: str) -> np.ndarray:
        raw = read_image(path, 'unchanged', self.backend_args)
        if raw.ndim == 3:
            if raw.shape[2] == 4:
                raw = raw[..., :3]
            if not (raw == raw[..., :1]).all():
                raise DataError(path, f'mask has {raw.shape[2]} channels that differ; a binary '
                                'mask must be single-channel (or equal channels)')
            raw = raw[..., 0]
        values = np.unique(raw)
        top = np.iinfo(raw.dtype).max if np.issubdtype(raw.dtype, np.integer) else 1
        fg = top if top in values else 1
        bad = values[(values != 0) & (values != fg)]
        if bad.size:
            shown = ', '.join(str(v) for v in bad[:5].tolist())
            raise DataError(path, f'mask holds value(s) {shown}; a binary mask holds only 0 '
                            f'(background) and {top} or 1 (foreground)')
        return (raw == fg).astype(np.uint8)

    def __repr__(self) -> str:
        return f'{type(self).__name__}()'

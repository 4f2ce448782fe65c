"""Loading transforms that validate what they read and name the file when something is wrong."""
from typing import Optional

import numpy as np
from mmcv.transforms import BaseTransform
from mmengine import fileio
from mmseg.registry import TRANSFORMS

from ....core.errors import MissingDataError
from ....core.image_io import decode_image, to_gray
from ....core.masks import (
    binary_mask_from_image,
    binary_mask_from_rle,
    check_mask_size,
    missing_annotation,
)


def read_image_file(path: str, flag: str = 'unchanged',
                    backend_args: Optional[dict] = None) -> np.ndarray:
    """Read ``path`` through mmengine's file backends and decode it (errors name the file)."""
    try:
        data = fileio.get(path, backend_args=backend_args)
    except FileNotFoundError:
        raise MissingDataError(path, 'image file not found') from None
    return decode_image(data, path, flag)


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
        path = results['img_path']
        if self.color_type == 'grayscale':
            img = to_gray(read_image_file(path, 'unchanged', self.backend_args), path)
        else:
            img = read_image_file(path, self.color_type, self.backend_args)
        if self.to_float32:
            img = img.astype(np.float32)
        results['img'] = img
        results['img_shape'] = img.shape[:2]
        results['ori_shape'] = img.shape[:2]
        return results

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

    An unlabelled input -- results with none of ``seg_map_path``, ``rle_mask``, ``rle_source``,
    as mmseg's ``inference_model`` and ``MMSegInferencer`` pass them -- goes through unchanged
    (no ``gt_seg_map``). Dataset samples always carry ``seg_map_path`` (``None`` for an RLE mask),
    so a labelled sample without its mask still fails.

    Raises:
        DataError: mask missing, undecodable, of another size than its image, or holding values
            other than background/foreground; the message names the file (or ``train.csv`` row).
    """

    def __init__(self, backend_args: Optional[dict] = None) -> None:
        self.backend_args = backend_args

    def transform(self, results: dict) -> dict:
        if not any(k in results for k in ('seg_map_path', 'rle_mask', 'rle_source')):
            return results  # unlabelled input (inference)
        img_hw = tuple(results['ori_shape'][:2])
        path = results.get('seg_map_path')
        if path is not None:
            mask = binary_mask_from_image(read_image_file(path, 'unchanged', self.backend_args),
                                          path)
            source = path
        elif results.get('rle_mask') is not None or results.get('rle_source') is not None:
            source = f"{results.get('rle_source', 'RLE')} (id {results.get('sample_id', '?')})"
            mask = binary_mask_from_rle(results.get('rle_mask'), img_hw, source)
        else:
            raise missing_annotation(results.get('img_path', '?'))
        check_mask_size(mask, source, img_hw, results.get('img_path', ''))
        results['gt_seg_map'] = mask
        results.setdefault('seg_fields', [])
        if 'gt_seg_map' not in results['seg_fields']:
            results['seg_fields'].append('gt_seg_map')
        return results

    def __repr__(self) -> str:
        return f'{type(self).__name__}()'

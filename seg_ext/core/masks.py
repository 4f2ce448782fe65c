"""Binary (background / foreground) masks from PNGs or Kaggle RLE, checked against their image."""
from typing import Optional, Tuple

import numpy as np

from .errors import DataError, MissingDataError, PathType
from .rle import rle_decode


def binary_mask_from_image(raw: np.ndarray, path: PathType) -> np.ndarray:
    """0/1 uint8 mask of a decoded mask image (8- or 16-bit, 1 or 3/4 equal channels, foreground
    stored as the type's maximum -- 255, 65535 -- or 1).

    Raises:
        DataError: differing channels, or values other than background and foreground.
    """
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


def binary_mask_from_rle(rle: Optional[str], shape: Tuple[int, int], source: str) -> np.ndarray:
    """Decode a Kaggle RLE string at ``shape`` (H, W); errors name ``source`` (file and id)."""
    try:
        return rle_decode(rle, shape)
    except ValueError as e:
        raise DataError(source, str(e)) from None


def check_mask_size(mask: np.ndarray, source: PathType, image_hw: Tuple[int, int],
                    image_path: PathType = '') -> None:
    """Raise a :class:`DataError` naming ``source`` when the mask is not ``image_hw``."""
    if tuple(mask.shape[:2]) != tuple(image_hw):
        raise DataError(source, f'mask is {mask.shape[0]}x{mask.shape[1]} but its image '
                        f'{image_path} is {image_hw[0]}x{image_hw[1]}')


def missing_annotation(image_path: PathType) -> MissingDataError:
    """The error for a labelled sample that has neither a mask file nor an RLE."""
    return MissingDataError(image_path, 'no mask file and no RLE mask for this image')


def binary_mask_from_rle_for_image(rle: Optional[str], rle_hw: Optional[Tuple[int, int]],
                                   image_hw: Tuple[int, int], source: str,
                                   image_path: PathType = '') -> np.ndarray:
    """Decode an RLE made for ``rle_hw`` images (``None``: the image's size) as the mask of an
    ``image_hw`` image.

    Raises:
        DataError: naming ``source``, when the sizes differ (a column-major RLE decoded at another
            size gives a sheared mask, and the RLE cannot be checked against the image), or the
            RLE is malformed.
    """
    rle_hw = tuple(int(v) for v in (rle_hw or image_hw))
    image_hw = tuple(int(v) for v in image_hw)
    if rle_hw != image_hw:
        raise DataError(source, f'the image {image_path} is {image_hw[0]}x{image_hw[1]} but its '
                        f'only mask is an RLE, made for {rle_hw[0]}x{rle_hw[1]} images: the RLE '
                        'cannot be checked against this image (give a mask PNG, or resize the '
                        'image)')
    return binary_mask_from_rle(rle, rle_hw, source)

"""Image reading and decoding with errors that name the file, shared by both plugins.

Local files only here; the mmseg plugin reads bytes through mmengine's file backends and decodes
them with :func:`decode_image`.
"""
import os.path as osp

import cv2
import numpy as np

from .errors import DataError, MissingDataError, PathType

_FLAGS = {
    'unchanged': cv2.IMREAD_UNCHANGED,
    'grayscale': cv2.IMREAD_GRAYSCALE,
    'color': cv2.IMREAD_COLOR,
}


def read_bytes(path: PathType) -> bytes:
    """The bytes of a local file (:class:`MissingDataError` naming it when absent)."""
    if not osp.isfile(path):
        raise MissingDataError(path, 'image file not found')
    with open(path, 'rb') as f:
        return f.read()


def decode_image(data: bytes, path: PathType, flag: str = 'unchanged') -> np.ndarray:
    """Decode image bytes read from ``path``.

    Args:
        data: the file's bytes.
        path: where they came from (for the error message).
        flag: ``'unchanged'`` (keep depth and channels), ``'grayscale'`` (H×W uint8) or
            ``'color'`` (H×W×3 BGR uint8).

    Raises:
        DataError: empty file, or bytes that do not decode as an image (corrupt or truncated).
    """
    if flag not in _FLAGS:
        raise ValueError(f'flag must be one of {sorted(_FLAGS)}, got {flag!r}')
    if len(data) == 0:
        raise DataError(path, 'file is empty (0 bytes)')
    img = cv2.imdecode(np.frombuffer(data, np.uint8), _FLAGS[flag])
    if img is None or img.size == 0:
        raise DataError(path, f'cannot be decoded as an image ({len(data)} bytes; corrupt or '
                        'truncated file, or not an image format OpenCV reads)')
    return img


def read_image(path: PathType, flag: str = 'unchanged') -> np.ndarray:
    """Read and decode a local image file (see :func:`decode_image`).

    Raises:
        MissingDataError: the file does not exist.
        DataError: the bytes do not decode as an image.
    """
    return decode_image(read_bytes(path), path, flag)


def to_gray(img: np.ndarray, path: PathType) -> np.ndarray:
    """A grayscale H×W uint8 image from one decoded with ``'unchanged'``.

    Accepts 1 channel, gray + alpha, and 3/4-channel images whose colour channels are equal (how
    Kaggle stores TGS images); 16-bit images keep their 8 most significant bits.

    Raises:
        DataError: a colour image (channels that differ) or an unsupported pixel type.
    """
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


def to_bgr(img: np.ndarray) -> np.ndarray:
    """What ``cv2.IMREAD_COLOR`` gives for an image decoded with ``IMREAD_UNCHANGED``."""
    if img.dtype == np.uint16:
        img = (img >> 8).astype(np.uint8)
    if img.ndim == 2 or img.shape[2] == 1:
        return cv2.cvtColor(img.reshape(img.shape[:2]), cv2.COLOR_GRAY2BGR)
    if img.shape[2] == 4:
        return cv2.cvtColor(img, cv2.COLOR_BGRA2BGR)
    return img


def is_palette_png(data: bytes) -> bool:
    """Whether ``data`` is a PNG of colour type 3 (palette, PIL mode ``"P"``): its pixels are
    indices into a palette, which OpenCV would expand into 3 colour channels."""
    return len(data) > 25 and data[:8] == b'\x89PNG\r\n\x1a\n' and data[12:16] == b'IHDR' \
        and data[25] == 3


def decode_label_image(data: bytes, path: PathType) -> np.ndarray:
    """Decode a label/mask image, values unchanged: a palette PNG gives its indices (H×W, as
    VOC/PennFudan-style masks are meant to be read), anything else what OpenCV's
    ``IMREAD_UNCHANGED`` gives.

    Raises:
        DataError: empty, corrupt or truncated file.
    """
    if not is_palette_png(data):
        return decode_image(data, path, 'unchanged')
    import io

    from PIL import Image
    try:
        with Image.open(io.BytesIO(data)) as im:
            return np.array(im)
    except (OSError, ValueError, SyntaxError) as e:
        raise DataError(path, f'cannot be decoded as a palette PNG ({len(data)} bytes; corrupt '
                        f'or truncated file: {e})') from None


def read_label_image(path: PathType) -> np.ndarray:
    """Read a local label/mask image (see :func:`decode_label_image`)."""
    return decode_label_image(read_bytes(path), path)

"""Image decoding with errors that name the file, shared by every dataset of the plugin."""
from typing import Optional

import cv2
import numpy as np
from mmengine import fileio

from .errors import DataError, MissingDataError, PathType

_FLAGS = {
    'unchanged': cv2.IMREAD_UNCHANGED,
    'grayscale': cv2.IMREAD_GRAYSCALE,
    'color': cv2.IMREAD_COLOR,
}


def read_image(path: PathType, flag: str = 'unchanged',
               backend_args: Optional[dict] = None) -> np.ndarray:
    """Read and decode an image file.

    Args:
        path: file path (local, or any mmengine file backend).
        flag: ``'unchanged'`` (keep depth and channels), ``'grayscale'`` (H×W uint8) or ``'color'``
            (H×W×3 BGR uint8).
        backend_args: mmengine file-backend arguments.

    Raises:
        MissingDataError: the file does not exist.
        DataError: the bytes do not decode as an image (corrupt or truncated file).
    """
    if flag not in _FLAGS:
        raise ValueError(f'flag must be one of {sorted(_FLAGS)}, got {flag!r}')
    try:
        data = fileio.get(path, backend_args=backend_args)
    except FileNotFoundError:
        raise MissingDataError(path, 'image file not found') from None
    if len(data) == 0:
        raise DataError(path, 'file is empty (0 bytes)')
    img = cv2.imdecode(np.frombuffer(data, np.uint8), _FLAGS[flag])
    if img is None or img.size == 0:
        raise DataError(path, f'cannot be decoded as an image ({len(data)} bytes; corrupt or '
                        'truncated file, or not an image format OpenCV reads)')
    return img

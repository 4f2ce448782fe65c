"""Instance masks stored as a folder of label images (PennFudan / Cityscapes ``instanceIds``).

One image folder and one mask folder: ``<mask_dir>/<stem><mask_suffix>.png`` per image, background
0 and one distinct value per instance. Read here once, checked, for both the COCO export and the
Detectron2 dataset loader.
"""
import os
import os.path as osp
from typing import Iterator, List, Optional

import numpy as np

from ..errors import DataError, MissingDataError
from ..image_io import read_image, read_label_image
from .formats import encode_rle, instances_from_mask, mask_to_polygons

IMAGE_EXTS = ('.png', '.jpg', '.jpeg', '.bmp', '.tif', '.tiff')


def list_images(image_dir: str) -> List[str]:
    """Sorted image file names of a folder (any case of the extensions in ``IMAGE_EXTS``).

    Raises:
        MissingDataError / DataError: the folder is missing or holds no image.
    """
    if not osp.isdir(image_dir):
        raise MissingDataError(image_dir, 'image folder not found')
    names = sorted(f for f in os.listdir(image_dir) if f.lower().endswith(IMAGE_EXTS))
    if not names:
        raise DataError(image_dir, f'no images ({"/".join(IMAGE_EXTS)})')
    return names


def read_label_map(path: str) -> np.ndarray:
    """An 8- or 16-bit label PNG, values unchanged; a palette PNG gives its indices (errors name
    the file)."""
    if not osp.isfile(path):
        raise MissingDataError(path, 'mask file not found')
    return read_label_image(path)


def check_same_size(path: str, array: np.ndarray, image_name: str, height: int,
                    width: int) -> None:
    """Raise a :class:`DataError` naming ``path`` when ``array`` is not ``height`` × ``width``."""
    if array.shape[:2] != (height, width):
        raise DataError(path, f'mask is {array.shape[1]}x{array.shape[0]} but its image '
                        f'{image_name} is {width}x{height}')


def mask_folder_instances(image_dir: str, mask_dir: str, mask_suffix: str = '_mask',
                          divisor: Optional[int] = None) -> Iterator[dict]:
    """Per image of ``image_dir`` (sorted): ``dict(file_name, image_path, mask_path, height,
    width, instances)`` with ``instances`` as :func:`~.formats.instances_from_mask` returns them.

    Raises:
        MissingDataError / DataError: naming the image or mask file -- missing or undecodable
            files, a mask of another size than its image, differing mask channels, values below
            ``divisor``.
    """
    if not osp.isdir(mask_dir):
        raise MissingDataError(mask_dir, 'mask folder not found')
    for name in list_images(image_dir):
        stem = osp.splitext(name)[0]
        image_path = osp.join(image_dir, name)
        mask_path = osp.join(mask_dir, stem + mask_suffix + '.png')
        if not osp.isfile(mask_path):
            raise MissingDataError(mask_path, f'mask of image {name} not found')
        h, w = read_image(image_path).shape[:2]
        mask = read_label_map(mask_path)
        check_same_size(mask_path, mask, name, h, w)
        yield dict(file_name=name, image_path=image_path, mask_path=mask_path, height=h, width=w,
                   instances=instances_from_mask(mask, divisor, mask_path))


def instance_segmentation(mask: np.ndarray, mask_format: str = 'polygon'):
    """COCO segmentation of one instance: polygons (``'polygon'``; RLE for slivers that have no
    3-point polygon) or compressed RLE (``'bitmask'``)."""
    if mask_format not in ('polygon', 'bitmask'):
        raise ValueError(f"mask_format must be 'polygon' or 'bitmask', not {mask_format!r}")
    if mask_format == 'polygon':
        polygons = mask_to_polygons(mask)
        if polygons:
            return polygons
    return encode_rle(mask)

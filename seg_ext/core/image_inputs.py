"""What to predict: an image file, a folder of images, or a split file of ids."""
import os
import os.path as osp
from typing import List, Optional, Tuple

from .errors import DataError, MissingDataError

IMAGE_SUFFIXES = ('.png', '.jpg', '.jpeg', '.tif', '.tiff', '.bmp')


def collect_images(source: str, img_dir: Optional[str] = None,
                   suffix: str = '.png') -> List[Tuple[str, str]]:
    """``(id, path)`` of every image to predict, the id being the file name without suffix.

    ``source`` is an image file, a folder (its image files, sorted by name; sub-folders are not
    searched) or a ``.txt`` split file of ids, one a line, whose images are
    ``<img_dir>/<id><suffix>`` (a missing one is reported when it is read).

    Raises:
        MissingDataError: ``source`` does not exist.
        DataError: a folder without images, a split file without ids or without ``img_dir``, two
            images with the same id.
    """
    if osp.isdir(source):
        names = sorted(n for n in os.listdir(source)
                       if n.lower().endswith(IMAGE_SUFFIXES) and osp.isfile(osp.join(source, n)))
        if not names:
            raise DataError(source, f'no images ({", ".join(IMAGE_SUFFIXES)}) in this folder')
        items = [(osp.splitext(n)[0], osp.join(source, n)) for n in names]
    elif osp.isfile(source) and source.endswith('.txt'):
        with open(source) as f:
            ids = [line.strip() for line in f if line.strip()]
        if not ids:
            raise DataError(source, 'split file lists no ids')
        if img_dir is None:
            raise DataError(source, 'a split file of ids needs --img-dir (where <id>'
                            f'{suffix} images are)')
        items = [(sid, osp.join(img_dir, sid + suffix)) for sid in ids]
    elif osp.isfile(source):
        items = [(osp.splitext(osp.basename(source))[0], source)]
    else:
        raise MissingDataError(source, 'input image, folder or split file not found')
    seen = {}
    for sid, path in items:
        if sid in seen:
            raise DataError(path, f'id {sid!r} also names {seen[sid]}')
        seen[sid] = path
    return items

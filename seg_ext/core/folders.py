"""Folders of images named ``<id><suffix>``, read the way users' downloads are: suffixes matched
case-insensitively (``.PNG`` == ``.png``), a hint when a file exists under another suffix, and
text lists read BOM-safe."""
import os
import os.path as osp
from typing import Dict, List, Optional

from .errors import MissingDataError

IMAGE_SUFFIXES = ('.png', '.jpg', '.jpeg', '.tif', '.tiff', '.bmp', '.webp')


def read_lines(path: str) -> List[str]:
    """The non-blank, stripped lines of a text file (a split file), a UTF-8 BOM accepted."""
    if not osp.isfile(path):
        raise MissingDataError(path, 'file not found')
    with open(path, encoding='utf-8-sig') as f:
        return [ln.strip() for ln in f if ln.strip()]


class FolderIndex:
    """The files of one folder, listed once, found by ``<stem><suffix>`` with the suffix matched
    case-insensitively."""

    def __init__(self, folder: str, required: bool = True) -> None:
        self.folder = folder
        self.exists = osp.isdir(folder)
        if required and not self.exists:
            raise MissingDataError(folder, 'image folder not found')
        names = sorted(os.listdir(folder)) if self.exists else []
        self._names = {n for n in names if osp.isfile(osp.join(folder, n))}
        self._by_lower: Dict[str, str] = {}
        for name in sorted(self._names):
            self._by_lower.setdefault(name.lower(), name)

    def find(self, stem: str, suffix: str) -> Optional[str]:
        """The path of ``<stem><suffix>`` (suffix in any letter case), or ``None``."""
        name = stem + suffix
        if name in self._names:
            return osp.join(self.folder, name)
        actual = self._by_lower.get(stem.lower() + suffix.lower())
        if actual is None or actual[:len(stem)] != stem:  # ids themselves stay case-sensitive
            return None
        return osp.join(self.folder, actual)

    def stems(self, suffix: str) -> List[str]:
        """Sorted stems of the files whose name ends in ``suffix`` (any letter case)."""
        low = suffix.lower()
        return sorted({name[:-len(suffix)] for name in self._names
                       if name.lower().endswith(low) and len(name) > len(suffix)})

    def suffix_hint(self, stem: str, suffix: str, option: str = 'img_suffix') -> str:
        """``''``, or ``'; <stem>.jpg exists: set <option>'`` when the stem exists under another
        image suffix."""
        for other in IMAGE_SUFFIXES:
            if other == suffix.lower():
                continue
            found = self.find(stem, other)
            if found is not None:
                return (f'; {osp.basename(found)} exists: set {option}='
                        f'{osp.splitext(found)[1]!r}')
        return ''

    def missing(self, stem: str, suffix: str, problem: str,
                option: str = 'img_suffix') -> MissingDataError:
        """The error for a missing ``<stem><suffix>``, with the suffix hint."""
        return MissingDataError(osp.join(self.folder, stem + suffix),
                                problem + self.suffix_hint(stem, suffix, option))

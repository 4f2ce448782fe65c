"""Exceptions that name the offending input first, so a user can fix the file and rerun."""
from os import PathLike
from typing import Union

PathType = Union[str, PathLike]


class DataError(ValueError):
    """A problem with one input (image, mask, annotation or split file).

    The message always starts with the file (and, for table rows, the row id), then the problem,
    e.g. ``data/tgs/train/masks/3a1f.png: mask is 100x101 but its image is 101x101``.
    """

    def __init__(self, path: PathType, problem: str) -> None:
        self.path = str(path)
        self.problem = problem
        super().__init__(f'{self.path}: {problem}')


class MissingDataError(DataError, FileNotFoundError):
    """An expected input file or folder does not exist."""

    def __init__(self, path: PathType, problem: str = 'not found') -> None:
        DataError.__init__(self, path, problem)

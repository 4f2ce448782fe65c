"""The errors a user can fix, each printed by the tools as one line: ``error: <file>: <problem>``.

* :class:`DataError` -- one input (image, mask, annotation, split or CSV file) is wrong; raised
  where the data are read, naming the file first.
* :class:`ConfigError` -- a config cannot be built (unknown type, misspelt key, bad value); raised
  where the config is built, naming the config.
* :class:`NonFiniteLossError` -- training diverged; names the iteration and the loss terms.
"""
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


class ConfigError(ValueError):
    """A config (file or command-line overrides) that cannot be built: ``<config>: <problem>``."""

    def __init__(self, path: PathType, problem: str) -> None:
        self.path = str(path)
        self.problem = problem
        super().__init__(f'{self.path}: {problem}')


class NonFiniteLossError(FloatingPointError):
    """The training loss became NaN or Inf (the message names the iteration and the terms)."""


def first_problem(problems: 'list[DataError]') -> DataError:
    """The first of several data problems, as an error of its type that says how many more there
    are (``tools/check_dataset.py`` lists them all)."""
    first = problems[0]
    if len(problems) == 1:
        return first
    return type(first)(first.path, f'{first.problem} (and {len(problems) - 1} more problem(s): '
                       'tools/check_dataset.py lists them all)')

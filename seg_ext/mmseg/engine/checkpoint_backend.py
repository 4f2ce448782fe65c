"""mmengine file backend ``'atomic_local'``: checkpoints written by temporary file + rename.

``tools/train.py`` gives it to ``CheckpointHook`` unless the config chose another backend, so
``iter_N.pth`` is either the old file, absent, or complete, whatever moment the process is killed
at (see :func:`seg_ext.core.checkpoint_files.atomic_write_bytes`).
"""
from pathlib import Path
from typing import Union

from mmengine.fileio import LocalBackend, register_backend

from ...core import checkpoint_files


@register_backend('atomic_local')
class AtomicLocalBackend(LocalBackend):
    """mmengine's local file backend with atomic ``put``/``put_text``."""

    def put(self, obj: bytes, filepath: Union[str, Path]) -> None:
        checkpoint_files.atomic_write_bytes(obj, filepath)

    def put_text(self, obj: str, filepath: Union[str, Path], encoding: str = 'utf-8') -> None:
        checkpoint_files.atomic_write_bytes(obj.encode(encoding), filepath)

"""Checkpoints that survive a kill: atomic writes, and resuming only from a complete file.

* ``AtomicLocalBackend`` (mmengine file backend ``'atomic_local'``): writes to a temporary file in
  the same folder, fsyncs it and renames it over the target, so ``iter_N.pth`` is either the old
  file, absent, or complete, whatever moment the process is killed at. ``tools/train.py`` gives it
  to ``CheckpointHook`` unless the config chose another backend.
* :func:`find_resume_checkpoint`: the newest checkpoint of a work dir that is a complete torch zip
  file, starting from mmengine's ``last_checkpoint`` pointer and falling back to ``iter_*.pth`` /
  ``epoch_*.pth`` (newest first) when the pointer is empty, dangling or names a damaged file.
"""
import glob
import os
import os.path as osp
import re
import tempfile
import zipfile
from pathlib import Path
from typing import Optional, Union

from mmengine.fileio import LocalBackend, register_backend
from mmengine.logging import print_log


def atomic_write_bytes(data: bytes, path: Union[str, Path]) -> None:
    """Write ``data`` to ``path`` through a temporary file + ``os.replace`` (atomic on POSIX)."""
    path = os.fspath(path)
    folder = osp.dirname(osp.abspath(path))
    os.makedirs(folder, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f'.{osp.basename(path)}.', suffix='.tmp', dir=folder)
    try:
        with os.fdopen(fd, 'wb') as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if osp.exists(tmp):
            os.remove(tmp)
        raise
    try:  # make the rename itself durable
        dir_fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
    except OSError:
        pass


@register_backend('atomic_local')
class AtomicLocalBackend(LocalBackend):
    """mmengine's local file backend with atomic ``put``/``put_text``."""

    def put(self, obj: bytes, filepath: Union[str, Path]) -> None:
        atomic_write_bytes(obj, filepath)

    def put_text(self, obj: str, filepath: Union[str, Path], encoding: str = 'utf-8') -> None:
        atomic_write_bytes(obj.encode(encoding), filepath)


def checkpoint_problem(path: str) -> Optional[str]:
    """Why ``path`` cannot be a checkpoint to resume from (``None`` when it is a complete torch
    zip archive: present, non-empty, central directory and every member's CRC intact)."""
    if not osp.isfile(path):
        return 'file not found'
    if osp.getsize(path) == 0:
        return 'empty file'
    if not zipfile.is_zipfile(path):
        return 'not a complete torch checkpoint (truncated: no zip directory at its end)'
    try:
        with zipfile.ZipFile(path) as z:
            bad = z.testzip()
    except (zipfile.BadZipFile, OSError, EOFError) as e:
        return f'damaged zip archive ({e})'
    return None if bad is None else f'damaged member {bad!r} (CRC mismatch)'


def _step(path: str) -> int:
    m = re.search(r'(?:iter|epoch)_(\d+)\.pth$', path)
    return int(m.group(1)) if m else -1


def find_resume_checkpoint(work_dir: str) -> Optional[str]:
    """The newest complete checkpoint in ``work_dir`` (``None`` when there is none)."""
    found = glob.glob(osp.join(work_dir, 'iter_*.pth')) + glob.glob(osp.join(work_dir, 'epoch_*.pth'))
    candidates = sorted(found, key=_step, reverse=True)
    pointer = osp.join(work_dir, 'last_checkpoint')
    if osp.isfile(pointer):  # a checkpoint saved under another name (e.g. by a custom hook)
        with open(pointer) as f:
            named = f.read().strip()
        if named and _step(named) < 0:
            candidates.insert(0, named)
    seen = set()
    for path in candidates:
        if path in seen:
            continue
        seen.add(path)
        problem = checkpoint_problem(path)
        if problem is None:
            return path
        print_log(f'{path}: skipped for --resume: {problem}', logger='current', level=30)
    return None

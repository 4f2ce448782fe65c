"""Checkpoint files that survive a kill: atomic writes, and finding the newest complete one.

Framework-free; the mmseg plugin (mmengine file backend ``atomic_local``, ``--resume``) and the
Detectron2 plugin (``ResumableCheckpointer``) both build on these.
"""
import glob
import os
import os.path as osp
import re
import tempfile
import zipfile
from pathlib import Path
from typing import Callable, Optional, Sequence, Union


def atomic_write_bytes(data: bytes, path: Union[str, Path]) -> None:
    """Write ``data`` to ``path`` through a temporary file + ``os.replace`` (atomic on POSIX):
    whenever the process dies, ``path`` is the old file, absent, or complete."""
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


def newest_complete_checkpoint(folder: str, patterns: Sequence[str], step_regex: str,
                               final_name: Optional[str] = None,
                               pointer: str = 'last_checkpoint',
                               on_skip: Optional[Callable[[str, str], None]] = None
                               ) -> Optional[str]:
    """The newest complete checkpoint of ``folder`` (``None`` when there is none).

    Candidates, in order: ``final_name`` (e.g. Detectron2's ``model_final.pth``); a file named in
    the ``pointer`` file that does not match ``step_regex`` (saved under another name, e.g. by a
    custom hook); the files matching ``patterns``, highest step (``step_regex`` group 1) first.
    A damaged, truncated or missing candidate is reported to ``on_skip(path, problem)`` and
    passed over, so a kill while saving or a dangling pointer never blocks a resume.
    """
    found = [p for pattern in patterns for p in glob.glob(osp.join(folder, pattern))]

    def step(path: str) -> int:
        m = re.search(step_regex, path)
        return int(m.group(1)) if m else -1

    candidates = sorted(set(found), key=step, reverse=True)
    pointer_path = osp.join(folder, pointer)
    if osp.isfile(pointer_path):
        with open(pointer_path) as f:
            named = f.read().strip()
        if named and not osp.isabs(named) and not osp.exists(named):
            named = osp.join(folder, named)
        if named and step(named) < 0:
            candidates.insert(0, named)
    if final_name:
        final = osp.join(folder, final_name)
        candidates = [final] + [c for c in candidates if c != final] if osp.exists(final) \
            else candidates
    seen = set()
    for path in candidates:
        if path in seen:
            continue
        seen.add(path)
        problem = checkpoint_problem(path)
        if problem is None:
            return path
        if on_skip is not None:
            on_skip(path, problem)
    return None

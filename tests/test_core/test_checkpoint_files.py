"""Atomic checkpoint writes and choosing a complete checkpoint to resume from (core helpers and
both plugins' users of them)."""
import os
import os.path as osp

import pytest
import torch
from mmengine.fileio import get_file_backend

from seg_ext.core.checkpoint_files import atomic_write_bytes, checkpoint_problem
from seg_ext.mmseg.apis.resume import find_resume_checkpoint
from seg_ext.mmseg.engine import AtomicLocalBackend


def save(path, value):
    torch.save({'w': torch.full((1000, ), float(value))}, path)


def test_atomic_write_replaces_and_leaves_no_temp(tmp_path):
    target = tmp_path / 'sub' / 'x.bin'
    atomic_write_bytes(b'old', target)
    atomic_write_bytes(b'new', target)
    assert target.read_bytes() == b'new'
    assert os.listdir(tmp_path / 'sub') == ['x.bin']


def test_atomic_write_failure_keeps_old_file(tmp_path, monkeypatch):
    target = tmp_path / 'x.bin'
    atomic_write_bytes(b'old', target)
    monkeypatch.setattr(os, 'replace', lambda *a: (_ for _ in ()).throw(OSError('disk full')))
    with pytest.raises(OSError, match='disk full'):
        atomic_write_bytes(b'new', target)
    assert target.read_bytes() == b'old' and os.listdir(tmp_path) == ['x.bin']


def test_backend_registered_for_checkpoint_hook(tmp_path):
    backend = get_file_backend(str(tmp_path), backend_args=dict(backend='atomic_local'))
    assert isinstance(backend, AtomicLocalBackend)
    backend.put(b'abc', tmp_path / 'a.pth')
    backend.put_text('iter_3.pth', tmp_path / 'last_checkpoint')
    assert (tmp_path / 'a.pth').read_bytes() == b'abc'
    assert (tmp_path / 'last_checkpoint').read_text() == 'iter_3.pth'


def test_checkpoint_problem(tmp_path):
    good = str(tmp_path / 'good.pth')
    save(good, 1)
    assert checkpoint_problem(good) is None
    assert checkpoint_problem(str(tmp_path / 'missing.pth')) == 'file not found'
    (tmp_path / 'empty.pth').write_bytes(b'')
    assert checkpoint_problem(str(tmp_path / 'empty.pth')) == 'empty file'
    data = open(good, 'rb').read()
    (tmp_path / 'trunc.pth').write_bytes(data[:len(data) // 2])
    assert 'truncated' in checkpoint_problem(str(tmp_path / 'trunc.pth'))
    flipped = bytearray(data)
    i = data.index(b'\x00\x00\x80?')  # inside the stored tensor bytes (1.0f)
    flipped[i + 2] ^= 0xFF
    (tmp_path / 'crc.pth').write_bytes(bytes(flipped))
    assert 'CRC' in checkpoint_problem(str(tmp_path / 'crc.pth'))


def test_find_resume_checkpoint_skips_damaged_newest(tmp_path):
    work = str(tmp_path)
    assert find_resume_checkpoint(work) is None
    for it in (3, 6, 9):
        save(osp.join(work, f'iter_{it}.pth'), it)
    data = open(osp.join(work, 'iter_9.pth'), 'rb').read()
    open(osp.join(work, 'iter_9.pth'), 'wb').write(data[:100])  # killed mid-write (non-atomic)
    (tmp_path / 'last_checkpoint').write_text(osp.join(work, 'iter_9.pth'))
    assert find_resume_checkpoint(work) == osp.join(work, 'iter_6.pth')
    # the pointer lags behind (killed between the save and the pointer update): newest wins
    save(osp.join(work, 'iter_12.pth'), 12)
    assert find_resume_checkpoint(work) == osp.join(work, 'iter_12.pth')

"""``python tests/helpers/kill_during_save.py tools/train.py ARGS`` (or ``tools/d2_train_net.py``):
runs the real tool, which, when the checkpoint named by ``SEG_EXT_TEST_KILL_SAVING`` (e.g.
``iter_9.pth``) is being written, writes half of its bytes the way the atomic writer does and
SIGKILLs itself, i.e. dies mid-write (used by the crash/resume tests)."""
import os
import os.path as osp
import runpy
import signal
import sys
import tempfile

from seg_ext.core import checkpoint_files as checkpointing

_TARGET = os.environ.get('SEG_EXT_TEST_KILL_SAVING')
_write = checkpointing.atomic_write_bytes


def _dying_write(data, path):
    if _TARGET and osp.basename(str(path)) == _TARGET:
        fd, _ = tempfile.mkstemp(prefix=f'.{_TARGET}.', suffix='.tmp',
                                 dir=osp.dirname(osp.abspath(str(path))))
        os.write(fd, data[:len(data) // 2])
        os.fsync(fd)
        os.kill(os.getpid(), signal.SIGKILL)
    return _write(data, path)


checkpointing.atomic_write_bytes = _dying_write

if __name__ == '__main__':
    sys.argv = sys.argv[1:]
    runpy.run_path(sys.argv[0], run_name='__main__')

"""mmengine checkpoints (message hub, numpy scalars) load under torch's weights_only default,
and the shim is still needed by the installed mmengine + torch."""
import pickle
import subprocess
import sys

import numpy as np
import pytest
import torch
from mmengine.logging import HistoryBuffer, MessageHub
from mmengine.runner.checkpoint import _load_checkpoint

from seg_ext.mmseg import compat


def mmengine_like_checkpoint(path):
    hub = MessageHub.get_instance('compat-test')
    hub.update_scalar('train/loss', np.float64(0.5))
    hub.update_scalar('train/lr', 1e-3)
    torch.save(dict(meta=dict(epoch=1, iter=4, seed=np.int64(3), dataset_meta=dict(
        classes=('background', 'salt'), palette=[[0, 0, 0], [255, 160, 40]])),
        state_dict={'w': torch.ones(2)}, message_hub=hub.state_dict(),
        optimizer={'state': {}, 'param_groups': [{'lr': np.float32(1e-3)}]}), path)


def test_mmengine_checkpoint_loads(tmp_path):
    path = str(tmp_path / 'ckpt.pth')
    mmengine_like_checkpoint(path)
    ckpt = _load_checkpoint(path, map_location='cpu')  # what load_from / resume call
    assert torch.equal(ckpt['state_dict']['w'], torch.ones(2))
    assert isinstance(ckpt['message_hub']['log_scalars']['train/loss'], HistoryBuffer)
    assert ckpt['meta']['seed'] == 3


class Evil:
    def __reduce__(self):
        return (print, ('pwned', ))


def test_still_refuses_arbitrary_objects(tmp_path):
    path = str(tmp_path / 'evil.pth')
    torch.save({'x': Evil()}, path)
    with pytest.raises(pickle.UnpicklingError):
        torch.load(path)


def test_plain_torch_load_elsewhere_is_unchanged(tmp_path):
    """The allow-list is scoped to mmengine's loaders, not added process-wide."""
    path = str(tmp_path / 'ckpt.pth')
    mmengine_like_checkpoint(path)
    with pytest.raises(pickle.UnpicklingError):
        torch.load(path)


def test_shim_is_still_needed_by_the_installed_mmengine(tmp_path):
    """Without seg_ext, the installed mmengine cannot load its own checkpoint format under the
    installed torch (a fresh interpreter): the day this passes, remove seg_ext/mmseg/compat.py."""
    path = str(tmp_path / 'ckpt.pth')
    mmengine_like_checkpoint(path)
    code = ('import pickle\nfrom mmengine.runner.checkpoint import _load_checkpoint\n'
            f'try:\n    _load_checkpoint({path!r}, map_location="cpu")\n'
            'except pickle.UnpicklingError as e:\n    print("refused:", str(e)[:40])\n'
            'else:\n    print("loaded")\n')
    out = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True,
                         timeout=300)
    assert 'refused: Weights only load failed' in out.stdout, out.stdout + out.stderr
    assert compat.needs_checkpoint_allowlist() and compat.apply()

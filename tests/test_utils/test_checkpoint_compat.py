"""mmengine checkpoints (message hub, numpy scalars) load under torch's weights_only default."""
import pickle

import numpy as np
import pytest
import torch
from mmengine.logging import HistoryBuffer, MessageHub
from mmengine.runner.checkpoint import _load_checkpoint


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

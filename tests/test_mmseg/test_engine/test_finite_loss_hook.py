"""FiniteLossHook stops at the first non-finite loss with the iteration in the message."""
from types import SimpleNamespace

import pytest
import torch

from seg_ext.core.errors import NonFiniteLossError
from seg_ext.mmseg.engine.hooks import FiniteLossHook


def test_passes_finite_losses():
    runner = SimpleNamespace(iter=4, work_dir='w')
    FiniteLossHook().after_train_iter(runner, 0, outputs=dict(loss=torch.tensor(0.5),
                                                              acc_seg=torch.tensor(float('nan'))))


@pytest.mark.parametrize('value', [float('nan'), float('inf'), -float('inf')])
def test_raises_naming_iteration_and_term(value):
    runner = SimpleNamespace(iter=41, work_dir='work_dirs/x')
    outputs = dict(loss=torch.tensor(value), **{'decode.loss_ce': torch.tensor(value),
                                                'decode.loss_lovasz': torch.tensor(0.3)})
    with pytest.raises(NonFiniteLossError) as e:
        FiniteLossHook().after_train_iter(runner, 0, outputs=outputs)
    msg = str(e.value)
    assert 'iteration 42' in msg and f'decode.loss_ce={value}' in msg
    assert 'decode.loss_lovasz' not in msg and 'work_dirs/x' in msg and '--resume' in msg


def test_runs_before_checkpoint_hook():
    from mmengine.hooks import CheckpointHook
    from mmengine.runner.priority import get_priority
    assert get_priority(FiniteLossHook.priority) < get_priority(CheckpointHook.priority)

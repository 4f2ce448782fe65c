"""Stop training at the first NaN/Inf loss, before a checkpoint of the broken weights is written."""
import math
from typing import Optional

import torch
from mmengine.hooks import Hook
from mmseg.registry import HOOKS

from ....core.errors import NonFiniteLossError


@HOOKS.register_module()
class FiniteLossHook(Hook):
    """Raise :class:`NonFiniteLossError` naming the iteration and the loss terms that are not
    finite (e.g. ``decode.loss_ce=nan``).

    Runs with the highest priority, i.e. before ``CheckpointHook`` (lowest) could save the
    iteration's weights, so the last checkpoint on disk is the last good one (resume from it with
    a lower learning rate or gradient clipping). ``tools/train.py`` adds this hook to every run.
    """

    priority = 'HIGHEST'

    def after_train_iter(self, runner, batch_idx: int, data_batch=None,
                         outputs: Optional[dict] = None) -> None:
        if not outputs:
            return
        values = {k: float(v.detach() if torch.is_tensor(v) else v)
                  for k, v in outputs.items() if 'loss' in k}
        bad = {k: v for k, v in values.items() if not math.isfinite(v)}
        if bad:
            terms = ', '.join(f'{k}={v}' for k, v in bad.items())
            raise NonFiniteLossError(
                f'training loss is not finite at iteration {runner.iter + 1} ({terms}); stopped '
                f'before saving it. Work dir: {runner.work_dir}. Lower the learning rate, enable '
                "gradient clipping (optim_wrapper.clip_grad=dict(max_norm=...)) or check the data, "
                'then resume from the last checkpoint (tools/train.py CONFIG --resume).')

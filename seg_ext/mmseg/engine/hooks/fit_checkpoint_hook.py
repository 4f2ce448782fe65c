"""Fit a ``load_from`` checkpoint to the model: first conv adapted, anything else must fit."""
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper
from mmseg.registry import HOOKS

from ...models.utils.pretrained import checkpoint_state, fit_checkpoint_to


@HOOKS.register_module()
class FitCheckpointHook(Hook):
    """Adapt the checkpoint that ``load_from`` (or a resume) loads before mmengine copies it.

    mmengine's ``Runner.load_checkpoint`` calls ``after_load_checkpoint`` with the loaded dict and
    only then copies ``checkpoint['state_dict']`` into the model (``strict=False``: a size
    mismatch is a warning and the layer stays random). This hook replaces that state dict by the
    fitted one: the model's first convolution adapted to its input channels (e.g. a 3-channel
    model's weights into a 1-channel model; see :mod:`seg_ext.core.input_channels`), tensors the
    model does not have dropped (and logged), and a :class:`~seg_ext.core.errors.DataError`
    naming the file and the parameters when anything else is missing or has another shape.
    ``tools/train.py`` adds it to every run; with mmseg's own tools add
    ``custom_hooks=[dict(type='FitCheckpointHook')]``.
    """

    priority = 'VERY_HIGH'

    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        model = runner.model.module if is_model_wrapper(runner.model) else runner.model
        source = str(getattr(runner, '_load_from', None) or
                     f'the checkpoint resumed in {runner.work_dir}')
        state = checkpoint_state(checkpoint, source)
        checkpoint['state_dict'] = fit_checkpoint_to(model, state, source)

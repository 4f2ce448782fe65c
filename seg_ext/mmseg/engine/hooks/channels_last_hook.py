"""Train and test in the channels-last (NHWC) memory format, switched on by a config key."""
import torch
from mmengine.hooks import Hook
from mmengine.logging import print_log
from mmengine.model import BaseDataPreprocessor
from mmseg.registry import HOOKS
from torch import nn

_MARK = '_seg_ext_channels_last'


def _inputs_channels_last(module: nn.Module, args, output):
    """Forward hook of a data preprocessor: its 4-D ``inputs`` leave it channels-last."""
    inputs = output.get('inputs') if isinstance(output, dict) else None
    if torch.is_tensor(inputs) and inputs.dim() == 4:
        output['inputs'] = inputs.contiguous(memory_format=torch.channels_last)
    return output


def to_channels_last(model: nn.Module) -> nn.Module:
    """Convert ``model`` in place to ``torch.channels_last``: its 4-D parameters and buffers
    (convolution weights), and the batches its data preprocessors produce (a forward hook, so the
    state dict keeps its keys and layout-free checkpoints load as before). Idempotent; works
    through model wrappers (DDP, TTA, CRF refinement). Returns ``model``."""
    if getattr(model, _MARK, False):
        return model
    model.to(memory_format=torch.channels_last)
    for module in model.modules():
        if isinstance(module, BaseDataPreprocessor):
            module.register_forward_hook(_inputs_channels_last)
    setattr(model, _MARK, True)
    return model


@HOOKS.register_module()
class ChannelsLastHook(Hook):
    """Run the model channels-last (``channels_last = True`` in a config; ``tools/train.py`` and
    ``tools/test.py`` add this hook for it). On CPU (oneDNN) and on GPUs with tensor cores
    convolutions are faster NHWC; results equal NCHW's up to float rounding.

    Converts in ``before_run``, i.e. before weights are initialised or loaded (both keep the
    layout) and before the first batch; the optimizer keeps its parameters (converted in place).
    """

    priority = 'VERY_HIGH'

    def before_run(self, runner) -> None:
        to_channels_last(runner.model)
        print_log('channels-last: model and input batches in torch.channels_last',
                  logger='current')

"""Pretrained weights at any input channel count, through mmengine's usual routes.

``import seg_ext.mmseg`` registers :class:`PretrainedAnyChannelsInit` in *mmseg's*
``WEIGHT_INITIALIZERS`` under the name ``'Pretrained'``: in the ``mmseg`` scope (every mmseg
config, ``Runner``, ``init_model``) it takes the place of mmengine's ``PretrainedInit`` (which
stays untouched in mmengine's own registry), so ``init_cfg=dict(type='Pretrained', ...)`` and
``pretrained=...`` (which mmseg's backbones turn into that ``init_cfg``) go through it. It loads
the same tensors mmengine would, except that

* the model's first convolution is adapted to its input channels
  (:func:`seg_ext.core.input_channels.adapt_input_kernel`: 1 channel = sum of the RGB kernels,
  N channels = RGB kernels cycled × 3/N);
* a parameter that still does not fit, or that the checkpoint lacks, is a
  :class:`~seg_ext.core.errors.DataError` naming the file and the parameters -- mmengine only
  logs a warning and leaves those layers randomly initialised.

``load_from`` checkpoints are fitted the same way by ``FitCheckpointHook``.
"""
from typing import Dict, List, Mapping, Optional

import torch.nn as nn
from mmengine.logging import print_log
from mmengine.model.weight_init import PretrainedInit, update_init_info
from mmengine.runner.checkpoint import _load_checkpoint
from mmseg.registry import WEIGHT_INITIALIZERS
from torch import Tensor

from ....core.errors import DataError
from ....core.input_channels import fit_state_dict

__all__ = ['input_conv_names', 'checkpoint_state', 'fit_checkpoint_to', 'load_pretrained',
           'PretrainedAnyChannelsInit']


def input_conv_names(module: nn.Module) -> List[str]:
    """The weight of the first (non-transposed) convolution of ``module`` in registration order:
    the one that sees the input (``stem.0.weight`` of ResNetV1c, ``conv1.weight`` of ResNet,
    ``features.0.weight`` of VGG; prefixed by ``backbone.`` for a whole segmentor)."""
    for name, m in module.named_modules():
        if isinstance(m, nn.modules.conv._ConvNd) and not m.transposed:
            return [f'{name}.weight' if name else 'weight']
    return []


def checkpoint_state(ckpt, source: str, prefix: Optional[str] = None) -> Dict[str, Tensor]:
    """The tensors of a loaded checkpoint: its ``state_dict`` (or the dict itself), without
    DDP's ``module.`` prefix; with ``prefix`` only the keys under it, prefix removed."""
    if not isinstance(ckpt, Mapping):
        raise DataError(source, f'expected a checkpoint dict, got {type(ckpt).__name__}')
    state = ckpt.get('state_dict', ckpt)
    state = {(k[len('module.'):] if k.startswith('module.') else k): v
             for k, v in state.items()}
    if prefix:
        state = {k[len(prefix):]: v for k, v in state.items() if k.startswith(prefix)}
        if not state:
            raise DataError(source, f'no parameter starts with prefix {prefix!r}')
    return state


def fit_checkpoint_to(module: nn.Module, state: Mapping[str, Tensor], source: str,
                      logger: str = 'current') -> Dict[str, Tensor]:
    """``state`` fitted to ``module`` (first conv adapted, unexpected keys dropped), or a
    :class:`DataError` naming ``source`` and the parameters that do not fit."""
    shapes = {k: tuple(v.shape) for k, v in module.state_dict().items()}
    fitted, adapted, unexpected = fit_state_dict(state, shapes, input_conv_names(module), source)
    if adapted:
        print_log(f'{source}: first convolution adapted to the input channels: '
                  + ', '.join(adapted), logger=logger)
    if unexpected:
        print_log(f'{source}: {len(unexpected)} checkpoint tensors not used by '
                  f'{type(module).__name__}: {", ".join(unexpected[:8])}'
                  + (' ...' if len(unexpected) > 8 else ''), logger=logger)
    return fitted


def load_pretrained(module: nn.Module, checkpoint: str, prefix: Optional[str] = None,
                    map_location: Optional[str] = 'cpu', logger: str = 'current') -> None:
    """Load ``checkpoint`` (a path or any mmengine scheme: ``torchvision://``,
    ``open-mmlab://``, ``http``) into ``module`` with the first convolution adapted; see the
    module docstring. A module may define ``convert_pretrained_state(state) -> state`` to map
    another layout first (VGG maps torchvision's classifier onto ``fc6``/``fc7``)."""
    ckpt = _load_checkpoint(checkpoint, map_location=map_location or 'cpu')
    state = checkpoint_state(ckpt, str(checkpoint), prefix)
    convert = getattr(module, 'convert_pretrained_state', None)
    if convert is not None:
        state = convert(state)
    fitted = fit_checkpoint_to(module, state, str(checkpoint), logger)
    module.load_state_dict(fitted, strict=False)
    print_log(f'{type(module).__name__}: loaded {len(fitted)} tensors from {checkpoint}',
              logger=logger)


@WEIGHT_INITIALIZERS.register_module(name='Pretrained')
class PretrainedAnyChannelsInit(PretrainedInit):
    """mmengine's ``PretrainedInit`` (same arguments) with the first convolution adapted to the
    model's input channels and an error instead of a warning for anything that does not fit."""

    def __call__(self, module: nn.Module) -> None:
        load_pretrained(module, self.checkpoint, self.prefix, self.map_location)
        if hasattr(module, '_params_init_info'):
            update_init_info(module, init_info=self._get_init_info())

    def _get_init_info(self) -> str:
        return f'{self.__class__.__name__}: load from {self.checkpoint}'

"""Fitting a pretrained state dict to a model with another number of input channels.

Framework-free (torch only): the plugins find the model's first convolution and call
:func:`fit_state_dict`; :func:`adapt_input_kernel` is the kernel arithmetic.

The first convolution's kernel ``W`` (``out × C × kh × kw``, ``C`` = 3 for ImageNet weights) is
adapted to ``N`` input channels as segmentation_models_pytorch does (``patch_first_conv``):

* ``N == 1``: the sum of the ``C`` kernels. A gray image then gives exactly the response the
  original network gives to that image replicated to RGB.
* ``N != 1``: channel ``i`` takes kernel ``i mod C`` (the RGB kernels cycled: R G B R G B ...),
  and all are multiplied by ``C / N`` so activations keep their scale. When ``N`` is a multiple
  of ``C`` (6 = two RGB images stacked), ``N`` copies of a gray image give exactly the original
  response again. ``N == 2`` takes the R and G kernels times 3/2 (not exact for any input; the
  choice smp made, kept for the same behaviour).
"""
from typing import Dict, Iterable, List, Mapping, Sequence, Tuple

import torch
from torch import Tensor

from .errors import DataError

__all__ = ['adapt_input_kernel', 'fit_state_dict', 'IGNORED_MISSING_SUFFIXES']

# buffers a checkpoint may lack without any harm (BatchNorm's counter, unused by momentum BN)
IGNORED_MISSING_SUFFIXES = ('num_batches_tracked', )


def adapt_input_kernel(weight: Tensor, in_channels: int) -> Tensor:
    """``weight`` (``out × C × ...``) adapted to ``in_channels`` input channels (module docstring).

    Returns ``weight`` itself when the counts already agree.
    """
    if weight.dim() < 2:
        raise ValueError(f'a convolution kernel has at least 2 dimensions, got {weight.dim()}')
    if in_channels < 1:
        raise ValueError(f'in_channels must be >= 1, got {in_channels}')
    src = weight.shape[1]
    if in_channels == src:
        return weight
    if in_channels == 1:
        return weight.sum(dim=1, keepdim=True)
    index = torch.arange(in_channels, device=weight.device) % src
    return weight.index_select(1, index) * (src / in_channels)


def _shape(v) -> Tuple[int, ...]:
    return tuple(v.shape) if hasattr(v, 'shape') else ()


def fit_state_dict(state: Mapping[str, Tensor], model_shapes: Mapping[str, Sequence[int]],
                   input_convs: Iterable[str], source: str,
                   max_listed: int = 8) -> Tuple[Dict[str, Tensor], List[str], List[str]]:
    """Check ``state`` against the model's parameter/buffer shapes and adapt its input conv(s).

    Args:
        state: the checkpoint's tensors (keys already in the model's naming).
        model_shapes: every parameter and buffer of the model and its shape.
        input_convs: names of the first convolutions' weights (``stem.0.weight``,
            ``conv1.weight``, ``features.0.weight``): these may differ in dimension 1 (input
            channels) and are adapted with :func:`adapt_input_kernel`.
        source: the checkpoint file, named by the error.

    Returns:
        ``(fitted, adapted, unexpected)``: the tensors to load (only the model's keys), the keys
        whose kernel was adapted and the checkpoint keys the model does not have (ignored: an
        ImageNet classifier ``fc.*``, say).

    Raises:
        DataError: naming ``source``, every model parameter the checkpoint lacks and every one
            whose shape does not fit (``name: checkpoint (a, b) vs model (c, d)``).
    """
    input_convs = set(input_convs)
    fitted: Dict[str, Tensor] = {}
    adapted: List[str] = []
    wrong: List[str] = []
    for key, shape in model_shapes.items():
        if key not in state:
            continue
        value, shape = state[key], tuple(shape)
        have = _shape(value)
        if have != shape and key in input_convs and len(have) == len(shape) >= 2 \
                and have[0] == shape[0] and have[2:] == shape[2:]:
            value = adapt_input_kernel(value, shape[1])
            adapted.append(f'{key} {have} -> {shape}')
        elif have != shape:
            wrong.append(f'{key}: checkpoint {have} vs model {shape}')
            continue
        fitted[key] = value
    missing = [k for k in model_shapes if k not in state
               and not k.endswith(IGNORED_MISSING_SUFFIXES)]
    if wrong or missing:
        parts = []
        if wrong:
            parts.append(f'{len(wrong)} parameter(s) do not fit: ' + '; '.join(wrong[:max_listed])
                         + (' ...' if len(wrong) > max_listed else ''))
        if missing:
            parts.append(f'{len(missing)} of the model\'s {len(model_shapes)} parameters/buffers '
                         'are not in the checkpoint: ' + ', '.join(missing[:max_listed])
                         + (' ...' if len(missing) > max_listed else ''))
        raise DataError(source, 'pretrained weights do not fit the model (they would stay '
                        'randomly initialised): ' + '; '.join(parts))
    unexpected = [k for k in state if k not in model_shapes]
    return fitted, adapted, unexpected

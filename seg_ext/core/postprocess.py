"""Label post-processing on tensors, shared by ``tools/test.py`` (``CRFRefiner``) and the tuner.

The order is the one of the test-time path: the empty-mask gate (UNetHead's ``empty_branch``)
acts on the logits, then the optional CRF on the probabilities, then the threshold (sigmoid head)
or arg-max, then the removal of small components (:mod:`seg_ext.core.label_postprocess`, the
NumPy version the prediction tool uses).
"""
import torch
from torch import Tensor

from .label_postprocess import remove_small_components

__all__ = ['remove_small_components', 'remove_small_components_tensor']


def remove_small_components_tensor(labels: Tensor, min_area: int) -> Tensor:
    """:func:`remove_small_components` for an (H, W) integer tensor (same device and dtype)."""
    if min_area <= 1:
        return labels
    out = remove_small_components(labels.cpu().numpy(), min_area)
    return torch.from_numpy(out).to(labels.device, labels.dtype)

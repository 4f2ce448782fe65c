"""Label post-processing shared by ``tools/test.py`` (``CRFRefiner``) and the tuner: pure functions.

The order is the one of the test-time path: the empty-mask gate (UNetHead's ``empty_branch``)
acts on the logits, then the optional CRF on the probabilities, then the threshold (sigmoid head)
or arg-max, then the removal of small components.
"""
import cv2
import numpy as np
import torch
from torch import Tensor

__all__ = ['remove_small_components', 'remove_small_components_tensor']


def remove_small_components(labels: np.ndarray, min_area: int, background: int = 0,
                            connectivity: int = 8) -> np.ndarray:
    """``labels`` with every connected component of a non-background class smaller than
    ``min_area`` pixels set to ``background`` (a standard TGS Salt post-process: tiny predicted
    salt bodies are mostly false positives). ``min_area <= 1`` changes nothing.

    Components are ``connectivity``-connected (4 or 8) regions of one label value. (Same function
    and signature as ``label_postprocess.remove_small_components`` of the prediction tool's
    branch, issue 15; one of the two should go when both are merged.)
    """
    labels = np.asarray(labels)
    if labels.ndim != 2:
        raise ValueError(f'expected an (H, W) label map, got shape {labels.shape}')
    if connectivity not in (4, 8):
        raise ValueError(f'connectivity must be 4 or 8, got {connectivity}')
    out = labels.copy()
    if min_area <= 1:
        return out
    for value in np.unique(labels):
        if value == background:
            continue
        n, comp, stats, _ = cv2.connectedComponentsWithStats(
            (labels == value).astype(np.uint8), connectivity=connectivity)
        small = np.flatnonzero(stats[1:, cv2.CC_STAT_AREA] < min_area) + 1
        if small.size:
            out[np.isin(comp, small)] = background
    return out


def remove_small_components_tensor(labels: Tensor, min_area: int) -> Tensor:
    """:func:`remove_small_components` for an (H, W) integer tensor (same device and dtype)."""
    if min_area <= 1:
        return labels
    out = remove_small_components(labels.cpu().numpy(), min_area)
    return torch.from_numpy(out).to(labels.device, labels.dtype)

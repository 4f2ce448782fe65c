"""From class probabilities to a label map, and the TGS small-component clean-up: pure functions."""
from typing import Optional

import cv2
import numpy as np


def labels_from_probs(probs: np.ndarray, threshold: Optional[float] = None) -> np.ndarray:
    """(H, W) uint8 labels of (C, H, W) probabilities: ``probs[1] > threshold`` when a
    threshold is given (2 classes only), else the arg-max over classes.

    Raises:
        ValueError: a threshold for more than two classes, or a map that is not (C, H, W).
    """
    probs = np.asarray(probs)
    if probs.ndim != 3:
        raise ValueError(f'expected (C, H, W) probabilities, got shape {probs.shape}')
    if threshold is not None:
        if probs.shape[0] != 2:
            raise ValueError(f'a threshold needs a 2-class (binary) model, this one has '
                             f'{probs.shape[0]} classes')
        return (probs[1] > threshold).astype(np.uint8)
    return probs.argmax(axis=0).astype(np.uint8)


def remove_small_components(labels: np.ndarray, min_area: int, background: int = 0,
                            connectivity: int = 8) -> np.ndarray:
    """``labels`` with every connected component of a non-background class smaller than
    ``min_area`` pixels set to ``background`` (a standard TGS Salt post-process: tiny predicted
    salt bodies are mostly false positives). ``min_area <= 1`` changes nothing.

    Components are ``connectivity``-connected (4 or 8) regions of one label value.
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

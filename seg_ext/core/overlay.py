"""Image | prediction panels for looking at predictions (pure numpy)."""
from typing import Sequence

import numpy as np


def to_bgr_uint8(image: np.ndarray) -> np.ndarray:
    """An (H, W, 3) uint8 view of an (H, W), (H, W, 1) or (H, W, 3+) image; other dtypes are
    scaled to 0..255 by their min/max."""
    img = np.asarray(image)
    if img.ndim == 3 and img.shape[2] == 1:
        img = img[..., 0]
    if img.dtype != np.uint8:
        img = img.astype(np.float64)
        lo, hi = float(img.min()), float(img.max())
        img = ((img - lo) / (hi - lo) * 255 if hi > lo else np.zeros_like(img)).astype(np.uint8)
    if img.ndim == 2:
        img = np.repeat(img[..., None], 3, axis=2)
    return np.ascontiguousarray(img[..., :3])


def overlay_panels(image: np.ndarray, labels: np.ndarray, palette: Sequence[Sequence[int]],
                   alpha: float = 0.5, gap: int = 4) -> np.ndarray:
    """``image | image with the labels painted`` side by side, (H, 2W + gap, 3) uint8 BGR.

    Non-zero labels are blended with their ``palette`` colour (RGB, as mmseg's dataset
    ``METAINFO`` gives it) at ``alpha``; label 0 (background) is left unpainted.
    """
    img = to_bgr_uint8(image)
    labels = np.asarray(labels)
    if labels.shape != img.shape[:2]:
        raise ValueError(f'labels {labels.shape} and image {img.shape[:2]} differ in size')
    painted = img.astype(np.float32)
    for value in np.unique(labels):
        if value == 0:
            continue
        rgb = palette[int(value) % len(palette)]
        bgr = np.array(rgb[::-1], np.float32)
        m = labels == value
        painted[m] = (1 - alpha) * painted[m] + alpha * bgr
    sep = np.full((img.shape[0], gap, 3), 255, np.uint8)
    return np.concatenate([img, sep, painted.round().astype(np.uint8)], axis=1)

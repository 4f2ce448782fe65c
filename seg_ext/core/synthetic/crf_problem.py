"""Synthetic CRF inputs: a piecewise-constant image and noisy class probabilities of its regions."""
from typing import Tuple

import numpy as np


def make_crf_problem(height: int, width: int, num_classes: int, channels: int = 3,
                     noise: float = 1.5, seed: int = 0, regions: int = 12
                     ) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Image (H, W, channels) uint8, probabilities (C, H, W) float32 and true labels (H, W).

    ``regions`` Voronoi cells each get a class and a colour (with pixel noise); the
    probabilities are a softmax of ``2 * onehot + noise * N(0, 1)``, i.e. a classifier that is
    right on most pixels but speckled -- what a dense CRF is meant to clean up.
    """
    rng = np.random.default_rng(seed)
    seeds = rng.uniform(0, 1, (regions, 2)) * (height, width)
    yy, xx = np.mgrid[0:height, 0:width]
    d2 = (yy[..., None] - seeds[:, 0])**2 + (xx[..., None] - seeds[:, 1])**2
    cell = d2.argmin(-1)
    cell_class = rng.integers(0, num_classes, regions)
    cell_class[:min(regions, num_classes)] = np.arange(min(regions, num_classes))
    labels = cell_class[cell]
    colours = rng.uniform(0, 255, (regions, channels))
    image = np.clip(colours[cell] + rng.normal(0, 6, (height, width, channels)), 0, 255)
    logits = 2.0 * np.eye(num_classes, dtype=np.float32)[labels] + \
        noise * rng.standard_normal((height, width, num_classes)).astype(np.float32)
    logits -= logits.max(-1, keepdims=True)
    probs = np.exp(logits)
    probs /= probs.sum(-1, keepdims=True)
    return image.astype(np.uint8), np.ascontiguousarray(probs.transpose(2, 0, 1)), labels

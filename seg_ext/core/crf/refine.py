"""Refining a segmentation model's outputs with a CRF: probabilities in, labels out."""
from collections import defaultdict
from typing import Callable, List, Sequence

import numpy as np
import torch
from torch import Tensor


def class_probabilities(seg_logits: Tensor) -> Tensor:
    """(C, H, W) probabilities from a segmentor's per-image output: softmax of the logits, or,
    for a 1-channel head (mmseg stores its sigmoid there), ``[1 - p, p]``."""
    if seg_logits.shape[0] == 1:
        p = seg_logits.float().clamp(0, 1)
        return torch.cat([1 - p, p], dim=0)
    return torch.softmax(seg_logits.float(), dim=0)


def labels_from_probabilities(probs: Tensor, binary: bool, threshold: float = 0.5) -> Tensor:
    """(H, W) labels of (C, H, W) probabilities: ``probs[1] > threshold`` for a sigmoid (binary)
    head, the arg-max otherwise."""
    return (probs[1] > threshold).long() if binary else probs.argmax(0)


def refine_probabilities(crf: Callable, probs: Sequence[Tensor],
                         images: Sequence[np.ndarray]) -> List[Tensor]:
    """Apply ``crf(probs (B,C,H,W), images (B,H,W,K))`` to images of any sizes: same-size images
    are refined as one batch. Returns the refined (C, H, W) probabilities in input order."""
    if len(probs) != len(images):
        raise ValueError(f'{len(probs)} probability maps but {len(images)} images')
    groups = defaultdict(list)
    for i, p in enumerate(probs):
        groups[tuple(p.shape)].append(i)
    out: List[Tensor] = [None] * len(probs)
    for members in groups.values():
        batch = crf(torch.stack([probs[i] for i in members]),
                    np.stack([images[i] for i in members]))
        for i, q in zip(members, batch):
            out[i] = q
    return out

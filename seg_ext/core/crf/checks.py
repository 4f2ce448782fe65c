"""Input checks shared by the CRF post-processors: clear errors instead of NaN maps."""
from typing import Optional, Tuple

import numpy as np
import torch
from torch import Tensor


def as_batch(probs: Tensor, image, valid: Optional[Tensor] = None
             ) -> Tuple[Tensor, Tensor, Optional[Tensor], bool]:
    """Validate and batch ``probs`` (C,H,W)/(B,C,H,W), ``image`` (H,W[,K])/(B,H,W[,K]), ``valid``.

    Returns (probs (B,C,H,W) float32, image (B,H,W,K) float32 on probs' device, valid (B,H,W) bool
    or None, whether the input was unbatched).

    Raises:
        ValueError: NaN/Inf or out-of-range probabilities, probabilities that do not sum to one,
            or an image/mask whose size differs from the probabilities'.
    """
    if not isinstance(probs, Tensor):
        probs = torch.as_tensor(np.asarray(probs))
    single = probs.ndim == 3
    if single:
        probs = probs[None]
    if probs.ndim != 4:
        raise ValueError(f'probabilities must be (C, H, W) or (B, C, H, W), got '
                         f'{tuple(probs.shape)}')
    probs = probs.float()
    lo, hi = (float(v) for v in torch.aminmax(probs))  # NaN propagates and fails the test below
    if not (0 <= lo and hi <= 1):
        if not torch.isfinite(probs).all():
            raise ValueError('probabilities contain NaN or Inf (check the model output)')
        raise ValueError('probabilities must lie in [0, 1]; apply softmax/sigmoid to logits first')
    sums = probs.sum(1)
    if (sums - 1).abs().max() > 1e-3:
        raise ValueError(f'class probabilities must sum to 1 per pixel (found sums in '
                         f'[{sums.min():.3f}, {sums.max():.3f}]); for a sigmoid output pass '
                         '[1 - p, p]')
    b, _, h, w = probs.shape
    img = torch.as_tensor(np.asarray(image)) if not isinstance(image, Tensor) else image
    if single:
        img = img[None]
    if img.ndim == 3:
        img = img[..., None]
    if img.ndim != 4 or img.shape[0] != b or tuple(img.shape[1:3]) != (h, w):
        raise ValueError(f'image is {tuple(img.shape[1:3]) if img.ndim >= 3 else tuple(img.shape)}'
                         f' (batch {img.shape[0] if img.ndim == 4 else "?"}) but the '
                         f'probabilities are {(h, w)} (batch {b}): the CRF runs at the image\'s '
                         'original size, so undo resizing/padding of the prediction first')
    img = img.to(probs.device, torch.float32)
    if not torch.isfinite(img).all():
        raise ValueError('image contains NaN or Inf')
    if valid is not None:
        valid = torch.as_tensor(valid, device=probs.device).bool()
        if single:
            valid = valid[None]
        if tuple(valid.shape) != (b, h, w):
            raise ValueError(f'valid mask is {tuple(valid.shape)}, expected {(b, h, w)}')
    return probs, img, valid, single

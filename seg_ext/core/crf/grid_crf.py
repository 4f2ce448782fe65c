"""``GridCRF``: mean field on the 4- or 8-neighbour pixel grid (the cheap CRF)."""
from typing import List, Optional, Tuple

import torch
import torch.nn.functional as F
from torch import Tensor

from .checks import as_batch
from .mean_field import unary_from_probs

OFFSETS4 = [(-1, 0), (1, 0), (0, -1), (0, 1)]
OFFSETS8 = OFFSETS4 + [(-1, -1), (-1, 1), (1, -1), (1, 1)]


def shift(x: Tensor, dy: int, dx: int) -> Tensor:
    """``out[..., i, j] = x[..., i + dy, j + dx]``, zero outside the image."""
    h, w = x.shape[-2:]
    padded = F.pad(x, (1, 1, 1, 1))
    return padded[..., 1 + dy:1 + dy + h, 1 + dx:1 + dx + w]


def grid_weights(image: Tensor, offsets: List[Tuple[int, int]], smooth: float,
                 appearance: float, srgb: float, valid: Optional[Tensor] = None) -> Tensor:
    """Pairwise weight of each pixel to each neighbour, (B, len(offsets), H, W).

    ``smooth * exp(-|Δp|² / 2) + appearance * exp(-|ΔI|² / (2 srgb²))``, zero for neighbours
    outside the image or outside ``valid``.
    """
    img = image.permute(0, 3, 1, 2)  # (B, K, H, W)
    ones = torch.ones_like(img[:, :1]) if valid is None else valid[:, None].float()
    ws = []
    for dy, dx in offsets:
        diff2 = ((img - shift(img, dy, dx))**2).sum(1, keepdim=True)
        w = smooth * torch.exp(torch.tensor(-(dy * dy + dx * dx) / 2.0)) + \
            appearance * torch.exp(-diff2 / (2 * srgb * srgb))
        ws.append(w * shift(ones, dy, dx) * ones)
    return torch.cat(ws, dim=1)


class GridCRF:
    """CRF with pairwise terms between grid neighbours only, solved by mean field.

    Potts messages from the 4 or 8 neighbours, weighted by a constant smoothness term and an
    intensity-similarity (bilateral) term; a few convolution-like tensor shifts per iteration, so
    it is much cheaper than :class:`DenseCRF` but only sees local context. Same call as
    :class:`DenseCRF`: ``crf(probs, image, valid=None)``.
    """

    def __init__(self, iterations: int = 5, neighbors: int = 8, smooth: float = 1.0,
                 appearance: float = 2.0, srgb: float = 13.0, clip: float = 1e-5) -> None:
        if neighbors not in (4, 8):
            raise ValueError(f'neighbors must be 4 or 8, got {neighbors}')
        self.iterations = iterations
        self.offsets = OFFSETS4 if neighbors == 4 else OFFSETS8
        self.smooth, self.appearance, self.srgb, self.clip = smooth, appearance, srgb, clip

    def __call__(self, probs: Tensor, image, valid: Optional[Tensor] = None) -> Tensor:
        probs, img, valid, single = as_batch(probs, image, valid)
        unary = unary_from_probs(probs, self.clip)
        weights = grid_weights(img, self.offsets, self.smooth, self.appearance, self.srgb, valid)
        q = probs
        for _ in range(self.iterations):
            msg = sum(weights[:, k:k + 1] * shift(q, dy, dx)
                      for k, (dy, dx) in enumerate(self.offsets))
            q = torch.softmax(-unary + msg, dim=1)
        if valid is not None:
            q = torch.where(valid[:, None], q, probs)
        return q[0] if single else q

"""Align an upsampled feature map with the one it is fused with."""
from typing import Sequence

import torch.nn.functional as F
from torch import Tensor


def match_size(x: Tensor, size: Sequence[int]) -> Tensor:
    """Crop (or zero-pad) ``x`` (N, C, H, W) at the bottom/right to spatial ``size``.

    Stride-2 layers round odd sizes up (101→51→26→13→7) and output cell ``i`` covers input
    pixels ``2i, 2i+1``, so a ×2 upsampling is aligned at the top-left corner and may overshoot the
    skip feature by one pixel at the bottom/right (7→14 vs 13): that is the part to cut.
    """
    h, w = int(size[0]), int(size[1])
    x = x[..., :h, :w]
    ph, pw = h - x.shape[-2], w - x.shape[-1]
    if ph > 0 or pw > 0:
        x = F.pad(x, (0, pw, 0, ph))
    return x

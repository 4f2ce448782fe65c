"""FCN-32s/16s/8s (Long, Shelhamer & Darrell, 2015) as an mmseg decode head."""
from typing import List, Sequence

import numpy as np
import torch
import torch.nn as nn
from mmseg.models.decode_heads.decode_head import BaseDecodeHead
from mmseg.registry import MODELS
from torch import Tensor

from ..utils import match_size


def bilinear_kernel(channels: int, kernel_size: int) -> Tensor:
    """``ConvTranspose2d`` weight (C, C, k, k) that performs bilinear upsampling channel-wise."""
    factor = (kernel_size + 1) // 2
    center = factor - 1 if kernel_size % 2 == 1 else factor - 0.5
    og = np.ogrid[:kernel_size, :kernel_size]
    filt = (1 - abs(og[0] - center) / factor) * (1 - abs(og[1] - center) / factor)
    weight = torch.zeros(channels, channels, kernel_size, kernel_size)
    weight[range(channels), range(channels)] = torch.as_tensor(filt, dtype=torch.float32)
    return weight


def upsampler(channels: int, factor: int) -> nn.ConvTranspose2d:
    """Learned ×``factor`` upsampling, initialised to bilinear interpolation (as FCN)."""
    up = nn.ConvTranspose2d(channels, channels, 2 * factor, stride=factor, padding=factor // 2,
                            bias=False)
    up.weight.data.copy_(bilinear_kernel(channels, 2 * factor))
    return up


_SKIPS = {'32s': 0, '16s': 1, '8s': 2}


@MODELS.register_module()
class FCNSkipHead(BaseDecodeHead):
    """FCN with skip fusion: score the last feature, upsample ×2, add the scored pool4 (and pool3).

    ``variant='8s'``: score(conv7) ↑2 + score(pool4) ↑2 + score(pool3) ↑8; ``'16s'``: score(conv7)
    ↑2 + score(pool4) ↑16; ``'32s'``: score(conv7) ↑32. Every upsampling is a learned transposed
    conv initialised to bilinear interpolation; after each, the map is cropped to the feature it
    is fused with and finally to the network input (VGG with ``ceil_mode`` pooling always
    overshoots, so cropping replaces Caffe's 100-pixel padding trick).

    Args:
        in_channels: channels of (pool3, pool4, conv7) for 8s, (pool4, conv7) for 16s, (conv7,)
            for 32s; ``conv_seg`` is the score layer on the last one.
        in_index: where those features are in the backbone outputs (VGG with ``with_fc``:
            pool3=2, pool4=3, conv7=5).
        variant: ``'8s'``, ``'16s'`` or ``'32s'``.
        skip_scales: factors on the pool4 and pool3 scores (FCN's "at-once" training used 0.01 and
            0.0001 with un-normalised VGG features); 1 by default.
        **kwargs: ``BaseDecodeHead`` arguments.
    """

    def __init__(self,
                 in_channels: Sequence[int] = (256, 512, 4096),
                 in_index: Sequence[int] = (2, 3, 5),
                 variant: str = '8s',
                 skip_scales: Sequence[float] = (1.0, 1.0),
                 **kwargs) -> None:
        if variant not in _SKIPS:
            raise ValueError(f"variant must be one of {list(_SKIPS)}, got {variant!r}")
        skips = _SKIPS[variant]
        in_channels, in_index = list(in_channels), list(in_index)
        if len(in_channels) != skips + 1 or len(in_index) != skips + 1:
            raise ValueError(f'FCN-{variant} fuses {skips + 1} features (deepest last): got '
                             f'in_channels {in_channels} and in_index {in_index}')
        kwargs.setdefault('dropout_ratio', 0.0)
        super().__init__(in_channels=in_channels, channels=in_channels[-1], in_index=in_index,
                         input_transform='multiple_select', **kwargs)
        self.variant = variant
        self.skip_scales = tuple(skip_scales)
        out = self.out_channels
        # score layers for pool4, pool3 (deepest skip first), and their x2 upsamplers
        self.score_skips = nn.ModuleList(
            nn.Conv2d(in_channels[-2 - i], out, 1) for i in range(skips))
        self.up2 = nn.ModuleList(upsampler(out, 2) for _ in range(skips))
        self.up_final = upsampler(out, {0: 32, 1: 16, 2: 8}[skips])
        for conv in self.score_skips:
            nn.init.zeros_(conv.weight)  # as FCN: skips start silent, the coarse net leads
            nn.init.zeros_(conv.bias)

    def forward(self, inputs: List[Tensor]) -> Tensor:
        feats = self._transform_inputs(inputs)
        score = self.cls_seg(feats[-1])
        for i, (score_skip, up) in enumerate(zip(self.score_skips, self.up2)):
            skip = feats[-2 - i]
            score = match_size(up(score), skip.shape[-2:])
            score = score + self.skip_scales[i] * score_skip(skip)
        score = self.up_final(score)
        size = getattr(inputs, 'input_size', None)
        return match_size(score, size) if size is not None else score

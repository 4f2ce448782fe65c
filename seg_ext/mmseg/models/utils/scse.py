"""Concurrent spatial and channel squeeze & excitation (scSE, Roy et al., MICCAI 2018)."""
import torch.nn as nn
from torch import Tensor


class SCSE(nn.Module):
    """``x * cSE(x) + x * sSE(x)``: channel gates from global average pooling through a
    ``C -> C/reduction -> C`` bottleneck, and a spatial gate from a 1×1 conv to one channel;
    both sigmoid. The additive combination is the paper's (and smp's) default. The bottleneck
    keeps at least ``min_hidden`` units (smp's ``channels // 16`` leaves one unit, easily dead
    after its ReLU, in the 16-32-channel blocks of the salt U-Net)."""

    def __init__(self, channels: int, reduction: int = 16, min_hidden: int = 4) -> None:
        super().__init__()
        hidden = min(channels, max(min_hidden, channels // reduction))
        self.cse = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Conv2d(channels, hidden, 1),
                                 nn.ReLU(inplace=True), nn.Conv2d(hidden, channels, 1),
                                 nn.Sigmoid())
        self.sse = nn.Sequential(nn.Conv2d(channels, 1, 1), nn.Sigmoid())

    def forward(self, x: Tensor) -> Tensor:
        return x * self.cse(x) + x * self.sse(x)

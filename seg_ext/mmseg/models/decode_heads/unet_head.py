"""U-Net decoder as an mmseg decode head, on top of any multi-scale backbone."""
from typing import List, Optional, Sequence

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmcv.cnn import ConvModule
from mmseg.models.decode_heads.decode_head import BaseDecodeHead
from mmseg.registry import MODELS
from torch import Tensor

from ..utils import match_size


class UpBlock(nn.Module):
    """Upsample ×2 (to the skip's size), concatenate the skip if any, then ``num_convs`` 3×3 convs.

    ``upsample='deconv'`` uses a learned 4×4 stride-2 transposed conv (with the block's norm and
    activation) followed by a crop/pad to the skip size; ``'bilinear'`` interpolates straight to
    the skip size (or ×2 when there is no skip) with no parameters.
    """

    def __init__(self, in_channels: int, skip_channels: int, out_channels: int,
                 num_convs: int = 2, upsample: str = 'deconv', conv_cfg: Optional[dict] = None,
                 norm_cfg: Optional[dict] = dict(type='BN'),
                 act_cfg: Optional[dict] = dict(type='ReLU'), align_corners: bool = False) -> None:
        super().__init__()
        if upsample not in ('deconv', 'bilinear'):
            raise ValueError(f"upsample must be 'deconv' or 'bilinear', got {upsample!r}")
        self.upsample = upsample
        self.align_corners = align_corners
        if upsample == 'deconv':
            self.up = ConvModule(in_channels, out_channels, 4, stride=2, padding=1,
                                 conv_cfg=dict(type='deconv'), norm_cfg=norm_cfg,
                                 act_cfg=act_cfg)
            up_channels = out_channels
        else:
            self.up = None
            up_channels = in_channels
        convs = []
        for i in range(num_convs):
            convs.append(ConvModule(up_channels + skip_channels if i == 0 else out_channels,
                                    out_channels, 3, padding=1, conv_cfg=conv_cfg,
                                    norm_cfg=norm_cfg, act_cfg=act_cfg))
        self.convs = nn.Sequential(*convs)

    def forward(self, x: Tensor, skip: Optional[Tensor] = None) -> Tensor:
        size = skip.shape[-2:] if skip is not None else (x.shape[-2] * 2, x.shape[-1] * 2)
        if self.up is not None:
            x = match_size(self.up(x), size)
        else:
            x = F.interpolate(x, size=tuple(size), mode='bilinear',
                              align_corners=self.align_corners)
        if skip is not None:
            x = torch.cat([x, skip], dim=1)
        return self.convs(x)


@MODELS.register_module()
class UNetHead(BaseDecodeHead):
    """U-Net decoder head (Ronneberger et al., 2015) for any backbone giving a feature pyramid.

    Starting from the deepest selected feature, each block upsamples ×2, concatenates the next
    shallower feature (skip connection at every selected scale) and applies ``num_convs`` 3×3
    conv-norm-act layers; ``extra_upsamples`` further blocks without skip bring the output closer to
    the input resolution (e.g. 2 for a ResNet, whose finest feature has stride 4).

    Binary tasks may use ``out_channels=1`` with a sigmoid loss and ``threshold``, or
    ``out_channels=num_classes`` with softmax, as for any mmseg head.

    Args:
        in_channels: channels of the selected features, highest resolution first.
        channels: channels of the last decoder block (input of ``conv_seg``).
        in_index: which backbone outputs to use, highest resolution first (mmseg's ``UNet``
            backbone returns lowest first: use ``in_index=[4, 3, 2, 1, 0]``).
        decoder_channels: output channels of each decoder block, deepest first; default: the skip
            feature's channels for skip blocks, ``channels`` for extra blocks and the last block.
        upsample: ``'deconv'`` (transposed conv) or ``'bilinear'``.
        num_convs: 3×3 convs per block.
        extra_upsamples: ×2 blocks without skip after the last skip block.
        **kwargs: ``BaseDecodeHead`` arguments (``num_classes``, ``out_channels``, ``threshold``,
            ``norm_cfg``, ``loss_decode``, ...).
    """

    def __init__(self,
                 in_channels: Sequence[int],
                 channels: int,
                 in_index: Sequence[int] = (0, 1, 2, 3),
                 decoder_channels: Optional[Sequence[int]] = None,
                 upsample: str = 'deconv',
                 num_convs: int = 2,
                 extra_upsamples: int = 0,
                 **kwargs) -> None:
        if not isinstance(in_channels, (list, tuple)) or len(in_channels) < 2:
            raise ValueError('UNetHead needs at least two feature levels (in_channels as a list)')
        if len(in_index) != len(in_channels):
            raise ValueError(f'in_index {list(in_index)} and in_channels {list(in_channels)} '
                             'must have the same length')
        super().__init__(list(in_channels), channels, in_index=list(in_index),
                         input_transform='multiple_select', **kwargs)
        num_blocks = len(in_channels) - 1 + extra_upsamples
        if decoder_channels is None:
            decoder_channels = [in_channels[-2 - i] for i in range(len(in_channels) - 1)]
            decoder_channels += [channels] * extra_upsamples
            decoder_channels[-1] = channels
        decoder_channels = list(decoder_channels)
        if len(decoder_channels) != num_blocks:
            raise ValueError(f'decoder_channels needs {num_blocks} entries (one per block: '
                             f'{len(in_channels) - 1} skip + {extra_upsamples} extra), got '
                             f'{len(decoder_channels)}')
        if decoder_channels[-1] != channels:
            raise ValueError(f'the last decoder block feeds conv_seg, so decoder_channels[-1] '
                             f'({decoder_channels[-1]}) must equal channels ({channels})')
        self.blocks = nn.ModuleList()
        prev = in_channels[-1]
        for i, out in enumerate(decoder_channels):
            skip = in_channels[-2 - i] if i < len(in_channels) - 1 else 0
            self.blocks.append(
                UpBlock(prev, skip, out, num_convs=num_convs, upsample=upsample,
                        conv_cfg=self.conv_cfg, norm_cfg=self.norm_cfg, act_cfg=self.act_cfg,
                        align_corners=self.align_corners))
            prev = out
        self.num_skips = len(in_channels) - 1

    def forward(self, inputs: List[Tensor]) -> Tensor:
        feats = self._transform_inputs(inputs)
        for shallow, deep in zip(feats[:-1], feats[1:]):
            if shallow.shape[-2] < deep.shape[-2] or shallow.shape[-1] < deep.shape[-1]:
                raise ValueError(
                    'UNetHead expects features from high to low resolution, got sizes '
                    f'{[tuple(f.shape[-2:]) for f in feats]}; reorder them with in_index '
                    '(e.g. in_index=[4, 3, 2, 1, 0] for mmseg\'s UNet backbone)')
        x = feats[-1]
        for i, block in enumerate(self.blocks):
            skip = feats[-2 - i] if i < self.num_skips else None
            x = block(x, skip)
        return self.cls_seg(x)

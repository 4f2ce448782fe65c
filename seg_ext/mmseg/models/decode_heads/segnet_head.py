"""SegNet decoder (Badrinarayanan et al., 2017): upsampling by the encoder's max-pooling indices."""
from typing import List, Sequence

import torch.nn as nn
from mmcv.cnn import ConvModule
from mmseg.models.decode_heads.decode_head import BaseDecodeHead
from mmseg.registry import MODELS
from torch import Tensor

from ..backbones.vgg import VGGFeatures


@MODELS.register_module()
class SegNetHead(BaseDecodeHead):
    """Decoder mirroring a VGG encoder, upsampling with ``MaxUnpool2d`` (nothing learned there).

    Decoder stage ``k`` (deepest first) places each value of its input at the argmax position the
    encoder's pooling ``k`` recorded (zeros elsewhere, output size = the encoder's pre-pool size, so
    odd sizes such as 101×101 are restored exactly), then applies as many 3×3 conv-norm-act layers
    as encoder stage ``k`` had; the last of them narrows to the next stage's width.

    The backbone must return :class:`~seg_ext.models.backbones.vgg.VGGFeatures` with indices
    (``VGG(return_indices=True)``); the ``SegNet`` segmentor checks this when the model is built.

    Args:
        encoder_channels: channels of the encoder stages, shallowest first.
        encoder_convs: convs per encoder stage, shallowest first (VGG16: 2, 2, 3, 3, 3).
        channels: width of the last decoder conv (input of ``conv_seg``).
        in_index: the backbone output holding the deepest pooled feature.
        **kwargs: ``BaseDecodeHead`` arguments.
    """

    def __init__(self,
                 encoder_channels: Sequence[int] = (64, 128, 256, 512, 512),
                 encoder_convs: Sequence[int] = (2, 2, 3, 3, 3),
                 channels: int = 64,
                 in_index: int = -1,
                 **kwargs) -> None:
        if len(encoder_channels) != len(encoder_convs):
            raise ValueError('encoder_channels and encoder_convs need one entry per stage')
        super().__init__(in_channels=encoder_channels[-1], channels=channels, in_index=in_index,
                         **kwargs)
        self.num_stages = len(encoder_channels)
        self.unpool = nn.MaxUnpool2d(2, 2)
        self.stages = nn.ModuleList()
        for k in reversed(range(self.num_stages)):
            width = encoder_channels[k]
            out = encoder_channels[k - 1] if k > 0 else channels
            convs = [ConvModule(width, width if i < encoder_convs[k] - 1 else out, 3, padding=1,
                                conv_cfg=self.conv_cfg, norm_cfg=self.norm_cfg,
                                act_cfg=self.act_cfg) for i in range(encoder_convs[k])]
            self.stages.append(nn.Sequential(*convs))

    def _check_inputs(self, inputs) -> None:
        indices = getattr(inputs, 'indices', None)
        if not isinstance(inputs, VGGFeatures) or indices is None:
            raise ValueError(
                'SegNetHead needs the max-pooling indices of its encoder, but the backbone gave '
                f'{type(inputs).__name__} without them: use VGG(return_indices=True), no neck, '
                "and model type='SegNet' to have this checked when the model is built")
        if len(indices) < self.num_stages:
            raise ValueError(f'SegNetHead mirrors {self.num_stages} encoder stages but the '
                             f'backbone pooled only {len(indices)} times')

    def forward(self, inputs: List[Tensor]) -> Tensor:
        self._check_inputs(inputs)
        x = self._transform_inputs(inputs)
        first = len(inputs.indices) - self.num_stages  # mirror the deepest stages
        for step, stage in enumerate(self.stages):
            k = first + self.num_stages - 1 - step
            x = self.unpool(x, inputs.indices[k], output_size=inputs.sizes[k])
            x = stage(x)
        return self.cls_seg(x)

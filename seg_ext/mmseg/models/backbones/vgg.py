"""VGG backbone (Simonyan & Zisserman, 2015) that can also hand its max-pooling indices on."""
from typing import Dict, List, Optional, Sequence, Tuple

import torch
import torch.nn as nn
from mmcv.cnn import build_norm_layer
from mmengine.model import BaseModule
from mmseg.registry import MODELS
from torch import Tensor

from ....core.input_channels import adapt_input_kernel
from ..utils.pretrained import load_pretrained


class VGGFeatures(tuple):
    """The backbone's tuple of feature maps, carrying what encoder-decoders need besides it.

    It *is* the usual tuple (heads index it as always); in addition:

    - ``indices``: per stage, the argmax positions of its max-pooling (``None`` unless the backbone
      was built with ``return_indices=True``);
    - ``sizes``: per stage, the spatial size before pooling (the unpooling output size);
    - ``input_size``: spatial size of the network input.
    """

    indices: Optional[Tuple[Tensor, ...]]
    sizes: Tuple[Tuple[int, int], ...]
    input_size: Tuple[int, int]

    def __new__(cls, feats, indices=None, sizes=(), input_size=None):
        obj = super().__new__(cls, feats)
        obj.indices = tuple(indices) if indices is not None else None
        obj.sizes = tuple(sizes)
        obj.input_size = input_size
        return obj


def convert_torchvision_vgg(state: Dict[str, Tensor], in_channels: Optional[int] = None,
                            fc_shapes: Optional[Tuple[tuple, tuple]] = None) -> Dict[str, Tensor]:
    """Map a torchvision ``vgg*``/``vgg*_bn`` state dict onto :class:`VGG`.

    ``features.*`` (and already converted ``fc6.*``/``fc7.*``) keys are kept (the layer indices
    are the same); with ``in_channels`` the first conv is adapted to it
    (:func:`seg_ext.core.input_channels.adapt_input_kernel`: 1 channel = the sum of the RGB
    kernels, N = the RGB kernels cycled × 3/N); ``classifier.0``/``.3`` become
    the convolutional ``fc6``/``fc7`` of FCN (Long et al.) when ``fc_shapes`` (their weight shapes)
    match 4096×512×7×7 / 4096×4096×1×1; ``classifier.6`` (ImageNet logits) is dropped.
    """
    out = {k: v for k, v in state.items() if k.startswith(('features.', 'fc6.', 'fc7.'))}
    w = out.get('features.0.weight')
    if w is not None and in_channels is not None:
        out['features.0.weight'] = adapt_input_kernel(w, in_channels)
    if fc_shapes is not None and 'classifier.0.weight' in state:
        (fc6_shape, fc7_shape) = fc_shapes
        fc6, fc7 = state['classifier.0.weight'], state['classifier.3.weight']
        if fc6.numel() == torch.Size(fc6_shape).numel() and fc7.numel() == \
                torch.Size(fc7_shape).numel():
            out['fc6.weight'] = fc6.reshape(fc6_shape)
            out['fc6.bias'] = state['classifier.0.bias']
            out['fc7.weight'] = fc7.reshape(fc7_shape)
            out['fc7.bias'] = state['classifier.3.bias']
    return out


@MODELS.register_module()
class VGG(BaseModule):
    """VGG-11/13/16/19, with or without BatchNorm, as an mmseg backbone.

    The layers are ``self.features`` indexed exactly as torchvision's ``vgg16``/``vgg16_bn``, so a
    torchvision checkpoint loads one to one (``init_cfg=dict(type='Pretrained',
    checkpoint='torchvision://vgg16_bn')`` or a local file; see :func:`convert_torchvision_vgg`).

    Args:
        depth: 11, 13, 16 or 19.
        in_channels: input channels (1 for seismic, 3 for RGB).
        with_bn: VGG-BN (a norm layer after every conv, ``norm_cfg``).
        base_channels: width of the first stage; stages have (1, 2, 4, 8, 8) times it (64 for the
            original VGG and its ImageNet weights, smaller for cheap CPU models).
        num_stages: conv stages (1-5), each ending with a 2×2 max-pooling.
        out_indices: stages whose pooled output is returned (stride ``2**(i+1)``); index
            ``num_stages`` is the ``fc7`` output when ``with_fc``.
        return_indices: also return every pooling's argmax indices (for SegNet's unpooling),
            in :class:`VGGFeatures`.
        ceil_mode: ceil rounding in pooling, as Caffe (odd sizes like 101 keep their last row).
        with_fc: add FCN's convolutional fc6 (``fc_kernel``×``fc_kernel``) / fc7 (1×1) with
            ReLU and dropout after the last stage.
        fc_channels, fc_kernel, fc_dropout: fc6/fc7 width, fc6 kernel, dropout probability.
        norm_eval: keep norm layers in eval mode while training (for frozen pretrained stats).
        frozen_stages: freeze the first ``frozen_stages`` stages (-1: none).
        pretrained: a checkpoint path, the same as ``init_cfg=dict(type='Pretrained',
            checkpoint=pretrained)``.
    """

    arch_settings = {11: (1, 1, 2, 2, 2), 13: (2, 2, 2, 2, 2), 16: (2, 2, 3, 3, 3),
                     19: (2, 2, 4, 4, 4)}
    stage_widths = (1, 2, 4, 8, 8)

    def __init__(self,
                 depth: int = 16,
                 in_channels: int = 3,
                 with_bn: bool = False,
                 norm_cfg: dict = dict(type='BN', requires_grad=True),
                 base_channels: int = 64,
                 num_stages: int = 5,
                 out_indices: Sequence[int] = (0, 1, 2, 3, 4),
                 return_indices: bool = False,
                 ceil_mode: bool = True,
                 with_fc: bool = False,
                 fc_channels: int = 4096,
                 fc_kernel: int = 7,
                 fc_dropout: float = 0.5,
                 norm_eval: bool = False,
                 frozen_stages: int = -1,
                 pretrained: Optional[str] = None,
                 init_cfg: Optional[dict] = None) -> None:
        if pretrained is not None:  # mmseg's EncoderDecoder(pretrained=...) sets this
            if init_cfg is not None:
                raise ValueError('VGG: give either pretrained or init_cfg, not both')
            init_cfg = dict(type='Pretrained', checkpoint=pretrained)
        super().__init__(init_cfg)
        if depth not in self.arch_settings:
            raise KeyError(f'invalid depth {depth} for VGG, use one of '
                           f'{sorted(self.arch_settings)}')
        if not 1 <= num_stages <= 5:
            raise ValueError(f'num_stages must be in 1..5, got {num_stages}')
        max_out = num_stages if with_fc else num_stages - 1
        if not out_indices or max(out_indices) > max_out or min(out_indices) < 0:
            raise ValueError(f'out_indices {tuple(out_indices)} out of range 0..{max_out}')
        self.depth, self.in_channels, self.with_bn = depth, in_channels, with_bn
        self.num_stages, self.out_indices = num_stages, tuple(out_indices)
        self.return_indices, self.with_fc = return_indices, with_fc
        self.norm_eval, self.frozen_stages = norm_eval, frozen_stages
        self.stage_blocks = self.arch_settings[depth][:num_stages]
        self.stage_channels = tuple(base_channels * w for w in self.stage_widths)
        self.out_channels: List[int] = []

        layers: List[nn.Module] = []
        self.stage_ranges: List[Tuple[int, int]] = []  # [start, end) of each stage's convs
        self.pool_layers: List[int] = []
        prev = in_channels
        for i, blocks in enumerate(self.stage_blocks):
            start = len(layers)
            for _ in range(blocks):
                layers.append(nn.Conv2d(prev, self.stage_channels[i], 3, padding=1))
                if with_bn:
                    layers.append(build_norm_layer(norm_cfg, self.stage_channels[i])[1])
                layers.append(nn.ReLU(inplace=True))
                prev = self.stage_channels[i]
            self.stage_ranges.append((start, len(layers)))
            self.pool_layers.append(len(layers))
            layers.append(nn.MaxPool2d(2, 2, ceil_mode=ceil_mode, return_indices=return_indices))
            self.out_channels.append(prev)
        self.features = nn.Sequential(*layers)
        if with_fc:
            self.fc6 = nn.Conv2d(prev, fc_channels, fc_kernel, padding=fc_kernel // 2)
            self.fc7 = nn.Conv2d(fc_channels, fc_channels, 1)
            self.fc_act = nn.ReLU(inplace=True)
            self.fc_drop = nn.Dropout2d(fc_dropout) if fc_dropout > 0 else nn.Identity()
            self.out_channels.append(fc_channels)

    def forward(self, x: Tensor) -> VGGFeatures:
        # plain ints: traced shapes (FLOP counting, export) would otherwise be tensors
        input_size = tuple(int(s) for s in x.shape[-2:])
        outs, indices, sizes = [], [], []
        for i, (start, end) in enumerate(self.stage_ranges):
            for j in range(start, end):
                x = self.features[j](x)
            sizes.append(tuple(int(s) for s in x.shape[-2:]))
            x = self.features[self.pool_layers[i]](x)
            if self.return_indices:
                x, idx = x
                indices.append(idx)
            if i in self.out_indices:
                outs.append(x)
        if self.with_fc:
            x = self.fc_drop(self.fc_act(self.fc6(x)))
            x = self.fc_drop(self.fc_act(self.fc7(x)))
            if self.num_stages in self.out_indices:
                outs.append(x)
        return VGGFeatures(outs, indices if self.return_indices else None, sizes, input_size)

    def convert_pretrained_state(self, state: Dict[str, Tensor]) -> Dict[str, Tensor]:
        """torchvision's VGG layout onto this one (called by the ``Pretrained`` loader, which
        then adapts the first conv to ``in_channels``)."""
        fc_shapes = (tuple(self.fc6.weight.shape), tuple(self.fc7.weight.shape)) \
            if self.with_fc else None
        return convert_torchvision_vgg(state, fc_shapes=fc_shapes)

    def init_weights(self) -> None:
        """Kaiming init, or load a checkpoint (:func:`~seg_ext.mmseg.models.utils.load_pretrained`:
        torchvision layouts converted, first conv adapted, an error if anything else does not
        fit)."""
        cfg = self.init_cfg or {}
        if cfg.get('type') != 'Pretrained':
            for m in self.modules():
                if isinstance(m, nn.Conv2d):
                    nn.init.kaiming_normal_(m.weight, mode='fan_out', nonlinearity='relu')
                    nn.init.zeros_(m.bias)
                elif isinstance(m, (nn.BatchNorm2d, nn.SyncBatchNorm, nn.GroupNorm)):
                    nn.init.ones_(m.weight)
                    nn.init.zeros_(m.bias)
            if not cfg:
                return
            return super().init_weights()
        load_pretrained(self, cfg['checkpoint'], prefix=cfg.get('prefix'),
                        map_location=cfg.get('map_location', 'cpu'))
        self._is_init = True

    def _freeze_stages(self) -> None:
        if self.frozen_stages < 0:
            return
        for i in range(min(self.frozen_stages, self.num_stages)):
            for j in range(self.stage_ranges[i][0], self.pool_layers[i] + 1):
                m = self.features[j]
                m.eval()
                for p in m.parameters():
                    p.requires_grad = False

    def train(self, mode: bool = True) -> 'VGG':
        super().train(mode)
        self._freeze_stages()
        if mode and self.norm_eval:
            for m in self.modules():
                if isinstance(m, nn.modules.batchnorm._BatchNorm):
                    m.eval()
        return self

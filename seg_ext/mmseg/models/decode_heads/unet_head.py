"""U-Net decoder as an mmseg decode head, on top of any multi-scale backbone."""
from typing import Dict, List, Optional, Sequence, Tuple, Union

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmcv.cnn import ConvModule
from mmseg.models.decode_heads.decode_head import BaseDecodeHead
from mmseg.registry import MODELS
from torch import Tensor

from ..utils import SCSE, match_size

# logits written over the masks the empty-mask branch gates: probability ~2e-9
GATED_LOGIT = 20.0


class UpBlock(nn.Module):
    """Upsample ×2 (to the skip's size), concatenate the skip if any, then ``num_convs`` 3×3 convs.

    ``upsample='deconv'`` uses a learned 4×4 stride-2 transposed conv (with the block's norm and
    activation) followed by a crop/pad to the skip size; ``'bilinear'`` interpolates straight to
    the skip size (or ×2 when there is no skip) with no parameters. ``scse`` (a dict of
    :class:`~seg_ext.mmseg.models.utils.SCSE` arguments) adds scSE attention after the convs.
    """

    def __init__(self, in_channels: int, skip_channels: int, out_channels: int,
                 num_convs: int = 2, upsample: str = 'deconv', conv_cfg: Optional[dict] = None,
                 norm_cfg: Optional[dict] = dict(type='BN'),
                 act_cfg: Optional[dict] = dict(type='ReLU'), align_corners: bool = False,
                 scse: Optional[dict] = None) -> None:
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
        if scse is not None:  # only then: the parameter names of a plain block stay the same
            self.scse = SCSE(out_channels, **scse)

    def forward(self, x: Tensor, skip: Optional[Tensor] = None) -> Tensor:
        size = skip.shape[-2:] if skip is not None else (x.shape[-2] * 2, x.shape[-1] * 2)
        if self.up is not None:
            x = match_size(self.up(x), size)
        else:
            x = F.interpolate(x, size=tuple(size), mode='bilinear',
                              align_corners=self.align_corners)
        if skip is not None:
            x = torch.cat([x, skip], dim=1)
        x = self.convs(x)
        return self.scse(x) if hasattr(self, 'scse') else x


@MODELS.register_module()
class UNetHead(BaseDecodeHead):
    """U-Net decoder head (Ronneberger et al., 2015) for any backbone giving a feature pyramid.

    Starting from the deepest selected feature, each block upsamples ×2, concatenates the next
    shallower feature (skip connection at every selected scale) and applies ``num_convs`` 3×3
    conv-norm-act layers; ``extra_upsamples`` further blocks without skip bring the output closer to
    the input resolution (e.g. 2 for a ResNet, whose finest feature has stride 4).

    Binary tasks may use ``out_channels=1`` with a sigmoid loss and ``threshold``, or
    ``out_channels=num_classes`` with softmax, as for any mmseg head.

    The TGS Salt recipe options are off by default (and then add no parameter: checkpoints of the
    plain head load unchanged):

    - ``scse=True`` (or ``dict(reduction=16)``): scSE attention (:class:`SCSE`) after every block.
    - ``hypercolumn=True``: every block's output upsampled to the last one's size, concatenated
      and fused by a 3×3 conv-norm-act to ``channels`` before ``conv_seg``.
    - ``deep_supervision=dict(weights=[w0, w1, ...])``: a 1×1 classifier on each block but the last
      (``aux0`` = the deepest); its loss (the head's ``loss_decode`` against the labels, logits
      resized as for the main output) times ``w_i`` is logged as ``aux{i}.loss_*``
      (``decode.aux0.loss_ce``). Training only: inference never runs these classifiers.
    - ``empty_branch=dict(loss_weight=0.1, threshold=0.5)``: an image-level classifier (global
      average pool of the deepest feature + linear) of "the mask is not empty" (any label in
      ``1..num_classes-1``), trained with BCE (``loss_empty``). At inference (``forward`` in eval
      mode, hence ``predict``) every image whose *empty* probability is ``>= threshold`` gets
      background-only logits (``GATED_LOGIT``), i.e. an empty mask. In ``slide`` mode the gate
      acts per window.

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
        scse, hypercolumn, deep_supervision, empty_branch: the options above.
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
                 scse: Union[bool, dict] = False,
                 hypercolumn: bool = False,
                 deep_supervision: Optional[dict] = None,
                 empty_branch: Optional[dict] = None,
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
        scse_cfg = (dict() if scse is True else dict(scse)) if scse else None
        self.blocks = nn.ModuleList()
        prev = in_channels[-1]
        for i, out in enumerate(decoder_channels):
            skip = in_channels[-2 - i] if i < len(in_channels) - 1 else 0
            self.blocks.append(
                UpBlock(prev, skip, out, num_convs=num_convs, upsample=upsample,
                        conv_cfg=self.conv_cfg, norm_cfg=self.norm_cfg, act_cfg=self.act_cfg,
                        align_corners=self.align_corners, scse=scse_cfg))
            prev = out
        self.num_skips = len(in_channels) - 1
        self._build_options(decoder_channels, hypercolumn, deep_supervision, empty_branch)

    def _build_options(self, decoder_channels: List[int], hypercolumn: bool,
                       deep_supervision: Optional[dict], empty_branch: Optional[dict]) -> None:
        """Modules of the recipe options; none exists when its option is off."""
        if hypercolumn:
            self.hypercolumn_fuse = ConvModule(sum(decoder_channels), self.channels, 3, padding=1,
                                               conv_cfg=self.conv_cfg, norm_cfg=self.norm_cfg,
                                               act_cfg=self.act_cfg)
        self.aux_weights: List[float] = []
        if deep_supervision is not None:
            weights = list(dict(deep_supervision).pop('weights', None) or [])
            if len(weights) != len(decoder_channels) - 1:
                raise ValueError(f'deep_supervision weights: one per decoder block but the last '
                                 f'({len(decoder_channels) - 1}), got {weights}')
            self.aux_weights = [float(w) for w in weights]
            self.aux_segs = nn.ModuleList(
                nn.Conv2d(c, self.out_channels, 1) for c in decoder_channels[:-1])
        self.empty_cfg: Optional[dict] = None
        if empty_branch is not None:
            cfg = dict(loss_weight=1.0, threshold=0.5)
            unknown = set(empty_branch) - set(cfg)
            if unknown:
                raise ValueError(f'empty_branch takes loss_weight and threshold, got '
                                 f'{sorted(unknown)}')
            cfg.update(empty_branch)
            self.empty_cfg = cfg
            self.empty_cls = nn.Linear(self.in_channels[-1], 1)

    def _decode(self, inputs: List[Tensor]) -> Tuple[Tensor, List[Tensor], Tensor]:
        """(input of ``conv_seg``, every block's output, the deepest feature)."""
        feats = self._transform_inputs(inputs)
        for shallow, deep in zip(feats[:-1], feats[1:]):
            if shallow.shape[-2] < deep.shape[-2] or shallow.shape[-1] < deep.shape[-1]:
                raise ValueError(
                    'UNetHead expects features from high to low resolution, got sizes '
                    f'{[tuple(f.shape[-2:]) for f in feats]}; reorder them with in_index '
                    '(e.g. in_index=[4, 3, 2, 1, 0] for mmseg\'s UNet backbone)')
        x = feats[-1]
        outs = []
        for i, block in enumerate(self.blocks):
            skip = feats[-2 - i] if i < self.num_skips else None
            x = block(x, skip)
            outs.append(x)
        if hasattr(self, 'hypercolumn_fuse'):
            size = x.shape[-2:]
            x = self.hypercolumn_fuse(torch.cat([
                o if o.shape[-2:] == size else F.interpolate(
                    o, size=tuple(size), mode='bilinear', align_corners=self.align_corners)
                for o in outs], dim=1))
        return x, outs, feats[-1]

    def empty_logit(self, deepest: Tensor) -> Tensor:
        """Per image, the logit of "the mask is not empty" (``N``)."""
        return self.empty_cls(deepest.mean(dim=(2, 3))).squeeze(1)

    def forward_with_empty(self, inputs: List[Tensor]) -> Tuple[Tensor, Optional[Tensor]]:
        """Ungated logits and, with the empty branch, each image's empty probability (``N``)."""
        x, _, deepest = self._decode(inputs)
        p_empty = torch.sigmoid(-self.empty_logit(deepest)) if self.empty_cfg else None
        return self.cls_seg(x), p_empty

    def forward(self, inputs: List[Tensor]) -> Tensor:
        logits, p_empty = self.forward_with_empty(inputs)
        if p_empty is not None and not self.training:
            logits = gate_empty(logits, p_empty >= self.empty_cfg['threshold'])
        return logits

    def loss(self, inputs: List[Tensor], batch_data_samples, train_cfg) -> Dict[str, Tensor]:
        """``BaseDecodeHead.loss`` plus the deep-supervision and empty-branch losses."""
        x, outs, deepest = self._decode(inputs)
        losses = self.loss_by_feat(self.cls_seg(x), batch_data_samples)
        for i, w in enumerate(self.aux_weights):
            aux = self.loss_by_feat(self.aux_segs[i](outs[i]), batch_data_samples)
            losses.update({f'aux{i}.{k}': v * w for k, v in aux.items() if 'loss' in k})
        if self.empty_cfg:
            target = self.nonempty_targets(batch_data_samples).to(deepest)
            losses['loss_empty'] = self.empty_cfg['loss_weight'] * \
                F.binary_cross_entropy_with_logits(self.empty_logit(deepest), target)
        return losses

    def nonempty_targets(self, batch_data_samples) -> Tensor:
        """1 for each image whose ground truth has a foreground label (``1..num_classes-1``,
        ignore_index excluded), else 0."""
        return torch.stack([
            ((s.gt_sem_seg.data > 0) & (s.gt_sem_seg.data < self.num_classes)
             & (s.gt_sem_seg.data != self.ignore_index)).any()
            for s in batch_data_samples]).float()


def gate_empty(logits: Tensor, gate: Tensor) -> Tensor:
    """``logits`` (``N×C×H×W``) with the images where ``gate`` (``N`` bools) is set replaced by
    background-only logits: ``-GATED_LOGIT`` for a 1-channel sigmoid head; channel 0 at
    ``+GATED_LOGIT`` and the others at ``-GATED_LOGIT`` for softmax."""
    empty = torch.full_like(logits[:1], -GATED_LOGIT)
    if logits.shape[1] > 1:
        empty[:, 0] = GATED_LOGIT
    return torch.where(gate.view(-1, 1, 1, 1), empty, logits)

"""Siamese (shared-weight) encoder for change detection, inside mmseg's EncoderDecoder."""
from typing import List

import torch
from mmseg.models.segmentors import EncoderDecoder
from mmseg.registry import MODELS
from torch import Tensor

FUSIONS = ('abs_diff', 'diff', 'concat', 'sum')


def fuse_features(fa: Tensor, fb: Tensor, fusion: str) -> Tensor:
    """Fuse two feature maps of one pyramid level: ``|a-b|``, ``a-b``, ``[a, b]`` or ``a+b``."""
    if fusion == 'abs_diff':
        return (fa - fb).abs()
    if fusion == 'diff':
        return fa - fb
    if fusion == 'concat':
        return torch.cat([fa, fb], dim=1)
    if fusion == 'sum':
        return fa + fb
    raise ValueError(f'fusion must be one of {FUSIONS}, got {fusion!r}')


@MODELS.register_module()
class SiameseEncoderDecoder(EncoderDecoder):
    """Change detection with one backbone applied to both acquisitions (shared weights).

    The input is the pair stacked along channels (``LoadBiTemporalImages`` +
    ``MultiImageSegDataPreProcessor``); it is split in two, both halves go through the backbone as
    one batch, and every pyramid level is fused (``fusion``) before the neck/decode head -- e.g. the
    U-Net head gets difference features at every scale. With ``'concat'`` the head's
    ``in_channels`` are twice the backbone's. Everything else (losses, inference, test_cfg) is
    ``EncoderDecoder``'s, so any mmseg backbone and head fit. The early-fusion alternative is a
    plain ``EncoderDecoder`` with ``in_channels = 2 × channels``.
    """

    def __init__(self, fusion: str = 'abs_diff', num_images: int = 2, **kwargs) -> None:
        if fusion not in FUSIONS:
            raise ValueError(f'fusion must be one of {FUSIONS}, got {fusion!r}')
        super().__init__(**kwargs)
        self.fusion = fusion
        self.num_images = num_images

    def extract_feat(self, inputs: Tensor) -> List[Tensor]:
        if inputs.size(1) % self.num_images:
            raise ValueError(f'{inputs.size(1)} input channels cannot be split into '
                             f'{self.num_images} images')
        images = inputs.chunk(self.num_images, dim=1)
        feats = self.backbone(torch.cat(images, dim=0))
        if isinstance(feats, Tensor):
            feats = [feats]
        fused = []
        for f in feats:
            fa, fb = f.chunk(self.num_images, dim=0)
            fused.append(fuse_features(fa, fb, self.fusion))
        if self.with_neck:
            fused = self.neck(fused)
        return fused

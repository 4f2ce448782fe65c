"""``SegProbTTAModel``: flip test-time augmentation averaged in probability space, padding-exact.

mmseg's ``SegTTAModel`` (``default_runtime.py``'s ``tta_model``) breaks 1-channel sigmoid heads:
``postprocess_result`` already stores ``sigmoid(logit)`` in ``seg_logits`` for them, and
``merge_preds`` applies ``.sigmoid()`` a second time, so the merged "probability" lies in
[0.5, 0.73] and every pixel with a positive probability passes the 0.5 threshold (all foreground).
Flipping in the pipeline also misplaces a prediction by one pixel when the image was padded
asymmetrically (``ReflectPad`` 101 -> 128 pads 13 | 14): the recorded padding is that of the
unflipped image.

This model flips the *padded network input* instead, flips the logits back, and only then crops
the recorded padding and resizes to the original size, exactly as the segmentor's own
``postprocess_result`` does; the per-flip probabilities (sigmoid as ``[1 - p, p]`` for a
1-channel head, softmax otherwise) are averaged. A model that commutes with flips therefore gives
the same result with and without TTA.
"""
from typing import Dict, List, Sequence, Tuple, Union

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.model import BaseTTAModel
from mmengine.structures import PixelData
from mmseg.registry import MODELS
from torch import Tensor

FLIP_DIMS: Dict[str, Tuple[int, ...]] = {
    'horizontal': (-1, ),
    'vertical': (-2, ),
    'diagonal': (-2, -1),
}


def logits_to_probs(logits: Tensor) -> Tensor:
    """(C, H, W) class probabilities of one image's logits: ``[1 - p, p]`` with ``p =
    sigmoid(logit)`` for a 1-channel (sigmoid) head, the softmax over channels otherwise."""
    if logits.shape[0] == 1:
        p = logits.float().sigmoid()
        return torch.cat([1 - p, p], dim=0)
    return logits.float().softmax(dim=0)


def logits_at_original_size(logits: Tensor, meta: dict, align_corners: bool = False) -> Tensor:
    """One image's (C, H', W') logits at the padded network size -> (C, H, W) at ``ori_shape``,
    the steps of mmseg's ``BaseSegmentor.postprocess_result``: crop ``img_padding_size`` (else
    the data preprocessor's ``padding_size``; left, right, top, bottom), undo a pipeline flip,
    resize bilinearly."""
    pad = meta.get('img_padding_size', meta.get('padding_size', [0, 0, 0, 0]))
    left, right, top, bottom = (int(p) for p in pad)
    h, w = logits.shape[-2:]
    x = logits[:, top:h - bottom, left:w - right]
    if meta.get('flip', False):
        x = x.flip(FLIP_DIMS[meta.get('flip_direction', 'horizontal')])
    size = tuple(int(s) for s in meta['ori_shape'][:2])
    return F.interpolate(x[None], size=size, mode='bilinear', align_corners=align_corners)[0]


@MODELS.register_module()
class SegProbTTAModel(BaseTTAModel):
    """Average a segmentor's class probabilities over flips of its padded input (and over the
    views of a ``TestTimeAug`` pipeline, if the test pipeline is one).

    ``pred_sem_seg`` is the arg-max of the averaged probabilities, or ``p > threshold`` (the
    decode head's) for a 1-channel head; ``seg_logits`` holds the averaged foreground
    probability for a 1-channel head (mmseg's convention) and ``log q`` otherwise, so that
    ``CRFRefiner`` can wrap this model. The plain test pipeline is a valid ``tta_pipeline``.

    Args:
        module: the segmentor (config or module).
        flips: flips added to the identity: ``'horizontal'``, ``'vertical'``, ``'diagonal'``.
            ``()`` gives the segmentor's own prediction, with probabilities.
    """

    def __init__(self, module: Union[dict, nn.Module], flips: Sequence[str] = ('horizontal', ),
                 data_preprocessor=None) -> None:
        super().__init__(module, data_preprocessor)
        unknown = [f for f in flips if f not in FLIP_DIMS]
        if unknown:
            raise ValueError(f'unknown flip(s) {unknown}; use {sorted(FLIP_DIMS)}')
        self.flips = tuple(flips)

    @property
    def binary(self) -> bool:
        return getattr(self.module, 'out_channels', 2) == 1

    @property
    def threshold(self) -> float:
        head = getattr(self.module, 'decode_head', None)
        t = getattr(head, 'threshold', None)
        return 0.5 if t is None else float(t)

    @torch.no_grad()
    def view_probs(self, data: dict) -> Tuple[List[Tensor], list]:
        """One plain test batch -> per-sample (C, H, W) probabilities at ``ori_shape`` averaged
        over the identity and ``flips``, and the batch's data samples."""
        seg = self.module
        data = seg.data_preprocessor(data, False)
        inputs, samples = data['inputs'], data['data_samples']
        metas = [s.metainfo for s in samples]
        align = bool(getattr(seg, 'align_corners', False))
        total: List[Tensor] = [None] * len(samples)
        for flip in (None, ) + self.flips:
            x = inputs if flip is None else inputs.flip(FLIP_DIMS[flip])
            logits = seg.inference(x, metas)
            if flip is not None:
                logits = logits.flip(FLIP_DIMS[flip])
            for i, meta in enumerate(metas):
                p = logits_to_probs(logits_at_original_size(logits[i], meta, align))
                total[i] = p if total[i] is None else total[i] + p
        n = 1 + len(self.flips)
        return [t / n for t in total], samples

    @staticmethod
    def split_views(data: dict) -> List[dict]:
        """A ``TestTimeAug`` batch (lists of views) -> one plain batch per view."""
        inputs = data['inputs']
        if len(inputs) and isinstance(inputs[0], (list, tuple)):
            return [{k: v[i] for k, v in data.items()} for i in range(len(inputs))]
        return [data]

    def predict_probs(self, data: dict) -> Tuple[List[Tensor], list]:
        """Probabilities averaged over every view and flip, and the first view's samples."""
        views = self.split_views(data)
        total, samples = self.view_probs(views[0])
        for view in views[1:]:
            probs, _ = self.view_probs(view)
            total = [t + p for t, p in zip(total, probs)]
        if len(views) > 1:
            total = [t / len(views) for t in total]
        return total, samples

    def test_step(self, data: dict) -> list:
        probs, samples = self.predict_probs(data)
        for s, q in zip(samples, probs):
            if self.binary:
                pred = (q[1:2] > self.threshold).long()
                out = q[1:2]
            else:
                pred = q.argmax(dim=0, keepdim=True)
                out = torch.log(q.clamp_min(1e-12))
            s.set_data(dict(seg_logits=PixelData(data=out), pred_sem_seg=PixelData(data=pred)))
        return samples

    def val_step(self, data: dict) -> list:
        return self.test_step(data)

    def merge_preds(self, data_samples_list):
        """Unused: :meth:`test_step` averages probabilities before any labels exist."""
        raise NotImplementedError('SegProbTTAModel averages probabilities in test_step')

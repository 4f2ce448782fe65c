"""``CRFRefiner``: a wrapper segmentor that refines every prediction of the model it wraps with a
CRF post-processor, the way mmseg's ``SegTTAModel`` wraps a model for test-time augmentation."""
from typing import List, Optional, Sequence, Union

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.model import BaseTTAModel
from mmengine.structures import PixelData
from mmseg.registry import MODELS

from ....core.crf import class_probabilities, labels_from_probabilities, refine_probabilities
from ....core.postprocess import remove_small_components_tensor
from ...registry import build_postprocessor


def original_image(raw: torch.Tensor, meta: dict) -> np.ndarray:
    """The image a prediction is made at -- (H, W, K) float32 at ``ori_shape`` -- from the
    model's raw input (C, H', W') before normalisation: flips undone, the recorded padding
    (``img_padding_size``, left/right/top/bottom, as ``ReflectPad`` writes it) cropped, any
    resizing undone. All channels are kept (gray: 1, RGB: 3, a change pair A|B: 6)."""
    img = raw.detach().float()
    if meta.get('flip', False):
        direction = meta.get('flip_direction', 'horizontal')
        dims = {'horizontal': [-1], 'vertical': [-2], 'diagonal': [-2, -1]}[direction]
        img = img.flip(dims)
    pad = meta.get('img_padding_size')
    if pad is not None:
        left, right, top, bottom = (int(p) for p in pad)
        img = img[:, top:img.shape[1] - bottom, left:img.shape[2] - right]
    h, w = (int(s) for s in meta['ori_shape'][:2])
    if tuple(img.shape[1:]) != (h, w):
        img = F.interpolate(img[None], size=(h, w), mode='bilinear', align_corners=False)[0]
    return img.permute(1, 2, 0).cpu().numpy()


@MODELS.register_module()
class CRFRefiner(BaseTTAModel):
    """Wrap a segmentor (or a TTA model) and refine its test/val predictions with ``crf``.

    After the wrapped model has undone its resizing and padding, each sample's class
    probabilities (from ``seg_logits``: softmax, or ``[1 - p, p]`` for a sigmoid head) are refined
    at the original resolution against the image the model saw (its raw input, padding cropped --
    both acquisitions of a change pair become bilateral features) and ``pred_sem_seg`` is replaced
    (threshold of a sigmoid head: the decode head's); ``seg_logits`` then holds the refined
    distribution (a sigmoid head's foreground probability, else ``log q``). With ``keep_raw`` the
    unrefined prediction is kept as
    ``pred_sem_seg_raw`` so a second metric (``pred_key='pred_sem_seg_raw'``) reports both in one
    run. Same-size samples are refined as one batch.

    As a ``BaseTTAModel`` it loads the wrapped model's checkpoints unchanged (``tools/test.py``,
    mmseg's ``init_model``), and every prediction path that calls ``test_step`` --
    ``tools/test.py``, ``inference_model``, ``MMSegInferencer`` -- gets the refinement.

    Args:
        module: the segmentor (config or module).
        crf: a ``POSTPROCESSORS`` config (``dict(type='DenseCRF', ...)``), or ``None`` for
            ``min_area`` alone.
        keep_raw: keep the unrefined labels as ``pred_sem_seg_raw``.
        min_area: afterwards, connected components of a non-background class smaller than this
            many pixels become background (:func:`seg_ext.core.postprocess.
            remove_small_components`; the config key ``postprocess=dict(min_area=N)``).
    """

    def __init__(self, module: Union[dict, nn.Module], crf: Optional[dict] = None,
                 keep_raw: bool = True, data_preprocessor: Optional[dict] = None,
                 min_area: int = 0) -> None:
        super().__init__(module, data_preprocessor)
        if not crf and min_area <= 1:
            raise ValueError('CRFRefiner needs a crf and/or min_area > 1')
        self.crf = build_postprocessor(crf) if crf else None
        self.keep_raw = keep_raw
        self.min_area = int(min_area)

    def _threshold(self) -> float:
        model = self.module
        while isinstance(model, BaseTTAModel):
            model = model.module
        head = getattr(model, 'decode_head', None)
        return getattr(head, 'threshold', None) or 0.5

    @staticmethod
    def _raw_inputs(data: dict) -> List[torch.Tensor]:
        inputs = data['inputs']
        if len(inputs) and isinstance(inputs[0], (list, tuple)):  # TTA: the first augmentation
            return list(inputs[0])
        return list(inputs)

    @staticmethod
    def _metas(data: dict) -> List[dict]:
        samples = data.get('data_samples') or []
        if len(samples) and isinstance(samples[0], (list, tuple)):
            samples = samples[0]
        return [s.metainfo for s in samples]

    def refine(self, outputs: Sequence, images: Sequence[np.ndarray]) -> None:
        """Refine ``outputs`` (data samples with ``seg_logits``) in place."""
        logits = [s.seg_logits.data for s in outputs]
        refined = [None] * len(outputs)
        if self.crf is not None:
            probs = [class_probabilities(x) for x in logits]
            refined = refine_probabilities(self.crf, probs, images)
        threshold = self._threshold()
        for s, x, q in zip(outputs, logits, refined):
            raw = s.pred_sem_seg.data
            if self.keep_raw:
                s.pred_sem_seg_raw = PixelData(data=raw.clone())
            pred = raw[0]
            if q is not None:
                binary = x.shape[0] == 1
                pred = labels_from_probabilities(q, binary, threshold)
                # the refined distribution in the head's own convention: sigmoid heads store the
                # foreground probability, softmax heads logits (log q: softmax(log q) = q)
                refined_logits = q[1:2] if binary else torch.log(q.clamp_min(1e-12))
                s.seg_logits = PixelData(data=refined_logits.to(x.device, x.dtype))
            pred = remove_small_components_tensor(pred, self.min_area)
            s.pred_sem_seg = PixelData(data=pred[None].to(raw.device, raw.dtype))

    def _step(self, data: dict, step: str) -> list:
        images = [original_image(x, m) for x, m in zip(self._raw_inputs(data), self._metas(data))]
        outputs = getattr(self.module, step)(data)
        self.refine(outputs, images)
        return outputs

    def test_step(self, data: dict) -> list:
        return self._step(data, 'test_step')

    def val_step(self, data: dict) -> list:
        return self._step(data, 'val_step')

    def merge_preds(self, data_samples_list):
        """Not a test-time augmentation: predictions come from :meth:`test_step` as they are."""
        raise NotImplementedError('CRFRefiner refines in test_step/val_step; it merges nothing')

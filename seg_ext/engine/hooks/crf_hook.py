"""Apply a CRF post-processor to every prediction of the test (and optionally val) loop."""
from collections import defaultdict
from typing import Sequence

import numpy as np
import torch
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper
from mmengine.structures import PixelData
from mmseg.registry import HOOKS

from ...registry import build_postprocessor
from ...utils.image_io import read_image


def class_probabilities(seg_logits: torch.Tensor) -> torch.Tensor:
    """(C, H, W) probabilities from mmseg's ``seg_logits``: softmax of the logits, or, for a
    1-channel head (mmseg stores its sigmoid there), ``[1 - p, p]``."""
    if seg_logits.shape[0] == 1:
        p = seg_logits.float().clamp(0, 1)
        return torch.cat([1 - p, p], dim=0)
    return torch.softmax(seg_logits.float(), dim=0)


@HOOKS.register_module()
class CRFHook(Hook):
    """Refine predictions with ``crf`` (a ``POSTPROCESSORS`` config such as ``DenseCRF``).

    The model's ``test_step`` (and ``val_step`` with ``loops=('val', 'test')``) is wrapped for the
    duration of the loop: after the segmentor has undone its resizing/padding, each sample's
    probabilities (from ``seg_logits``) are refined at the original resolution against the image
    read from ``image_keys`` (``('img_path', 'img_path2')`` for change pairs: both acquisitions
    become bilateral features), and ``pred_sem_seg`` is replaced. The unrefined prediction is kept
    as ``pred_sem_seg_raw`` so a second ``SegMetric(pred_key='pred_sem_seg_raw')`` can report both
    in one run. Samples of the same size are refined as one batch.
    """

    priority = 'NORMAL'

    def __init__(self, crf: dict, image_keys: Sequence[str] = ('img_path', ),
                 color_type: str = 'color', keep_raw: bool = True,
                 loops: Sequence[str] = ('test', )) -> None:
        self.crf = build_postprocessor(crf)
        self.image_keys = tuple(image_keys)
        self.color_type = color_type
        self.keep_raw = keep_raw
        self.loops = tuple(loops)
        self._saved = {}

    def _threshold(self, runner) -> float:
        model = runner.model.module if is_model_wrapper(runner.model) else runner.model
        head = getattr(model, 'decode_head', None)
        return getattr(head, 'threshold', None) or 0.5

    def _image(self, meta: dict) -> np.ndarray:
        parts = []
        for key in self.image_keys:
            img = read_image(meta[key], self.color_type)
            parts.append(img if img.ndim == 3 else img[..., None])
        return np.concatenate(parts, axis=2)

    def refine(self, samples: Sequence, threshold: float = 0.5) -> None:
        """Refine ``samples`` (SegDataSample with seg_logits, pred_sem_seg) in place."""
        groups = defaultdict(list)
        for s in samples:
            groups[tuple(s.seg_logits.data.shape)].append(s)
        for group in groups.values():
            probs = torch.stack([class_probabilities(s.seg_logits.data) for s in group])
            images = np.stack([self._image(s.metainfo) for s in group])
            refined = self.crf(probs, images)
            for s, q in zip(group, refined):
                raw = s.pred_sem_seg.data
                if self.keep_raw:
                    s.pred_sem_seg_raw = PixelData(data=raw.clone())
                pred = (q[1] > threshold) if s.seg_logits.data.shape[0] == 1 else q.argmax(0)
                s.pred_sem_seg = PixelData(data=pred[None].to(raw.device, raw.dtype))

    def _wrap(self, runner, step: str) -> None:
        model = runner.model
        original = getattr(model, step)
        threshold = self._threshold(runner)

        def refined_step(data):
            outputs = original(data)
            self.refine(outputs, threshold)
            return outputs

        self._saved[step] = original
        setattr(model, step, refined_step)

    def _unwrap(self, runner, step: str) -> None:
        if step in self._saved:
            setattr(runner.model, step, self._saved.pop(step))

    def before_test(self, runner) -> None:
        if 'test' in self.loops:
            self._wrap(runner, 'test_step')

    def after_test(self, runner) -> None:
        self._unwrap(runner, 'test_step')

    def before_val(self, runner) -> None:
        if 'val' in self.loops:
            self._wrap(runner, 'val_step')

    def after_val(self, runner) -> None:
        self._unwrap(runner, 'val_step')

"""What ``tools/predict.py`` does with a :class:`~seg_ext.mmseg.apis.predictors.Predictor`:
read images, predict probabilities, post-process, write labels/probabilities/overlays and the
Kaggle submission.

Outputs under ``out_dir``, one file per image id (the image's file name without suffix):

* ``labels/<id>.png`` -- uint8 class indices at the image's original size (0 background, 1 salt
  for a binary model), what mmseg's ``tools/test.py --out`` and ``MMSegInferencer`` write;
* ``probs/<id>.npy`` (``probs=True``) -- float32 ``(num_classes, H, W)`` class probabilities
  (lossless; ``numpy.load``), before CRF/thresholds;
* ``overlay/<id>.png`` (``overlay=True``) -- image | image with the prediction painted.
"""
import os
import os.path as osp
import sys
from dataclasses import dataclass
from typing import Dict, List, Optional, Sequence, Tuple

import cv2
import numpy as np
import torch

from ...core.crf import refine_probabilities
from ...core.image_io import to_gray
from ...core.label_postprocess import labels_from_probs, remove_small_components
from ...core.overlay import overlay_panels
from ...core.submission import mask_rle
from ..datasets.transforms.loading import read_image_file

DEFAULT_PALETTE = [[0, 0, 0], [255, 160, 40], [40, 160, 255], [120, 255, 80], [255, 60, 200]]


@dataclass
class PostProcess:
    """What happens to probabilities before they become labels: an optional CRF (a built
    ``POSTPROCESSORS`` object), the threshold of a binary model (``None``: arg-max), and the
    minimum area of a kept component (0: keep all)."""

    crf: Optional[object] = None
    threshold: Optional[float] = None
    min_area: int = 0

    def __call__(self, probs: List[np.ndarray], images: List[np.ndarray]) -> List[np.ndarray]:
        if self.crf is not None:
            feats = [img.astype(np.float32)[..., None] if img.ndim == 2
                     else img.astype(np.float32) for img in images]
            probs = [q.numpy() for q in refine_probabilities(
                self.crf, [torch.from_numpy(p) for p in probs], feats)]
        labels = [labels_from_probs(p, self.threshold) for p in probs]
        if self.min_area > 0:
            labels = [remove_small_components(lb, self.min_area) for lb in labels]
        return labels


def read_input_image(path: str, color_type: str) -> np.ndarray:
    """Read ``path`` as the model reads its images (errors name the file)."""
    if color_type == 'grayscale':
        return to_gray(read_image_file(path, 'unchanged'), path)
    return read_image_file(path, color_type)


def batches(items: Sequence, size: int) -> List[Sequence]:
    return [items[i:i + size] for i in range(0, len(items), max(1, size))]


def predict_images(predictor, items: Sequence[Tuple[str, str]], out_dir: Optional[str],
                   post: PostProcess, batch_size: int = 1, probs: bool = False,
                   overlay: bool = False, palette: Optional[Sequence] = None,
                   progress: bool = True) -> Dict[str, str]:
    """Predict every ``(id, path)`` of ``items`` and write the files of this module's docstring.

    Returns ``{id: Kaggle RLE of the predicted foreground}`` (labels != 0), in input order.
    """
    subdirs = ['labels'] + (['probs'] if probs else []) + (['overlay'] if overlay else [])
    if out_dir:
        for sub in subdirs:
            os.makedirs(osp.join(out_dir, sub), exist_ok=True)
    palette = palette or getattr(predictor, 'palette', None) or DEFAULT_PALETTE
    bar = None
    if progress:
        from mmengine.utils import ProgressBar
        bar = ProgressBar(len(items), file=sys.stderr)
    rles: Dict[str, str] = {}
    for chunk in batches(list(items), batch_size):
        images = [read_input_image(path, predictor.color_type) for _, path in chunk]
        prob_maps = predictor.predict_probs(images)
        labels = post(prob_maps, images)
        for (sid, _), img, p, lb in zip(chunk, images, prob_maps, labels):
            rles[sid] = mask_rle(lb)
            if out_dir:
                cv2.imwrite(osp.join(out_dir, 'labels', sid + '.png'), lb)
                if probs:
                    np.save(osp.join(out_dir, 'probs', sid + '.npy'), p.astype(np.float32))
                if overlay:
                    cv2.imwrite(osp.join(out_dir, 'overlay', sid + '.png'),
                                overlay_panels(img, lb, palette))
            if bar is not None:
                bar.update()
    if bar is not None:
        sys.stderr.write('\n')
    return rles

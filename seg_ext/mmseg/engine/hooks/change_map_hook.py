"""Save change maps (A | B | ground truth | prediction) of the first test images as PNGs."""
import os
import os.path as osp
from typing import Optional, Sequence

import cv2
import numpy as np
from mmengine.dist import is_main_process
from mmengine.hooks import Hook
from mmseg.registry import HOOKS

from ....core.image_io import read_image


def change_map_panel(img_a: np.ndarray, img_b: np.ndarray, gt: Optional[np.ndarray],
                     pred: np.ndarray) -> np.ndarray:
    """A | B | GT | prediction side by side (BGR uint8).

    The prediction panel is error-coded when the ground truth is known: white = change found,
    red = false alarm, blue = missed change, black = no change.
    """
    h, w = pred.shape
    white = np.full((h, w, 3), 255, np.uint8)
    gt_panel = np.zeros((h, w, 3), np.uint8) if gt is None else np.where(
        gt[..., None] > 0, white, 0).astype(np.uint8)
    pred_panel = np.zeros((h, w, 3), np.uint8)
    p = pred > 0
    if gt is None:
        pred_panel[p] = 255
    else:
        g = gt > 0
        pred_panel[p & g] = (255, 255, 255)
        pred_panel[p & ~g] = (0, 0, 255)   # false alarm: red (BGR)
        pred_panel[~p & g] = (255, 0, 0)   # missed: blue
    sep = np.full((h, 4, 3), 128, np.uint8)
    return np.concatenate([img_a, sep, img_b, sep, gt_panel, sep, pred_panel], axis=1)


@HOOKS.register_module()
class ChangeMapHook(Hook):
    """During testing, write ``<work_dir>/<out_dir>/<name>.png`` panels for ``max_images`` pairs.

    Reads A and B from the samples' ``img_path``/``img_path2`` (keep ``'img_path2'`` in
    ``PackSegInputs.meta_keys``). Runs on the main process only.
    """

    def __init__(self, out_dir: str = 'change_maps', max_images: int = 16,
                 color_type: str = 'color') -> None:
        self.out_dir = out_dir
        self.max_images = max_images
        self.color_type = color_type
        self._written = 0

    def before_test_epoch(self, runner) -> None:
        self._written = 0

    def after_test_iter(self, runner, batch_idx: int, data_batch=None,
                        outputs: Optional[Sequence] = None) -> None:
        if not is_main_process() or not outputs or self._written >= self.max_images:
            return
        folder = osp.join(runner.work_dir, self.out_dir)
        os.makedirs(folder, exist_ok=True)
        for sample in outputs:
            if self._written >= self.max_images:
                break
            meta = sample.metainfo
            if 'img_path2' not in meta:
                raise KeyError("ChangeMapHook needs 'img_path2' in PackSegInputs.meta_keys")
            a = read_image(meta['img_path'], self.color_type)
            b = read_image(meta['img_path2'], self.color_type)
            if a.ndim == 2:
                a, b = cv2.cvtColor(a, cv2.COLOR_GRAY2BGR), cv2.cvtColor(b, cv2.COLOR_GRAY2BGR)
            pred = sample.pred_sem_seg.data[0].cpu().numpy()
            gt = sample.gt_sem_seg.data[0].cpu().numpy() if 'gt_sem_seg' in sample else None
            if gt is not None:
                gt = np.where(gt == 255, 0, gt)
            name = osp.splitext(osp.basename(meta['img_path']))[0]
            cv2.imwrite(osp.join(folder, name + '.png'), change_map_panel(a, b, gt, pred))
            self._written += 1

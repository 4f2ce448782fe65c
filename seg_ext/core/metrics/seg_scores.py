"""Segmentation scores derived from a confusion matrix (rows = ground truth, cols = prediction)."""
from typing import Dict

import numpy as np


def seg_scores(cm: np.ndarray, beta: float = 1.0) -> Dict[str, np.ndarray]:
    """Pixel accuracy, class accuracy, IoU and frequency-weighted IoU from one confusion matrix.

    Per-class values are NaN for a class they are undefined for (IoU: class absent from both
    ground truth and prediction; Acc/Recall: absent from the ground truth; Precision: never
    predicted); means skip NaN, as mmseg's ``IoUMetric`` does.

    Returns a dict of floats ``aAcc`` (PA), ``mAcc`` (MPA), ``mIoU``, ``FWIoU`` (IoU weighted by
    ground-truth class frequency), ``mDice``, ``mPrecision``, ``mRecall``, ``mFscore``, and
    per-class arrays ``IoU``, ``Acc``, ``Dice``, ``Precision``, ``Recall``, ``Fscore``, all in
    [0, 1].
    """
    cm = np.asarray(cm, dtype=np.float64)
    if cm.ndim != 2 or cm.shape[0] != cm.shape[1]:
        raise ValueError(f'confusion matrix must be square, got shape {cm.shape}')
    tp = np.diag(cm)
    gt = cm.sum(axis=1)
    pred = cm.sum(axis=0)
    total = cm.sum()
    with np.errstate(divide='ignore', invalid='ignore'):
        iou = tp / (gt + pred - tp)
        acc = tp / gt
        precision = tp / pred
        dice = 2 * tp / (gt + pred)
        b2 = beta * beta
        fscore = (1 + b2) * precision * acc / (b2 * precision + acc)
        # a class predicted but never right has P = R = 0: F is 0, not NaN
        fscore = np.where((precision == 0) & (acc == 0), 0.0, fscore)
        a_acc = tp.sum() / total if total > 0 else np.nan
        freq = gt / total if total > 0 else np.zeros_like(gt)
    fw_iou = float(np.sum(np.where(freq > 0, freq * np.nan_to_num(iou), 0.0))) \
        if total > 0 else np.nan

    def _mean(x: np.ndarray) -> float:
        return float(np.nanmean(x)) if np.isfinite(x).any() else np.nan

    return dict(
        aAcc=float(a_acc), mAcc=_mean(acc), mIoU=_mean(iou), FWIoU=fw_iou,
        mDice=_mean(dice), mPrecision=_mean(precision), mRecall=_mean(acc),
        mFscore=_mean(fscore),
        IoU=iou, Acc=acc, Dice=dice, Precision=precision, Recall=acc, Fscore=fscore)

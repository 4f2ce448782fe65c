"""The TGS Salt Identification Challenge score (Kaggle, 2018), vectorised over images.

Each image is one object: at threshold t the prediction is a hit if IoU > t (precision 1, i.e.
TP/(TP+FP+FN) = 1/1), otherwise a false positive and a false negative (precision 0). An image's
score is the mean over t in 0.50:0.05:0.95; an empty ground truth with an empty prediction scores 1,
with any predicted pixel 0. The dataset score is the mean over images.
"""
import numpy as np

IOU_THRESHOLDS = np.linspace(0.5, 0.95, 10)


def tgs_image_scores(intersection: np.ndarray, gt_area: np.ndarray, pred_area: np.ndarray,
                     thresholds: np.ndarray = IOU_THRESHOLDS) -> np.ndarray:
    """Per-image TGS precision from foreground pixel counts (arrays of shape ``(N,)``)."""
    inter = np.asarray(intersection, dtype=np.float64)
    gt = np.asarray(gt_area, dtype=np.float64)
    pred = np.asarray(pred_area, dtype=np.float64)
    if not inter.shape == gt.shape == pred.shape:
        raise ValueError('intersection, gt_area and pred_area must have the same shape')
    union = gt + pred - inter
    with np.errstate(divide='ignore', invalid='ignore'):
        iou = np.where(union > 0, inter / union, 1.0)  # both empty: a perfect hit
    return (iou[:, None] > np.asarray(thresholds)[None, :]).mean(axis=1)


def tgs_score(intersection: np.ndarray, gt_area: np.ndarray, pred_area: np.ndarray,
              thresholds: np.ndarray = IOU_THRESHOLDS) -> float:
    """Dataset TGS score: the mean of :func:`tgs_image_scores` (NaN for no images)."""
    scores = tgs_image_scores(intersection, gt_area, pred_area, thresholds)
    return float(scores.mean()) if scores.size else float('nan')

"""``ChangeMetric``: precision/recall/F1/IoU of the change class on top of ``SegMetric``."""
from collections import OrderedDict
from typing import Dict

import numpy as np
from mmseg.registry import METRICS

from .seg_metric import SegMetric


def change_scores(cm: np.ndarray, change_class: int = 1) -> Dict[str, float]:
    """Precision, recall, F1 and IoU of ``change_class`` from a confusion matrix (rows = truth).

    With no change in the ground truth and none predicted every score is 1 (nothing to find,
    nothing found); with change on one side only, the undefined ratio is 0.
    """
    cm = np.asarray(cm, dtype=np.float64)
    tp = cm[change_class, change_class]
    fp = cm[:, change_class].sum() - tp
    fn = cm[change_class, :].sum() - tp
    if tp + fp + fn == 0:
        return dict(Precision=1.0, Recall=1.0, F1=1.0, IoU=1.0)
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * tp / (2 * tp + fp + fn)
    return dict(Precision=precision, Recall=recall, F1=f1, IoU=tp / (tp + fp + fn))


@METRICS.register_module()
class ChangeMetric(SegMetric):
    """Change detection report from one pass: ``SegMetric``'s PA/MPA/mIoU/FWIoU/per-class table
    plus ``Precision``, ``Recall``, ``F1`` and ``IoU`` of the change class (in percent), computed
    over all pixels of the dataset (LEVIR-CD's convention)."""

    def __init__(self, change_class: int = 1, **kwargs) -> None:
        super().__init__(**kwargs)
        self.change_class = change_class

    def _leading_metrics(self, cm: np.ndarray) -> Dict[str, float]:
        change = change_scores(cm, self.change_class)
        return OrderedDict((k, float(v * 100) if self.decimals is None else
                            float(np.round(v * 100, self.decimals))) for k, v in change.items())

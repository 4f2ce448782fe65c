"""``ChangeMetric``: precision/recall/F1/IoU of the change class on top of ``SegMetric``."""
from collections import OrderedDict
from typing import Dict

import numpy as np
from mmseg.registry import METRICS

from ....core.metrics import change_scores
from .seg_metric import SegMetric


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

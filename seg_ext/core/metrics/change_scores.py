"""Scores of the change class of a change-detection confusion matrix."""
from typing import Dict

import numpy as np


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

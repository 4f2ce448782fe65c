"""Metric math on confusion matrices and per-image counts (no framework)."""
from .change_scores import change_scores
from .confusion import confusion_matrix
from .panoptic_quality import OFFSET, VOID, PQStat, pq_compute, pq_image
from .seg_scores import seg_scores
from .tgs_score import IOU_THRESHOLDS, tgs_image_scores, tgs_score

__all__ = [
    'change_scores', 'confusion_matrix', 'seg_scores', 'tgs_image_scores', 'tgs_score',
    'IOU_THRESHOLDS', 'PQStat', 'pq_compute', 'pq_image', 'OFFSET', 'VOID'
]

from .confusion import confusion_matrix
from .seg_scores import seg_scores
from .tgs_score import IOU_THRESHOLDS, tgs_image_scores, tgs_score

__all__ = ['confusion_matrix', 'seg_scores', 'tgs_image_scores', 'tgs_score', 'IOU_THRESHOLDS']

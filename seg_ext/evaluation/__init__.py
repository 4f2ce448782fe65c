from .functional import confusion_matrix, seg_scores, tgs_image_scores, tgs_score
from .metrics import ChangeMetric, SegMetric, change_scores

__all__ = [
    'SegMetric', 'ChangeMetric', 'change_scores', 'confusion_matrix', 'seg_scores',
    'tgs_image_scores', 'tgs_score'
]

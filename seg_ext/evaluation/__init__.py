from .functional import confusion_matrix, seg_scores, tgs_image_scores, tgs_score
from .metrics import SegMetric

__all__ = ['SegMetric', 'confusion_matrix', 'seg_scores', 'tgs_image_scores', 'tgs_score']

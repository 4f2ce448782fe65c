from .change_metric import ChangeMetric, change_scores
from .seg_metric import SegMetric

__all__ = ['SegMetric', 'ChangeMetric', 'change_scores']

from .change_metric import ChangeMetric
from .seg_metric import SegMetric

__all__ = ['SegMetric', 'ChangeMetric']

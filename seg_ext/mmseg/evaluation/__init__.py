from .metrics import ChangeMetric, SegMetric

__all__ = ['SegMetric', 'ChangeMetric']

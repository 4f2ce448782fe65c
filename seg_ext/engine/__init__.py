from .hooks import ChangeMapHook, CRFHook, InferenceStatsHook
from .optimizers import BF16AutocastOptimWrapper

__all__ = ['InferenceStatsHook', 'ChangeMapHook', 'CRFHook', 'BF16AutocastOptimWrapper']

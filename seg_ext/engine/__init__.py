from .hooks import InferenceStatsHook
from .optimizers import BF16AutocastOptimWrapper

__all__ = ['InferenceStatsHook', 'BF16AutocastOptimWrapper']

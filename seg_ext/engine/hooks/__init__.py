from .change_map_hook import ChangeMapHook, change_map_panel
from .crf_hook import CRFHook, class_probabilities
from .finite_loss_hook import FiniteLossHook, NonFiniteLossError
from .inference_stats_hook import InferenceStatsHook

__all__ = [
    'InferenceStatsHook', 'ChangeMapHook', 'change_map_panel', 'CRFHook', 'class_probabilities',
    'FiniteLossHook', 'NonFiniteLossError'
]

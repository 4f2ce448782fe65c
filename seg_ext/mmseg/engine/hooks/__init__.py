from .change_map_hook import ChangeMapHook, change_map_panel
from .finite_loss_hook import FiniteLossHook
from .fit_checkpoint_hook import FitCheckpointHook
from .inference_stats_hook import InferenceStatsHook, peak_memory_mb

__all__ = [
    'InferenceStatsHook', 'ChangeMapHook', 'change_map_panel', 'FiniteLossHook', 'peak_memory_mb',
    'FitCheckpointHook'
]

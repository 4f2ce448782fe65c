from .change_map_hook import ChangeMapHook, change_map_panel
from .channels_last_hook import ChannelsLastHook, to_channels_last
from .finite_loss_hook import FiniteLossHook
from .fit_checkpoint_hook import FitCheckpointHook
from .inference_stats_hook import InferenceStatsHook, peak_memory_mb

__all__ = [
    'InferenceStatsHook', 'ChangeMapHook', 'change_map_panel', 'ChannelsLastHook', 'FiniteLossHook',
    'peak_memory_mb', 'to_channels_last', 'FitCheckpointHook'
]

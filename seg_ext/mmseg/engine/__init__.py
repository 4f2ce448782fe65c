"""Runner components: hooks, optimizer wrappers, the CPU DDP wrapper, the atomic file backend."""
from .checkpoint_backend import AtomicLocalBackend
from .hooks import ChangeMapHook, ChannelsLastHook, FiniteLossHook, InferenceStatsHook
from .optimizers import BF16AutocastOptimWrapper
from .wrappers import CPUDistributedDataParallel

__all__ = ['InferenceStatsHook', 'ChangeMapHook', 'ChannelsLastHook', 'FiniteLossHook',
           'BF16AutocastOptimWrapper', 'AtomicLocalBackend', 'CPUDistributedDataParallel']

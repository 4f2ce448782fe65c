"""Runner components: hooks, the validation-loss loop, optimizer wrappers, the CPU DDP
wrapper, the atomic file backend."""
from .checkpoint_backend import AtomicLocalBackend
from .hooks import (
                    ChangeMapHook,
                    ChannelsLastHook,
                    FiniteLossHook,
                    FitCheckpointHook,
                    InferenceStatsHook,
)
from .loops import ValLossLoop
from .optimizers import BF16AutocastOptimWrapper
from .wrappers import CPUDistributedDataParallel

__all__ = ['InferenceStatsHook', 'ChangeMapHook', 'ChannelsLastHook', 'FiniteLossHook',
           'FitCheckpointHook', 'BF16AutocastOptimWrapper', 'AtomicLocalBackend',
           'CPUDistributedDataParallel', 'ValLossLoop']

from .checkpointing import AtomicLocalBackend, find_resume_checkpoint
from .distributed import CPUDistributedDataParallel
from .hooks import ChangeMapHook, CRFHook, FiniteLossHook, InferenceStatsHook
from .optimizers import BF16AutocastOptimWrapper

__all__ = ['InferenceStatsHook', 'ChangeMapHook', 'CRFHook', 'FiniteLossHook',
           'BF16AutocastOptimWrapper', 'AtomicLocalBackend', 'find_resume_checkpoint',
           'CPUDistributedDataParallel']

"""DDP for CPU processes (gloo), registered in mmengine's ``MODEL_WRAPPERS``."""
import torch
from mmengine.logging import print_log
from mmengine.model import MMDistributedDataParallel, revert_sync_batchnorm
from mmengine.registry import MODEL_WRAPPERS


@MODEL_WRAPPERS.register_module()
class CPUDistributedDataParallel(MMDistributedDataParallel):
    """mmengine's DDP wrapper for CPU processes: ``SyncBN`` becomes ``BatchNorm`` first (DDP
    supports SyncBN on GPUs only; batch statistics are then per process) and no ``device_ids``
    are passed (DDP refuses them for a CPU module). ``tools/train.py --launcher ...`` selects it
    on machines without CUDA (see :mod:`seg_ext.mmseg.apis.distributed`)."""

    def __init__(self, module: torch.nn.Module, **kwargs) -> None:
        if any(isinstance(m, torch.nn.SyncBatchNorm) or 'SyncBatchNorm' in type(m).__name__
               for m in module.modules()):
            print_log('CPU distributed run: SyncBN layers run as BatchNorm (statistics per '
                      'process); DDP supports SyncBN on GPUs only', logger='current')
            module = revert_sync_batchnorm(module)
        kwargs['device_ids'] = None
        super().__init__(module=module, **kwargs)

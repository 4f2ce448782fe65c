"""bfloat16 autocast training that works on CPU as well as CUDA."""
from contextlib import contextmanager

import torch
import torch.nn as nn
from mmengine.optim import OptimWrapper
from mmseg.registry import OPTIM_WRAPPERS


@OPTIM_WRAPPERS.register_module()
class BF16AutocastOptimWrapper(OptimWrapper):
    """Run the forward pass under ``torch.autocast(dtype=torch.bfloat16)`` on the model's device.

    mmengine's ``AmpOptimWrapper`` (fp16 + loss scaling) requires a GPU; bfloat16 has the range of
    float32, so it needs no loss scaling and runs on CPU too. ``tools/train.py --amp`` picks this
    wrapper when no GPU is present.
    """

    @contextmanager
    def optim_context(self, model: nn.Module):
        device = next(model.parameters()).device.type
        with super().optim_context(model), torch.autocast(device_type=device,
                                                          dtype=torch.bfloat16):
            yield

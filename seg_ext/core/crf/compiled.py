"""The compiled CPU kernels of the dense CRF (``csrc/lattice.cpp``, built by ``pip install -e .``)
and the rule that sends a tensor to them."""
import torch
from torch import Tensor


def compiled_extension():
    """The compiled lattice builder (``seg_ext/core/crf/_lattice_ext``, built by ``pip install``
    from ``csrc/lattice.cpp``); a one-line error when the package was installed without it."""
    try:
        from . import _lattice_ext
    except ImportError as e:
        raise ImportError(f'seg_ext.core.crf._lattice_ext: not built ({e}); reinstall seg_ext '
                          '(pip install -e . compiles it; needs a C++ compiler) or pass '
                          "impl='torch'") from None
    return _lattice_ext


def compiled_path(x: Tensor) -> bool:
    """Whether filtering ``x`` runs in the compiled CPU kernels (float32 on the CPU, no autograd);
    elsewhere (CUDA, gradients) it runs as sparse products and tensor operations."""
    return x.device.type == 'cpu' and x.dtype == torch.float32 and not x.requires_grad

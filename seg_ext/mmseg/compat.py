"""The one compatibility shim of the mmseg plugin: mmengine checkpoints under torch >= 2.6.

torch 2.6 changed ``torch.load``'s default to ``weights_only=True``. mmengine 0.10.7 calls
``torch.load`` without the argument and its checkpoints carry a ``message_hub`` with
``HistoryBuffer`` objects (numpy arrays, numpy scalars, and methods pickled through ``getattr``),
so ``load_checkpoint`` -- used by ``tools/test.py``, ``load_from``, ``--resume`` and mmseg's
``init_model`` -- fails with ``UnpicklingError: Weights only load failed``.

Rather than turning the safety check off, mmengine's local and s3/petrel checkpoint loaders are
re-registered (``CheckpointLoader.register_scheme``) to run inside
``torch.serialization.safe_globals`` with exactly those types. Everything else in a checkpoint is
still refused by torch, and plain ``torch.load`` elsewhere in the process is left unchanged. Set
``TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD=1`` to load a trusted checkpoint that needs more.

:func:`apply` is called by ``import seg_ext.mmseg`` and changes nothing where the installed
versions do not need it (:func:`needs_checkpoint_allowlist`).
"""
import functools
import inspect
from typing import Callable, List

import numpy as np
import torch

_APPLIED = False


def needs_checkpoint_allowlist() -> bool:
    """True when torch loads ``weights_only`` by default (>= 2.6) and mmengine's local loader
    does not say otherwise (mmengine <= 0.10.7 calls ``torch.load`` without the argument)."""
    if not hasattr(torch.serialization, 'safe_globals'):
        return False  # torch < 2.5 loads everything anyway
    from mmengine.runner.checkpoint import load_from_local
    return 'weights_only' not in inspect.getsource(load_from_local)


def mmengine_safe_globals() -> List[object]:
    """The classes/functions an mmengine checkpoint pickles besides tensors and builtins."""
    from mmengine.logging import HistoryBuffer

    try:  # numpy >= 2 moved the core module to numpy._core
        from numpy._core.multiarray import _reconstruct, scalar
    except ImportError:  # pragma: no cover - numpy 1.x
        from numpy.core.multiarray import _reconstruct, scalar
    dtype_classes = [type(np.dtype(t)) for t in (
        np.bool_, np.int8, np.int16, np.int32, np.int64, np.uint8, np.uint16, np.uint32,
        np.uint64, np.float16, np.float32, np.float64)]
    # HistoryBuffer pickles its statistics methods as getattr(HistoryBuffer, 'mean'); getattr's
    # results cannot be called during unpickling unless they are allow-listed themselves
    return [HistoryBuffer, getattr, _reconstruct, scalar, np.ndarray, np.dtype, *dtype_classes]


def _with_safe_globals(loader: Callable) -> Callable:

    @functools.wraps(loader)
    def load(*args, **kwargs):
        with torch.serialization.safe_globals(mmengine_safe_globals()):
            return loader(*args, **kwargs)

    load._seg_ext_allowlist = True
    return load


def apply() -> bool:
    """Re-register mmengine's file checkpoint loaders with the allow-list where needed
    (idempotent). Returns whether the shim is in place."""
    global _APPLIED
    if _APPLIED:
        return True
    if not needs_checkpoint_allowlist():
        return False
    from mmengine.runner.checkpoint import CheckpointLoader, load_from_ceph, load_from_local

    CheckpointLoader.register_scheme('', _with_safe_globals(load_from_local), force=True)
    CheckpointLoader.register_scheme([r'(\S+\:)?s3://', r'(\S+\:)?petrel://'],
                                     _with_safe_globals(load_from_ceph), force=True)
    _APPLIED = True
    return True

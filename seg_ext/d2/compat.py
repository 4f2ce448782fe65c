"""The Detectron2 plugin's compatibility shims: detectron2 0.6 on today's stack.

``import seg_ext.d2`` applies each one only where the installed versions need it (its
``needs_*`` guard), before any ``detectron2`` submodule is imported;
``tests/test_d2/test_compat.py`` checks every guard against the installed upstream, so the day
a shim is no longer needed a test says so:

- Pillow >= 10 removed ``Image.LINEAR`` (detectron2's ``ExtentTransform`` default argument):
  aliased to ``Image.BILINEAR``, the same filter.
- NumPy >= 1.24 removed ``np.int`` / ``np.float`` (detectron2's class histogram and
  ``SemSegEvaluator`` use them): aliased to the builtins they always were.
- The Python-only package (``pb1-detectron2``, no ``detectron2._C``): ``from detectron2 import _C``
  gets a placeholder module, so ``detectron2.layers`` imports; calling an op that needs the C++
  extension (rotated RoIAlign / NMS / IoU, modulated deformable conv on GPU, the fast COCOeval;
  plain deformable conv on CPU goes through torchvision) raises
  :class:`MissingCppOpError` naming the op. Mask R-CNN and Panoptic FPN use torchvision's ops and
  never reach them. An official detectron2 with its ``_C`` is left alone.
- Detectron2 0.6 builds DDP with ``device_ids=[local_rank]``, which fails for CPU models:
  CPU models get ``device_ids=None`` (multi-process CPU training with gloo).
- ``panopticapi`` (imported by ``COCOPanopticEvaluator``) is only on GitHub: when it is not
  installed, :mod:`seg_ext.core.metrics.panoptic_quality` (the same PQ computation) is made
  importable under its name.
- ``detectron2/export/__init__.py`` imports the Caffe2 exporter (``caffe2.proto``), which torch 2.x
  no longer ships, so ``from detectron2.export import TracingAdapter`` (Detectron2's TorchScript
  tracing path) fails: ``detectron2.export`` becomes the package of its tracing and scripting
  modules (``TracingAdapter``, ``scripting_with_instances``, ``dump_torchscript_IR``); the Caffe2
  names are absent.
"""
import importlib.util
import inspect
import os.path as osp
import sys
import types
from typing import List

import numpy as np
from PIL import Image

_APPLIED = None

HOW_TO_BUILD = ('build detectron2 with its C++/CUDA ops from source: python -m pip install '
                "--no-build-isolation 'git+https://github.com/facebookresearch/detectron2.git'")


class MissingCppOpError(NotImplementedError):
    """A detectron2 op that needs the compiled ``detectron2._C`` extension was called."""


class _MissingCExtension(types.ModuleType):
    """Stands in for ``detectron2._C``: importable, but every op raises a clear error."""

    # informational queries (detectron2.utils.collect_env) get answers instead of errors
    @staticmethod
    def get_compiler_version() -> str:
        return 'not built (Python-only detectron2, seg_ext.d2.compat placeholder)'

    @staticmethod
    def get_cuda_version() -> str:
        return 'not built'

    @staticmethod
    def has_cuda() -> bool:
        return False

    def __getattr__(self, name: str):
        if name.startswith('__'):
            raise AttributeError(name)
        raise MissingCppOpError(
            f'detectron2._C.{name} is not available: this detectron2 is the Python package '
            f'without its C++ ops (installed by tools/install_detectron2.py). Rotated boxes, '
            f'modulated deformable convolution and the fast COCOeval need them; {HOW_TO_BUILD}')


def has_cpp_ops() -> bool:
    """Whether detectron2's compiled extension is installed."""
    spec = importlib.util.find_spec('detectron2')
    if spec is None:
        return False
    if isinstance(sys.modules.get('detectron2._C'), _MissingCExtension):
        return False
    return importlib.util.find_spec('detectron2._C') is not None


def _torch_op_guard(name: str):
    def missing(*args, **kwargs):
        raise MissingCppOpError(f'{name} needs the torch op detectron2::{name.split(".")[-1]} '
                                f'from detectron2._C, which is not installed; {HOW_TO_BUILD}')
    missing.__name__ = name.split('.')[-1]
    return missing


def needs_pillow_linear() -> bool:
    """Pillow >= 10 removed ``Image.LINEAR``, detectron2 0.6's ``ExtentTransform`` default."""
    return not hasattr(Image, 'LINEAR')


def needs_numpy_aliases() -> bool:
    """NumPy >= 1.24 removed ``np.int`` / ``np.float``, which detectron2 0.6 still uses."""
    return 'int' not in np.__dict__ or 'float' not in np.__dict__


def needs_c_placeholder() -> bool:
    """detectron2 is installed without its compiled ``_C`` extension."""
    return importlib.util.find_spec('detectron2') is not None and not has_cpp_ops()


def needs_cpu_ddp() -> bool:
    """detectron2's ``create_ddp_model`` passes ``device_ids=[local_rank]`` even to CPU models."""
    if importlib.util.find_spec('detectron2') is None:
        return False
    from detectron2.engine import defaults
    original = getattr(defaults.create_ddp_model, '_seg_ext_original', defaults.create_ddp_model)
    return '[comm.get_local_rank()]' in inspect.getsource(original)


def needs_panopticapi() -> bool:
    """``panopticapi`` (GitHub-only) is not installed."""
    return importlib.util.find_spec('panopticapi') is None


def needs_export_without_caffe2() -> bool:
    """detectron2's ``export/__init__.py`` imports the Caffe2 exporter and Caffe2 is absent."""
    spec = importlib.util.find_spec('detectron2')
    if spec is None or importlib.util.find_spec('caffe2') is not None:
        return False
    with open(osp.join(osp.dirname(spec.origin), 'export', '__init__.py')) as f:
        return 'from .api import' in f.read()


def _export_without_caffe2() -> None:
    """``detectron2.export`` with its tracing/scripting modules only (no Caffe2 API)."""
    import detectron2
    root = osp.join(osp.dirname(detectron2.__file__), 'export')
    pkg = types.ModuleType('detectron2.export', 'detectron2.export without its Caffe2 exporter '
                           '(seg_ext.d2.compat): TracingAdapter, scripting_with_instances, '
                           'dump_torchscript_IR')
    pkg.__path__ = [root]
    pkg.__file__ = osp.join(root, '__init__.py')
    sys.modules['detectron2.export'] = pkg
    detectron2.export = pkg
    from detectron2.export.flatten import TracingAdapter
    from detectron2.export.torchscript import dump_torchscript_IR, scripting_with_instances
    pkg.TracingAdapter = TracingAdapter
    pkg.scripting_with_instances = scripting_with_instances
    pkg.dump_torchscript_IR = dump_torchscript_IR
    pkg.__all__ = ['TracingAdapter', 'scripting_with_instances', 'dump_torchscript_IR']


def install_as_panopticapi() -> List[str]:
    """Make :mod:`seg_ext.core.metrics.panoptic_quality` importable as ``panopticapi.utils`` /
    ``panopticapi.evaluation`` (only where the real package is absent). Returns the module names
    installed."""
    from ..core.coco.formats import id2rgb, rgb2id
    from ..core.metrics import panoptic_quality as pq
    pkg = types.ModuleType('panopticapi', 'seg_ext.core.metrics.panoptic_quality under '
                           "panopticapi's name")
    pkg.__path__ = []
    utils = types.ModuleType('panopticapi.utils')
    utils.id2rgb, utils.rgb2id = id2rgb, rgb2id
    evaluation = types.ModuleType('panopticapi.evaluation')
    evaluation.pq_compute, evaluation.PQStat, evaluation.OFFSET, evaluation.VOID = (
        pq.pq_compute, pq.PQStat, pq.OFFSET, pq.VOID)
    pkg.utils, pkg.evaluation = utils, evaluation
    names = {'panopticapi': pkg, 'panopticapi.utils': utils, 'panopticapi.evaluation': evaluation}
    sys.modules.update(names)
    return list(names)


def _ddp_on_cpu() -> None:
    """``create_ddp_model`` passes ``device_ids=[local_rank]``, which DDP refuses for a CPU
    model; CPU models get ``device_ids=None`` (the only valid value) instead."""
    from detectron2.engine import defaults
    original = defaults.create_ddp_model
    if getattr(original, '_seg_ext_cpu_aware', False):
        return

    def create_ddp_model(model, *, fp16_compression=False, **kwargs):
        first = next(model.parameters(), None)
        if first is not None and first.device.type == 'cpu':
            kwargs.setdefault('device_ids', None)
        return original(model, fp16_compression=fp16_compression, **kwargs)

    create_ddp_model._seg_ext_cpu_aware = True
    create_ddp_model._seg_ext_original = original
    create_ddp_model.__doc__ = original.__doc__
    defaults.create_ddp_model = create_ddp_model
    import detectron2.engine as engine
    engine.create_ddp_model = create_ddp_model


def apply() -> List[str]:
    """Apply the shims the installed versions need (idempotent); returns their names."""
    global _APPLIED
    if _APPLIED is not None:
        return _APPLIED
    applied = []
    if needs_pillow_linear():
        Image.LINEAR = Image.BILINEAR
        applied.append('pillow_linear')
    if needs_numpy_aliases():
        for alias, builtin in (('int', int), ('float', float)):
            if alias not in np.__dict__:
                setattr(np, alias, builtin)
        applied.append('numpy_aliases')
    if needs_c_placeholder():
        import detectron2
        stub = _MissingCExtension('detectron2._C', 'placeholder: detectron2 built without C++ ops')
        sys.modules['detectron2._C'] = stub
        detectron2._C = stub
        # ops called through torch.ops.detectron2 (no module attribute to intercept)
        from detectron2.layers import nms, rotated_boxes
        nms.nms_rotated = _torch_op_guard('detectron2.layers.nms_rotated')
        rotated_boxes.pairwise_iou_rotated = _torch_op_guard(
            'detectron2.layers.pairwise_iou_rotated')
        import detectron2.layers as layers
        layers.nms_rotated = nms.nms_rotated
        layers.pairwise_iou_rotated = rotated_boxes.pairwise_iou_rotated
        applied.append('c_placeholder')
    if needs_cpu_ddp():
        _ddp_on_cpu()
        applied.append('cpu_ddp')
    if needs_panopticapi():
        install_as_panopticapi()
        applied.append('panopticapi')
    if needs_export_without_caffe2():
        _export_without_caffe2()
        applied.append('export_without_caffe2')
    _APPLIED = applied
    return applied

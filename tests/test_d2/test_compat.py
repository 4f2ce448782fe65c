"""The Detectron2 plugin's shims: they work, and each is still needed by the installed upstream
(the test of a guard fails the day upstream no longer needs its shim: remove the shim then)."""
import json
import subprocess
import sys

import pytest
import torch

import seg_ext.d2  # noqa: F401  (applies the compat fixes)
from seg_ext.core.coco.formats import id2rgb
from seg_ext.core.metrics.panoptic_quality import pq_compute
from seg_ext.d2 import compat
from seg_ext.d2.compat import MissingCppOpError, has_cpp_ops

python_only = pytest.mark.skipif(has_cpp_ops(), reason='detectron2 with its C++ ops installed')


def test_pillow_and_numpy_aliases():
    import numpy as np
    from PIL import Image
    assert Image.LINEAR == Image.BILINEAR
    assert np.int is int and np.float is float
    from detectron2.data.transforms import ExtentTransform
    t = ExtentTransform((0, 0, 4, 4), (8, 8))  # default interp=Image.LINEAR
    assert t.apply_image(np.zeros((4, 4, 3), np.uint8)).shape == (8, 8, 3)


@python_only
def test_missing_cpp_ops_fail_clearly_only_when_called():
    from detectron2.layers import ROIAlignRotated, nms_rotated
    from detectron2.layers.deform_conv import DeformConv
    # deformable conv runs on CPU through torchvision, no _C needed
    out = DeformConv(2, 2, 3, padding=1)(torch.zeros(1, 2, 5, 5), torch.zeros(1, 18, 5, 5))
    assert out.shape == (1, 2, 5, 5)
    with pytest.raises(MissingCppOpError, match=r'detectron2\._C\.roi_align_rotated_forward is '
                       r'not available.*build detectron2 with its C\+\+/CUDA ops'):
        ROIAlignRotated((2, 2), 1.0, 0)(torch.zeros(1, 1, 4, 4), torch.zeros(1, 6))
    with pytest.raises(MissingCppOpError, match='nms_rotated'):
        nms_rotated(torch.zeros(1, 5), torch.zeros(1), 0.5)


@python_only
def test_env_report_and_plain_rcnn_ops_work():
    from detectron2.layers import ROIAlign, batched_nms
    from detectron2.utils.collect_env import collect_env_info
    assert 'not built' in collect_env_info()
    out = ROIAlign((2, 2), 1.0, 0, aligned=True)(torch.ones(1, 1, 4, 4),
                                                  torch.tensor([[0., 0., 0., 2., 2.]]))
    assert out.shape == (1, 1, 2, 2) and torch.allclose(out, torch.ones_like(out))
    keep = batched_nms(torch.tensor([[0., 0., 2., 2.], [0., 0., 2., 2.1]]),
                       torch.tensor([0.9, 0.8]), torch.tensor([0, 0]), 0.5)
    assert keep.tolist() == [0]


def test_cpu_ddp_wrapper_does_not_pass_device_ids():
    from detectron2.engine import defaults
    assert getattr(defaults.create_ddp_model, '_seg_ext_cpu_aware', False)
    model = torch.nn.Linear(2, 2)
    assert defaults.create_ddp_model(model) is model  # single process: unchanged


def test_installed_under_panopticapi_name(monkeypatch):
    for name in ('panopticapi', 'panopticapi.utils', 'panopticapi.evaluation'):
        monkeypatch.delitem(sys.modules, name, raising=False)
    assert compat.install_as_panopticapi() == ['panopticapi', 'panopticapi.utils',
                                               'panopticapi.evaluation']
    from panopticapi.evaluation import pq_compute as imported
    from panopticapi.utils import id2rgb as imported_id2rgb
    assert imported is pq_compute and imported_id2rgb is id2rgb


GUARDS = r'''
import importlib.util, json, os
import numpy as np
from PIL import Image
# read detectron2's sources without importing it: without the Pillow shim it does not import
root = os.path.dirname(importlib.util.find_spec('detectron2').origin)
def src(rel):
    with open(os.path.join(root, rel)) as f:
        return f.read()
print(json.dumps(dict(
    pillow_linear=not hasattr(Image, 'LINEAR')
        and 'interp=Image.LINEAR' in src('data/transforms/transform.py'),
    numpy_aliases='int' not in np.__dict__
        and 'dtype=np.int)' in src('evaluation/sem_seg_evaluation.py'),
    c_placeholder=importlib.util.find_spec('detectron2._C') is None,
    cpu_ddp='kwargs["device_ids"] = [comm.get_local_rank()]' in src('engine/defaults.py'),
    panopticapi=importlib.util.find_spec('panopticapi') is None,
    export_without_caffe2=importlib.util.find_spec('caffe2') is None
        and 'from .api import' in src('export/__init__.py'))))
'''


def test_every_shim_is_still_needed_by_the_installed_upstream():
    """In a fresh interpreter without seg_ext: Pillow lacks ``Image.LINEAR`` that detectron2
    uses, NumPy lacks ``np.int`` that detectron2 uses, detectron2 has no ``_C``, its
    ``create_ddp_model`` passes the local rank as device id, panopticapi is not installed. And
    ``compat.apply()`` applied exactly those shims in this process."""
    out = subprocess.run([sys.executable, '-c', GUARDS], capture_output=True, text=True,
                         timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    needed = json.loads(out.stdout.strip().splitlines()[-1])
    assert needed == dict(pillow_linear=True, numpy_aliases=True, c_placeholder=True,
                          cpu_ddp=True, panopticapi=True, export_without_caffe2=True), (
        f'upstream changed, a shim of seg_ext/d2/compat.py is no longer needed: {needed}')
    assert compat.apply() == ['pillow_linear', 'numpy_aliases', 'c_placeholder', 'cpu_ddp',
                              'panopticapi', 'export_without_caffe2']


def test_tracing_adapter_imports_without_caffe2():
    """Detectron2's TorchScript tracing path imports; the Caffe2 exporter is not there."""
    from detectron2.export import TracingAdapter
    from detectron2.export.flatten import flatten_to_tuple
    flat, schema = flatten_to_tuple({'a': torch.ones(2), 'b': [torch.zeros(1)]})
    assert len(flat) == 2 and schema(flat)['b'][0].shape == (1, )
    assert TracingAdapter.__module__ == 'detectron2.export.flatten'
    import detectron2.export
    assert not hasattr(detectron2.export, 'Caffe2Tracer')

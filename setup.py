"""seg_ext: an OpenMMLab / Detectron2 plugin for image segmentation."""
import os.path as osp

from setuptools import find_packages, setup
from torch.utils.cpp_extension import BuildExtension, CppExtension


def _version() -> str:
    ns: dict = {}
    with open(osp.join(osp.dirname(__file__), 'seg_ext', 'version.py')) as f:
        exec(f.read(), ns)
    return ns['__version__']


# The core (seg_ext.core) needs only these; each plugin's framework is an extra, so a Detectron2
# user installs no OpenMMLab package (pip install 'seg_ext[d2]') and an mmseg user no Detectron2.
INSTALL_REQUIRES = [
    'torch>=2.1',
    'torchvision',
    'numpy',
    'opencv-python',
    'pillow',
    'matplotlib',
    'prettytable',
    'tqdm',
]

EXTRAS_REQUIRE = {
    # the mmseg plugin (seg_ext.mmseg): the pinned OpenMMLab stack (see README "Install"):
    # mmseg 1.2.2 and mmdet 3.3.0 refuse mmcv>=2.2, and mmcv 2.1.0 must be built with its ops
    # (mmseg.utils imports mmcv.ops)
    'mmseg': [
        'mmcv>=2.0.0,<2.2.0',
        'mmengine>=0.10.0,<1.0.0',
        'mmsegmentation>=1.2.0,<1.3.0',
        # mmseg 1.2.2 imports these at `import mmseg.utils` (tokenizer) without declaring them
        'ftfy',
        'regex',
        # mmengine resolves `mmseg::` config bases with pkg_resources, which setuptools 81
        # removed; torch 2.13 requires setuptools>=77.0.3
        'setuptools>=77.0.3,<81',
    ],
    # mmdet: mmseg's Mask2Former/MaskFormer heads use it
    'mmdet': ['mmdet>=3.3.0,<3.4.0'],
    # dense-CRF exact CPU backend (imports as `pydensecrf`)
    'crf': ['pydensecrf2>=1.1'],
    # the Detectron2 plugin (seg_ext.d2): Detectron2's runtime requirements; detectron2 itself is
    # installed by tools/install_detectron2.py (or from source by the user, see README)
    'd2': [
        'fvcore>=0.1.5,<0.1.6',
        'iopath>=0.1.7,<0.1.10',
        'pycocotools>=2.0.2',
        'omegaconf>=2.1,<2.4',
        'hydra-core>=1.1',
        'yacs>=0.1.8',
        'tabulate',
        'termcolor>=1.1',
        'cloudpickle',
        'tqdm>4.29.0',
        'tensorboard',
        'black',
        'packaging',
        'pydot',
        'future',
    ],
    # deployment: ONNX export (torch.onnx's dynamo exporter needs onnxscript) and its check with
    # the real runtime
    'deploy': ['onnx>=1.15', 'onnxruntime>=1.17', 'onnxscript'],
    # psutil: process memory and CPU time in the benchmarks and the inference-stats hook
    'test': ['pytest>=7', 'pytest-timeout', 'hypothesis>=6', 'ruff>=0.6', 'psutil'],
}
EXTRAS_REQUIRE['all'] = sorted({r for v in EXTRAS_REQUIRE.values() for r in v})

# The dense CRF's CPU lattice builder (hash table, as in pydensecrf): compiled against the installed
# torch, so torch must be importable when this runs (tools/install.sh: --no-build-isolation).
EXT_MODULES = [
    CppExtension('seg_ext.core.crf._lattice_ext', ['seg_ext/core/crf/csrc/lattice.cpp'],
                 extra_compile_args=['-O3']),
]

setup(
    name='seg_ext',
    version=_version(),
    description='Segmentation plugin for mmsegmentation and Detectron2: TGS Salt, change '
    'detection, '
    'U-Net/SegNet/FCN-8s, FWIoU/MPA/TGS metrics, dense CRF, Mask R-CNN/Panoptic FPN on own data',
    long_description=open(osp.join(osp.dirname(__file__), 'README.md')).read()
    if osp.exists(osp.join(osp.dirname(__file__), 'README.md')) else '',
    long_description_content_type='text/markdown',
    python_requires='>=3.9',
    packages=find_packages(exclude=('tests', 'tests.*', 'configs', 'tools', 'benchmarks',
                                    'benchmarks.*')),
    include_package_data=True,
    install_requires=INSTALL_REQUIRES,
    extras_require=EXTRAS_REQUIRE,
    license='Apache-2.0',
    ext_modules=EXT_MODULES,
    cmdclass={'build_ext': BuildExtension},
    zip_safe=False,
)

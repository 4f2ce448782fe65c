"""The three layers: a framework-free core, the mmseg plugin, the Detectron2 plugin.

Arrows only point down (core <- mmseg plugin, core <- Detectron2 plugin; neither plugin imports the
other), importing the package root or the core patches nothing, the Detectron2 side runs without
any OpenMMLab package and the core without any framework."""
import ast
import json
import os
import os.path as osp
import subprocess
import sys

import pytest

from conftest import ROOT, repo_path

PACKAGE = repo_path('seg_ext')
OPENMMLAB = {'mmcv', 'mmengine', 'mmseg', 'mmdet'}
DETECTRON2 = {'detectron2', 'fvcore'}
BLOCKER = repo_path('tests', 'helpers', 'blocked_imports.py')


def modules(folder: str):
    for dirpath, _, files in os.walk(folder):
        for name in files:
            if name.endswith('.py'):
                yield osp.join(dirpath, name)


def imported_names(path: str):
    """Absolute names of every module ``path`` imports (relative imports resolved), with the
    line, wherever the import statement is (top level or inside a function)."""
    rel = osp.relpath(path, ROOT)[:-3].replace(os.sep, '.')
    package = rel.rsplit('.', 1)[0] if not rel.endswith('__init__') else rel[:-len('.__init__')]
    tree = ast.parse(open(path).read(), path)
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, node.lineno
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split('.')
                base = base[:len(base) - node.level + 1]
                name = '.'.join(base + ([node.module] if node.module else []))
            else:
                name = node.module
            yield name, node.lineno
            for alias in node.names:  # `from seg_ext import d2` imports seg_ext.d2
                yield f'{name}.{alias.name}', node.lineno


def wrong_arrows(folder: str, forbidden_top: set, forbidden_own: tuple):
    bad = []
    for path in modules(folder):
        for name, line in imported_names(path):
            top = name.split('.')[0]
            if top in forbidden_top or name.startswith(forbidden_own):
                bad.append(f'{osp.relpath(path, ROOT)}:{line} imports {name}')
    return bad


def test_core_imports_no_framework_and_no_plugin():
    assert wrong_arrows(osp.join(PACKAGE, 'core'), OPENMMLAB | DETECTRON2,
                        ('seg_ext.mmseg', 'seg_ext.d2')) == []


def test_mmseg_plugin_does_not_import_detectron2_side():
    assert wrong_arrows(osp.join(PACKAGE, 'mmseg'), DETECTRON2, ('seg_ext.d2', )) == []


def test_d2_plugin_does_not_import_openmmlab_side():
    assert wrong_arrows(osp.join(PACKAGE, 'd2'), OPENMMLAB, ('seg_ext.mmseg', )) == []


def test_package_root_imports_only_its_version():
    names = {n for n, _ in imported_names(osp.join(PACKAGE, '__init__.py'))}
    assert names == {'seg_ext.version', 'seg_ext.version.__version__'}


def test_wrong_arrow_is_detected(tmp_path):
    """The walker itself: a relative import of the other plugin is found."""
    folder = tmp_path / 'seg_ext' / 'd2'
    folder.mkdir(parents=True)
    (folder / 'bad.py').write_text('from ..mmseg.registry import POSTPROCESSORS\n'
                                   'def f():\n    import mmcv\n')
    global ROOT
    saved, ROOT = ROOT, str(tmp_path)
    try:
        found = wrong_arrows(str(folder), OPENMMLAB, ('seg_ext.mmseg', ))
    finally:
        ROOT = saved
    assert found == ['seg_ext/d2/bad.py:1 imports seg_ext.mmseg.registry',
                     'seg_ext/d2/bad.py:1 imports seg_ext.mmseg.registry.POSTPROCESSORS',
                     'seg_ext/d2/bad.py:3 imports mmcv']


CORE_MODULES = sorted(
    'seg_ext.' + osp.relpath(p, PACKAGE)[:-3].replace(os.sep, '.').removesuffix('.__init__')
    for p in modules(osp.join(PACKAGE, 'core')))

SNAPSHOT = r'''
import json, sys
import numpy as np, torch, torch.serialization
from PIL import Image
from mmengine.runner.checkpoint import CheckpointLoader

def attributes(module):  # submodules appear as numpy imports them lazily: not a patch
    return sorted(k for k, v in vars(module).items() if not isinstance(v, type(json)))

def snapshot():
    return dict(numpy=attributes(np), pil=attributes(Image),
                torch_load=id(torch.load),
                safe_globals=repr(torch.serialization.get_safe_globals()),
                loaders={k: id(v) for k, v in CheckpointLoader._schemes.items()},
                modules=sorted(m for m in sys.modules
                               if m.split('.')[0] in ('panopticapi', 'detectron2')))

before = snapshot()
import importlib
for name in ['seg_ext'] + MODULES:
    importlib.import_module(name)
after = snapshot()
print(json.dumps(dict(same={k: before[k] == after[k] for k in before},
                      framework=sorted({m.split('.')[0] for m in sys.modules} &
                                       {'mmseg', 'mmcv', 'mmdet', 'detectron2', 'fvcore'}))))
'''


def test_importing_root_and_core_patches_nothing():
    """numpy, PIL.Image, torch.load (and its allow-list) and mmengine's checkpoint loaders are the
    same before and after importing the package root and every core module (fresh interpreter);
    no OpenMMLab model/dataset package nor detectron2 gets imported on the way."""
    code = f'MODULES = {CORE_MODULES!r}\n' + SNAPSHOT
    out = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True, cwd=ROOT,
                         timeout=300)
    assert out.returncode == 0, out.stderr[-3000:]
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result['same'] == dict(numpy=True, pil=True, torch_load=True, safe_globals=True,
                                  loaders=True, modules=True)
    assert result['framework'] == []


def test_core_works_with_every_framework_blocked(tmp_path):
    """Import every core module and use it (synthetic TGS data, splits, RLE, metrics, the CRF,
    COCO export) in a process where OpenMMLab and detectron2 cannot be imported."""
    code = (
        f'import importlib\nfor m in {CORE_MODULES!r}: importlib.import_module(m)\n'
        'import numpy as np, torch\n'
        'from seg_ext.core.synthetic import write_tgs_dataset, write_shapes_dataset\n'
        'from seg_ext.core.tgs_salt import write_tgs_splits, tgs_records, read_record_mask\n'
        'from seg_ext.core.metrics import confusion_matrix, seg_scores\n'
        'from seg_ext.core.crf import DenseCRF\n'
        f'root = {str(tmp_path / "tgs")!r}\n'
        'write_tgs_dataset(root, num_train=8, num_test=1, seed=0)\n'
        'info = write_tgs_splits(root, num_folds=2)\n'
        'recs = tgs_records(root + "/train/images", root + "/train/masks",\n'
        '                   split_file=root + "/splits/fold0_val.txt")\n'
        'm = torch.from_numpy(read_record_mask(recs[0], (101, 101)))\n'
        'cm = confusion_matrix(m, m, 2).numpy()\n'
        'q = DenseCRF()(torch.stack([1 - m.float(), m.float()]).clamp(0.1, 0.9) / 1.0,\n'
        '               np.zeros((101, 101)))\n'
        f'write_shapes_dataset({str(tmp_path / "shapes")!r}, dict(train=2, val=1), size=64)\n'
        'print(info["fold_sizes"], seg_scores(cm)["mIoU"], tuple(q.shape))\n')
    out = subprocess.run([sys.executable, BLOCKER, 'mmcv,mmengine,mmseg,mmdet,detectron2,fvcore',
                          '-c', code], capture_output=True, text=True, cwd=ROOT, timeout=600)
    assert out.returncode == 0, out.stderr[-3000:]
    assert out.stdout.strip().splitlines()[-1] == '[4, 4] 1.0 (2, 101, 101)'


def test_blocker_really_blocks():
    out = subprocess.run([sys.executable, BLOCKER, 'mmengine', '-c', 'import mmengine'],
                         capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert out.returncode == 1 and "No module named 'mmengine' (blocked" in out.stderr


@pytest.mark.slow
def test_detectron2_side_runs_without_openmmlab(shapes_root, tmp_path):
    """Register a dataset, build Mask R-CNN, train two iterations and evaluate, through the real
    tools/d2_train_net.py, where mmcv / mmengine / mmseg / mmdet cannot be imported."""
    pytest.importorskip('detectron2')
    out_dir = str(tmp_path / 'out')
    cfg = repo_path('configs', 'd2', 'mask_rcnn_R_18_FPN_shapes_demo.yaml')
    args = ['--config-file', cfg, 'SOLVER.MAX_ITER', '2', 'OUTPUT_DIR', out_dir,
            'SOLVER.IMS_PER_BATCH', '2', 'DATALOADER.NUM_WORKERS', '0',
            'INPUT.MIN_SIZE_TRAIN', '(64,)', 'INPUT.MAX_SIZE_TRAIN', '64',
            'INPUT.MIN_SIZE_TEST', '64', 'INPUT.MAX_SIZE_TEST', '64',
            'SOLVER.WARMUP_ITERS', '1', 'SOLVER.STEPS', '()']
    for name, split in (('shapes_train', 'train'), ('shapes_val', 'val')):
        args += [f'SEG_EXT.DATASETS.{name}.IMAGE_DIR', f'{shapes_root}/{split}/PNGImages',
                 f'SEG_EXT.DATASETS.{name}.MASK_DIR', f'{shapes_root}/{split}/PedMasks']
    proc = subprocess.run([sys.executable, BLOCKER, 'mmcv,mmengine,mmseg,mmdet',
                           repo_path('tools', 'd2_train_net.py')] + args,
                          capture_output=True, text=True, cwd=str(tmp_path), timeout=900,
                          env=dict(os.environ, PYTHONWARNINGS='ignore'))
    log = proc.stdout + proc.stderr
    assert proc.returncode == 0, log[-4000:]
    assert 'Starting training from iteration 0' in log
    assert 'Evaluation results for shapes_val in csv format' in log  # COCO evaluation ran
    assert osp.isfile(osp.join(out_dir, 'model_final.pth'))
    assert osp.isfile(osp.join(out_dir, 'inference', 'shapes_val', 'coco_instances_results.json'))


REASON_MARK = 'Longer than 350 lines because'


def test_no_overlong_module_without_a_reason():
    long = []
    for folder in (PACKAGE, repo_path('tools'), repo_path('benchmarks')):
        for path in modules(folder):
            lines = open(path).read().splitlines()
            if len(lines) > 350 and not any(REASON_MARK in ln for ln in lines[:15]):
                long.append(f'{osp.relpath(path, ROOT)}: {len(lines)} lines')
    assert long == []


ALL_MODULES = sorted(
    'seg_ext.' + osp.relpath(p, PACKAGE)[:-3].replace(os.sep, '.').removesuffix('.__init__')
    for p in modules(PACKAGE) if not p.endswith('version.py')) + ['seg_ext']


@pytest.mark.parametrize('name', ALL_MODULES)
def test_all_lists_only_what_the_module_has(name):
    """``__all__`` names only what the module defines or imports (``import *`` works)."""
    import importlib
    if name.startswith('seg_ext.d2'):
        pytest.importorskip('detectron2')
    module = importlib.import_module(name)
    missing = [n for n in getattr(module, '__all__', []) if not hasattr(module, n)]
    assert missing == []
    exec(f'from {name} import *', {})

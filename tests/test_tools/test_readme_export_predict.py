"""The README's "Detectron2: predict" and "Export (ONNX, TorchScript)" sections, executed: every
``python ...`` command of their bash blocks in order (in a folder with the repo's configs/ and
tools/), shortened by arguments appended per tool (tiny demo data, 2 iterations), and the Python
snippet."""
import os
import os.path as osp
import re
import shlex
import subprocess
import sys

import pytest

pytestmark = pytest.mark.slow
pytest.importorskip('detectron2')
pytest.importorskip('onnxruntime')

from test_tools.test_d2_train_net import SMALL  # noqa: E402

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
SECTIONS = ('## Detectron2: predict', '## Export (ONNX, TorchScript)')
NO_WORKERS = ['train_dataloader.num_workers=0', 'train_dataloader.persistent_workers=False',
              'val_dataloader.num_workers=0', 'val_dataloader.persistent_workers=False',
              'test_dataloader.num_workers=0', 'test_dataloader.persistent_workers=False']
# appended to a command whose start matches (keeps the README's commands, shortens them)
SHORTER = [
    ('tools/misc/make_demo_data.py shapes', ['--num-train', '4', '--num-val', '3', '--size', '64']),
    ('tools/misc/make_demo_data.py tgs', ['--num-train', '40', '--num-test', '2']),
    ('tools/d2_train_net.py', SMALL + ['SOLVER.MAX_ITER', '2', 'DATALOADER.NUM_WORKERS', '0']),
    ('tools/d2_predict.py', SMALL),
    ('tools/deployment/d2_export_torchscript.py', SMALL),
    ('tools/train.py', ['--cfg-options', 'train_cfg.max_iters=2', 'train_cfg.val_interval=2',
                        'param_scheduler.0.end=1', 'param_scheduler.1.begin=1',
                        'train_dataloader.batch_size=2'] + NO_WORKERS),
    ('tools/analysis_tools/benchmark.py onnx', ['--repeat', '1', '--iters', '1', '--batch-size',
                                               '2', '--cd-batch-size', '1',
                                               '--default-allocator']),
]
RENAMED = {'iter_400.pth': 'iter_2.pth'}  # the 2-iteration run's checkpoint


def section(text, title):
    start = text.index(title + '\n')
    end = text.index('\n## ', start + len(title))
    return text[start:end]


def blocks(text, lang):
    return re.findall(rf'```{lang}\n(.*?)```', text, re.S)


def commands(block):
    for line in block.replace('\\\n', ' ').splitlines():
        line = line.split('  #')[0].strip()
        if line.startswith('python '):
            yield line


def test_readme_sections_run(tmp_path):
    text = open(osp.join(ROOT, 'README.md')).read()
    for name in ('configs', 'tools'):
        os.symlink(osp.join(ROOT, name), tmp_path / name)
    env = dict(os.environ, PYTHONWARNINGS='ignore',
               PYTHONPATH=ROOT + os.pathsep + os.environ.get('PYTHONPATH', ''))
    ran = []
    for title in SECTIONS:
        part = section(text, title)
        for block in blocks(part, 'bash'):
            for cmd in commands(block):
                for old, new in RENAMED.items():
                    cmd = cmd.replace(old, new)
                argv = shlex.split(cmd)[1:]
                joined = ' '.join(argv)
                for start, extra in SHORTER:
                    if joined.startswith(start):
                        argv = argv + extra
                        break
                proc = subprocess.run([sys.executable] + argv, cwd=str(tmp_path), env=env,
                                      capture_output=True, text=True, timeout=900)
                assert proc.returncode == 0, (cmd, proc.stdout[-2000:], proc.stderr[-3000:])
                ran.append((cmd, proc.stdout))
        for snippet in blocks(part, 'python'):
            proc = subprocess.run([sys.executable, '-c', snippet], cwd=str(tmp_path), env=env,
                                  capture_output=True, text=True, timeout=600)
            assert proc.returncode == 0, (snippet, proc.stderr[-3000:])
            assert 'num_instances=' in proc.stdout
    assert len(ran) >= 9
    outputs = ' '.join(out for _, out in ran)
    assert 'identical label maps 8/8' in outputs
    assert osp.isfile(tmp_path / 'work_dirs' / 'd2_predict' / 'panoptic' /
                      'panoptic_predictions.json')
    assert osp.isfile(tmp_path / 'work_dirs' / 'unet_salt_demo' / 'unet_salt_demo.json')

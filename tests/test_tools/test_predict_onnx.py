"""tools/predict.py with an exported .onnx in place of the checkpoint: the same label PNGs and
the same Kaggle submission as with the checkpoint (onnxruntime vs PyTorch), and --tta refused."""
import filecmp
import os
import shutil

import numpy as np
import pytest
from helpers.run_script import run_script
from helpers.salt_checkpoint import build_salt_model, save_checkpoint

from conftest import repo_path

pytest.importorskip('onnxruntime')
pytestmark = pytest.mark.slow

CONFIG = repo_path('configs', 'unet_salt_demo.py')


def test_onnx_gives_the_checkpoints_labels_and_submission(tgs_root, tmp_path, capsys):
    import cv2
    data = tmp_path / 'data'
    shutil.copytree(tgs_root, data)
    ckpt = save_checkpoint(build_salt_model(seed=0), str(tmp_path / 'model.pth'))
    onnx = tmp_path / 'model.onnx'
    rc, out = run_script(repo_path('tools', 'deployment', 'pytorch2onnx.py'),
                   [CONFIG, '--checkpoint', ckpt, '--shape', 101, 101, '--output-file', onnx],
                   capsys)
    assert rc == 0, out
    runs = {}
    for name, model in (('ckpt', ckpt), ('onnx', onnx)):
        rc, out = run_script(repo_path('tools', 'predict.py'),
                       [CONFIG, model, '--input', data / 'test' / 'images', '--out-dir',
                        tmp_path / name, '--kaggle-submission', tmp_path / f'{name}.csv',
                        '--no-progress'], capsys)
        assert rc == 0, out
        folder = tmp_path / name / 'labels'
        runs[name] = {n: cv2.imread(str(folder / n), cv2.IMREAD_UNCHANGED)
                      for n in sorted(os.listdir(folder))}
    assert list(runs['ckpt']) == list(runs['onnx']) and len(runs['ckpt']) == 4
    for n, labels in runs['ckpt'].items():
        assert np.array_equal(labels, runs['onnx'][n]), n
    assert any(v.any() for v in runs['ckpt'].values())  # not all background
    assert filecmp.cmp(tmp_path / 'ckpt.csv', tmp_path / 'onnx.csv', shallow=False)

    rc, out = run_script(repo_path('tools', 'predict.py'),
                   [CONFIG, onnx, '--input', data / 'test' / 'images', '--out-dir',
                    tmp_path / 'x', '--tta'], capsys)
    assert rc == 1 and out.strip().splitlines()[-1] == (
        f'error: {onnx}: --tta is not available for an .onnx model (the exported graph is one '
        'forward pass): predict with the checkpoint')

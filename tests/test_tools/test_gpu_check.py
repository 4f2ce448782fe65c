"""tools/analysis_tools/gpu_check.sh: its dry run on the CPU (the GPU run uses the same steps)."""
import os
import subprocess
import sys

import pytest

from conftest import repo_path

pytestmark = pytest.mark.slow


@pytest.mark.skipif(not __import__('importlib').util.find_spec('pydensecrf'),
                    reason='needs pydensecrf2')
def test_dry_run_on_cpu_writes_the_summary(tmp_path):
    out = tmp_path / 'gpu'
    cuda_tests = ' '.join(repo_path('tests', *p) for p in (
        ('test_core', 'test_crf', 'test_crf_cuda.py'),
        ('test_mmseg', 'test_engine', 'test_cuda_train_step.py')))
    env = dict(os.environ, PYTHON=sys.executable, CUDA_TESTS=cuda_tests)
    proc = subprocess.run(['bash', repo_path('tools', 'analysis_tools', 'gpu_check.sh'),
                           '--device', 'cpu', '--quick', '--out', str(out)], env=env,
                          capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    md = (out / 'gpu_check.md').read_text()
    assert 'CRF 2×512²×21' in md and 'pydensecrf2 on the CPU' in md
    for row in ('train step, fp32', 'train step, amp', 'train step, channels_last',
                'inference, fp32', 'inference, channels_last'):
        assert f'| {row} (batch 2) |' in md, row
    assert '`pytest -m cuda` | passed' in md and 'skipped' in md  # no GPU: CUDA tests skip
    assert 'Dry run on cpu: these are not GPU numbers.' in md
    assert {'crf.json', 'modes.json', 'pytest_cuda.txt'} <= set(os.listdir(out))


def test_refuses_cuda_without_a_gpu(tmp_path):
    import torch
    if torch.cuda.is_available():
        pytest.skip('a GPU is present')
    proc = subprocess.run(['bash', repo_path('tools', 'analysis_tools', 'gpu_check.sh'),
                           '--out', str(tmp_path)], env=dict(os.environ, PYTHON=sys.executable),
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 1 and 'no CUDA device visible' in proc.stderr

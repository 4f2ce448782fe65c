"""The batched CRF on a CUDA device equals the CPU result (run with ``pytest -m cuda``)."""
import numpy as np
import pytest
import torch

from seg_ext.core.crf import DenseCRF
from seg_ext.core.synthetic.crf_problem import make_crf_problem

pytestmark = [pytest.mark.cuda,
              pytest.mark.skipif(not torch.cuda.is_available(), reason='needs a CUDA device')]


@pytest.mark.parametrize('classes', [2, 21])
def test_cuda_batch_equals_cpu(classes):
    problems = [make_crf_problem(64, 80, classes, 3, seed=s) for s in range(3)]
    probs = torch.stack([torch.from_numpy(p) for _, p, _ in problems])
    images = np.stack([img for img, _, _ in problems])
    cpu = DenseCRF()(probs, images)
    gpu = DenseCRF()(probs.cuda(), torch.from_numpy(images).cuda())
    assert gpu.device.type == 'cuda'
    assert float((gpu.cpu().argmax(1) == cpu.argmax(1)).float().mean()) >= 0.999
    assert (gpu.cpu() - cpu).abs().max() < 1e-3

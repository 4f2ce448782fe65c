"""First-conv adaptation math and the fitting of a state dict to a model's shapes."""
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st

from seg_ext.core.errors import DataError
from seg_ext.core.input_channels import adapt_input_kernel, fit_state_dict


def test_one_channel_is_the_sum_and_matches_gray_replicated_to_rgb():
    w = torch.randn(8, 3, 3, 3)
    a = adapt_input_kernel(w, 1)
    assert torch.equal(a, w[:, 0:1] + w[:, 1:2] + w[:, 2:3])
    gray = torch.randn(2, 1, 9, 9)
    assert torch.allclose(F.conv2d(gray, a), F.conv2d(gray.repeat(1, 3, 1, 1), w), atol=1e-5)


def test_two_and_four_channels_cycle_rgb_rescaled():
    w = torch.randn(4, 3, 1, 1)
    assert torch.allclose(adapt_input_kernel(w, 2), torch.cat([w[:, 0:1], w[:, 1:2]], 1) * 1.5)
    assert torch.allclose(adapt_input_kernel(w, 4),
                          torch.cat([w, w[:, 0:1]], 1) * 0.75)
    assert adapt_input_kernel(w, 3) is w


@settings(max_examples=25, deadline=None)
@given(copies=st.integers(1, 4), out=st.integers(1, 6), k=st.sampled_from([1, 3, 7]),
       seed=st.integers(0, 2**16))
def test_multiples_of_three_keep_the_response_to_a_replicated_gray_image(copies, out, k, seed):
    g = torch.Generator().manual_seed(seed)
    w = torch.randn(out, 3, k, k, generator=g, dtype=torch.float64)
    n = 3 * copies
    a = adapt_input_kernel(w, n)
    assert a.shape == (out, n, k, k)
    for i in range(n):
        assert torch.allclose(a[:, i], w[:, i % 3] * (3 / n))
    gray = torch.randn(1, 1, k + 4, k + 4, generator=g, dtype=torch.float64)
    assert torch.allclose(F.conv2d(gray.repeat(1, n, 1, 1), a),
                          F.conv2d(gray.repeat(1, 3, 1, 1), w))


def test_bad_arguments():
    with pytest.raises(ValueError, match='at least 2'):
        adapt_input_kernel(torch.zeros(3), 1)
    with pytest.raises(ValueError, match='>= 1'):
        adapt_input_kernel(torch.zeros(2, 3, 1, 1), 0)


def _state():
    return {'stem.weight': torch.randn(4, 3, 3, 3), 'stem.bias': torch.randn(4),
            'head.weight': torch.randn(2, 4, 1, 1), 'bn.num_batches_tracked': torch.tensor(3),
            'fc.weight': torch.randn(10, 4)}


def test_fit_adapts_only_the_input_conv_and_reports_unexpected():
    state = _state()
    shapes = {'stem.weight': (4, 1, 3, 3), 'stem.bias': (4, ), 'head.weight': (2, 4, 1, 1),
              'bn.num_batches_tracked': (), 'bn.other.num_batches_tracked': ()}
    fitted, adapted, unexpected = fit_state_dict(state, shapes, ['stem.weight'], 'w.pth')
    assert torch.equal(fitted['stem.weight'], state['stem.weight'].sum(1, keepdim=True))
    assert fitted['head.weight'] is state['head.weight']
    assert adapted == ['stem.weight (4, 3, 3, 3) -> (4, 1, 3, 3)']
    assert unexpected == ['fc.weight']


def test_fit_names_the_file_and_every_parameter_that_does_not_fit():
    shapes = {'stem.weight': (4, 1, 3, 3), 'stem.bias': (4, ), 'head.weight': (3, 4, 1, 1),
              'bn.num_batches_tracked': (), 'neck.weight': (4, 4)}
    with pytest.raises(DataError) as e:
        fit_state_dict(_state(), shapes, ['stem.weight'], 'w.pth')
    msg = str(e.value)
    assert msg.startswith('w.pth: pretrained weights do not fit')
    assert 'head.weight: checkpoint (2, 4, 1, 1) vs model (3, 4, 1, 1)' in msg
    assert 'neck.weight' in msg and 'stem.weight' not in msg
    # a kernel other than the input conv is never adapted, even if only dim 1 differs
    with pytest.raises(DataError, match=r'stem.weight: checkpoint \(4, 3, 3, 3\)'):
        fit_state_dict(_state(), {'stem.weight': (4, 1, 3, 3)}, [], 'w.pth')

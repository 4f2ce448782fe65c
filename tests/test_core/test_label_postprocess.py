import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from seg_ext.core.label_postprocess import labels_from_probs, remove_small_components


def test_labels_argmax_and_threshold():
    p = np.array([[[0.7, 0.4]], [[0.3, 0.6]]], np.float32)  # (2, 1, 2)
    assert labels_from_probs(p).tolist() == [[0, 1]]
    assert labels_from_probs(p, threshold=0.25).tolist() == [[1, 1]]
    assert labels_from_probs(p, threshold=0.6).tolist() == [[0, 0]]  # strictly greater
    three = np.zeros((3, 1, 1), np.float32)
    three[2] = 1
    assert labels_from_probs(three).tolist() == [[2]]
    with pytest.raises(ValueError, match='needs a 2-class'):
        labels_from_probs(three, threshold=0.5)
    with pytest.raises(ValueError, match=r'\(C, H, W\)'):
        labels_from_probs(np.zeros((2, 2)))


def test_remove_small_components_by_hand():
    lab = np.zeros((6, 8), np.uint8)
    lab[0:3, 0:3] = 1      # 9 pixels: kept with min_area 5
    lab[5, 7] = 1          # 1 pixel: removed
    lab[4:6, 0:2] = 2      # 4 pixels of class 2: removed
    lab[2, 5] = lab[3, 6] = 1  # diagonal pair: one 2-pixel component with 8-connectivity
    out = remove_small_components(lab, 5)
    expect = np.zeros_like(lab)
    expect[0:3, 0:3] = 1
    assert np.array_equal(out, expect)
    assert np.array_equal(remove_small_components(lab, 2), np.where(
        (np.arange(48).reshape(6, 8) == 47), 0, lab))  # only the lone pixel goes
    assert np.array_equal(remove_small_components(lab, 2, connectivity=4)[[2, 3], [5, 6]], [0, 0])
    assert np.array_equal(remove_small_components(lab, 0), lab)


@settings(max_examples=40, deadline=None)
@given(arrays(np.uint8, st.tuples(st.integers(1, 12), st.integers(1, 12)),
              elements=st.integers(0, 2)), st.integers(0, 20))
def test_remove_small_components_properties(lab, min_area):
    out = remove_small_components(lab, min_area)
    changed = out != lab
    assert (out[changed] == 0).all()           # only turns pixels into background
    assert np.array_equal(out[lab == 0], lab[lab == 0])
    assert np.array_equal(remove_small_components(out, min_area), out)  # idempotent
    if min_area > lab.size:
        assert not out.any()

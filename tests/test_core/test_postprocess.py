"""Small-component removal (the TGS clean-up) on hand-made label maps."""
import numpy as np
import pytest
import torch

from seg_ext.core.postprocess import remove_small_components, remove_small_components_tensor


def test_components_under_min_area_become_background():
    labels = np.zeros((10, 10), np.uint8)
    labels[0:2, 0:2] = 1  # 4 px
    labels[5:10, 5:10] = 1  # 25 px
    labels[0:3, 7:10] = 2  # 9 px of another class
    out = remove_small_components(labels, 5)
    assert out[0:2, 0:2].sum() == 0 and (out[5:10, 5:10] == 1).all() and (out[0:3, 7:10] == 2).all()
    assert remove_small_components(labels, 10)[0:3, 7:10].sum() == 0
    assert np.array_equal(remove_small_components(labels, 1), labels)


def test_connectivity_joins_diagonal_pixels_only_with_8():
    labels = np.eye(3, dtype=np.uint8)  # three diagonal pixels
    assert remove_small_components(labels, 3, connectivity=8).sum() == 3
    assert remove_small_components(labels, 3, connectivity=4).sum() == 0
    with pytest.raises(ValueError, match='connectivity'):
        remove_small_components(labels, 3, connectivity=6)
    with pytest.raises(ValueError, match=r'\(H, W\)'):
        remove_small_components(labels[None], 3)


def test_tensor_version_keeps_dtype():
    t = torch.zeros(6, 6, dtype=torch.long)
    t[0, 0] = 1
    t[3:6, 3:6] = 1
    out = remove_small_components_tensor(t, 2)
    assert out.dtype == torch.long and out[0, 0] == 0 and out.sum() == 9

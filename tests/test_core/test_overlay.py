import numpy as np
import pytest

from seg_ext.core.overlay import overlay_panels, to_bgr_uint8


def test_overlay_panels_values():
    img = np.full((2, 3), 100, np.uint8)
    lab = np.array([[0, 1, 1], [0, 0, 2]], np.uint8)
    out = overlay_panels(img, lab, [[0, 0, 0], [255, 0, 0], [0, 0, 255]], alpha=0.5, gap=1)
    assert out.shape == (2, 7, 3)
    assert (out[:, :3] == 100).all() and (out[:, 3] == 255).all()
    right = out[:, 4:]
    assert right[0, 0].tolist() == [100, 100, 100]          # background unpainted
    assert right[0, 1].tolist() == [50, 50, 178]            # red (RGB) -> BGR blend, rounded
    assert right[1, 2].tolist() == [178, 50, 50]
    with pytest.raises(ValueError, match='differ in size'):
        overlay_panels(img, lab[:1], [[0, 0, 0]])


def test_to_bgr_uint8():
    assert to_bgr_uint8(np.zeros((2, 2, 1), np.uint8)).shape == (2, 2, 3)
    f = to_bgr_uint8(np.array([[0.0, 2.0]]))
    assert f[..., 0].tolist() == [[0, 255]]

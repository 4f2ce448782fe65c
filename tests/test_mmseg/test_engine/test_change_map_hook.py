import numpy as np

from seg_ext.mmseg.engine.hooks import change_map_panel


def test_panel_layout_and_error_colours():
    a = np.full((4, 5, 3), 10, np.uint8)
    b = np.full((4, 5, 3), 20, np.uint8)
    gt = np.array([[1, 1, 0, 0, 0]] * 4)
    pred = np.array([[1, 0, 1, 0, 0]] * 4)
    panel = change_map_panel(a, b, gt, pred)
    assert panel.shape == (4, 4 * 5 + 3 * 4, 3)
    p = panel[:, 3 * (5 + 4):]
    assert p[0, 0].tolist() == [255, 255, 255]   # found
    assert p[0, 1].tolist() == [255, 0, 0]       # missed: blue (BGR)
    assert p[0, 2].tolist() == [0, 0, 255]       # false alarm: red
    assert p[0, 3].tolist() == [0, 0, 0]
    assert panel[0, 0].tolist() == [10, 10, 10] and panel[0, 9].tolist() == [20, 20, 20]

import numpy as np
import pytest

from seg_ext.core.rle import rle_decode, rle_encode


def test_encode_hand_made_column_major():
    # 3x4 mask; pixels are numbered down the columns: column 0 = 1..3, column 1 = 4..6, ...
    mask = np.array([[0, 1, 0, 0],
                     [0, 1, 0, 1],
                     [1, 1, 0, 1]], np.uint8)
    # pixel 3 (col 0, row 2); pixels 4-6 (all of col 1); pixels 11-12 (col 3, rows 1-2)
    assert rle_encode(mask) == '3 4 11 2'


def test_decode_hand_made():
    mask = rle_decode('3 4 11 2', (3, 4))
    expected = np.array([[0, 1, 0, 0],
                         [0, 1, 0, 1],
                         [1, 1, 0, 1]], np.uint8)
    np.testing.assert_array_equal(mask, expected)
    assert mask.dtype == np.uint8


@pytest.mark.parametrize('rle', ['', '   ', None, float('nan')])
def test_empty_rle_is_empty_mask(rle):
    mask = rle_decode(rle, (101, 101))
    assert mask.shape == (101, 101) and mask.sum() == 0
    assert rle_encode(mask) == ''


def test_full_mask_and_round_trip_random():
    full = np.ones((101, 101), np.uint8)
    assert rle_encode(full) == '1 10201'
    rng = np.random.default_rng(0)
    for _ in range(20):
        m = (rng.random((101, 101)) < rng.random()).astype(np.uint8)
        np.testing.assert_array_equal(rle_decode(rle_encode(m), m.shape), m)


def test_encode_treats_255_as_foreground():
    assert rle_encode(np.array([[255, 0], [255, 0]], np.uint8)) == '1 2'


@pytest.mark.parametrize('rle, message', [
    ('1 2 3', 'odd number'),
    ('1 x', "'x' is not an integer"),
    ('0 3', 'start 0 < 1'),
    ('5 0', 'length 0 < 1'),
    ('10 5', 'ends at pixel 14 but a 3x4 image has only 12 pixels'),
    ('5 3 6 1', 'overlap or are out of order'),
])
def test_decode_errors(rle, message):
    with pytest.raises(ValueError, match=message):
        rle_decode(rle, (3, 4))

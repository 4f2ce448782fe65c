import cv2
import numpy as np
import pytest

from seg_ext.core.errors import DataError, MissingDataError
from seg_ext.mmseg.datasets.transforms import LoadBinaryAnnotations, LoadCheckedImageFromFile


def test_grayscale_from_three_channels(tmp_path):
    gray = np.random.default_rng(0).integers(0, 255, (7, 9), dtype=np.uint8)
    path = str(tmp_path / 'a.png')
    cv2.imwrite(path, cv2.merge([gray] * 3))
    out = LoadCheckedImageFromFile(color_type='grayscale')(dict(img_path=path))
    np.testing.assert_array_equal(out['img'], gray)
    assert out['ori_shape'] == (7, 9)


def test_missing_and_empty_image(tmp_path):
    with pytest.raises(MissingDataError, match=r'nope\.png: image file not found'):
        LoadCheckedImageFromFile()(dict(img_path=str(tmp_path / 'nope.png')))
    (tmp_path / 'empty.png').write_bytes(b'')
    with pytest.raises(DataError, match=r'empty\.png: file is empty'):
        LoadCheckedImageFromFile()(dict(img_path=str(tmp_path / 'empty.png')))
    (tmp_path / 'text.png').write_bytes(b'not a png at all')
    with pytest.raises(DataError, match=r'text\.png: cannot be decoded'):
        LoadCheckedImageFromFile()(dict(img_path=str(tmp_path / 'text.png')))


@pytest.mark.parametrize('fg', [1, 255])
def test_binary_mask_values(tmp_path, fg):
    m = np.zeros((5, 6), np.uint8)
    m[1:3, 2:5] = fg
    path = str(tmp_path / 'm.png')
    cv2.imwrite(path, m)
    out = LoadBinaryAnnotations()(dict(seg_map_path=path, ori_shape=(5, 6), seg_fields=[]))
    np.testing.assert_array_equal(out['gt_seg_map'], (m > 0).astype(np.uint8))
    assert out['seg_fields'] == ['gt_seg_map']


def test_mask_with_differing_channels(tmp_path):
    m = np.zeros((5, 6, 3), np.uint8)
    m[0, 0] = (255, 0, 0)
    path = str(tmp_path / 'rgb.png')
    cv2.imwrite(path, m)
    with pytest.raises(DataError, match=r'rgb\.png: mask has 3 channels that differ'):
        LoadBinaryAnnotations()(dict(seg_map_path=path, ori_shape=(5, 6), seg_fields=[]))


def test_rle_source():
    out = LoadBinaryAnnotations()(dict(seg_map_path=None, rle_mask='2 2', rle_source='train.csv',
                                       sample_id='x', ori_shape=(3, 2), seg_fields=[]))
    np.testing.assert_array_equal(out['gt_seg_map'], [[0, 0], [1, 0], [1, 0]])

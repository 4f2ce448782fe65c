import numpy as np
import pytest

from seg_ext.mmseg.datasets.transforms import ReflectPad, centered_padding


def test_centered_padding_101_to_128():
    assert centered_padding((101, 101), (128, 128)) == (13, 14, 13, 14)
    with pytest.raises(ValueError):
        centered_padding((130, 101), (128, 128))


def test_reflect_pads_image_and_mask_consistently():
    img = np.arange(101 * 101, dtype=np.float32).reshape(101, 101)
    mask = (img % 7 == 0).astype(np.uint8)
    out = ReflectPad(size=(128, 128))(dict(img=img, gt_seg_map=mask, seg_fields=['gt_seg_map']))
    assert out['img'].shape == (128, 128) and out['gt_seg_map'].shape == (128, 128)
    assert out['img_padding_size'] == [13, 14, 13, 14]
    assert out['img_shape'] == (128, 128)
    np.testing.assert_array_equal(out['img'][13:114, 13:114], img)  # original in the middle
    # reflection without repeating the border: padded row 12 mirrors original row 1
    np.testing.assert_array_equal(out['img'][12, 13:114], img[1])
    np.testing.assert_array_equal(out['img'][13:114, 12], img[:, 1])
    np.testing.assert_array_equal(out['gt_seg_map'][12, 13:114], mask[1])


def test_constant_mask_padding_and_channels():
    img = np.ones((101, 101, 2), np.float32)
    mask = np.zeros((101, 101), np.uint8)
    out = ReflectPad(seg_mode='constant', seg_pad_val=255)(
        dict(img=img, gt_seg_map=mask, seg_fields=['gt_seg_map']))
    assert out['img'].shape == (128, 128, 2)
    assert out['gt_seg_map'][0, 0] == 255 and out['gt_seg_map'][64, 64] == 0

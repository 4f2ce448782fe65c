"""TGSSaltDataset: Kaggle layout, RLE-only masks, depth, and a clear error for each bad input."""
import os
import os.path as osp
import shutil

import cv2
import numpy as np
import pytest

from seg_ext.core.errors import DataError, MissingDataError
from seg_ext.core.rle import rle_decode
from seg_ext.mmseg.datasets import TGSSaltDataset

PIPELINE = [
    dict(type='LoadCheckedImageFromFile', color_type='grayscale'),
    dict(type='LoadBinaryAnnotations'),
]


def build(root, ann_file='splits/fold0_train.txt', pipeline=PIPELINE, **kw):
    return TGSSaltDataset(data_root=root, ann_file=ann_file, pipeline=pipeline, **kw)


def first_id(root):
    return open(osp.join(root, 'splits', 'fold0_train.txt')).readline().strip()


def test_reads_kaggle_layout(tgs_root):
    ds = build(tgs_root, depth_file='depths.csv')
    assert len(ds) == 30  # 3 of 4 folds of 40
    assert ds.metainfo['classes'] == ('background', 'salt')
    sample = ds[0]
    assert sample['img'].shape == (101, 101) and sample['img'].dtype == np.uint8
    assert sample['gt_seg_map'].shape == (101, 101)
    assert set(np.unique(sample['gt_seg_map'])) <= {0, 1}
    info = ds.get_data_info(0)
    assert info['depth'] is not None and 50 <= info['depth'] <= 960
    # the PNG mask and train.csv's RLE describe the same mask
    csv_rle = dict(line.strip().split(',', 1) for line in open(osp.join(tgs_root, 'train.csv'))
                   if not line.startswith('id,'))
    np.testing.assert_array_equal(sample['gt_seg_map'],
                                  rle_decode(csv_rle[info['sample_id']], (101, 101)))


def test_masks_given_only_as_rle(tgs_copy):
    png = build(tgs_copy)[3]['gt_seg_map']
    shutil.rmtree(osp.join(tgs_copy, 'train', 'masks'))
    ds = build(tgs_copy)
    assert ds.get_data_info(3)['seg_map_path'] is None
    np.testing.assert_array_equal(ds[3]['gt_seg_map'], png)


def test_one_channel_png_and_16bit_mask(tgs_copy):
    sid = first_id(tgs_copy)
    img_path = osp.join(tgs_copy, 'train', 'images', sid + '.png')
    mask_path = osp.join(tgs_copy, 'train', 'masks', sid + '.png')
    gray = cv2.imread(img_path, cv2.IMREAD_GRAYSCALE)
    mask = cv2.imread(mask_path, cv2.IMREAD_UNCHANGED)
    cv2.imwrite(img_path, gray)  # 1-channel
    cv2.imwrite(mask_path, (mask > 0).astype(np.uint16) * 65535)  # Kaggle-style 16-bit
    sample = build(tgs_copy)[0]
    np.testing.assert_array_equal(sample['img'], gray)
    np.testing.assert_array_equal(sample['gt_seg_map'], (mask > 0).astype(np.uint8))


def test_depth_channel(tgs_root):
    ds = build(tgs_root, pipeline=PIPELINE + [dict(type='AddDepthChannel')],
               depth_file='depths.csv')
    sample = ds[0]
    assert sample['img'].shape == (101, 101, 2)
    z = ds.get_data_info(0)['depth']
    np.testing.assert_allclose(sample['img'][..., 1], z * 255 / 1000, rtol=1e-6)


def test_unlabelled_test_images(tgs_root):
    ds = TGSSaltDataset(data_root=tgs_root, data_prefix=dict(img_path='test/images'),
                        rle_file=None, test_mode=True,
                        pipeline=[dict(type='LoadCheckedImageFromFile', color_type='grayscale')])
    assert len(ds) == 4 and 'seg_map_path' not in ds.get_data_info(0)


# --- bad input: every error names the file -------------------------------------------------------

def test_corrupt_png_names_file(tgs_copy):
    sid = first_id(tgs_copy)
    path = osp.join(tgs_copy, 'train', 'images', sid + '.png')
    data = open(path, 'rb').read()
    open(path, 'wb').write(data[:len(data) // 3])  # truncated PNG
    ds = build(tgs_copy)
    with pytest.raises(DataError, match=rf'{sid}\.png: cannot be decoded as an image'):
        ds[0]


def test_missing_mask_names_file(tgs_copy):
    sid = first_id(tgs_copy)
    os.remove(osp.join(tgs_copy, 'train', 'masks', sid + '.png'))
    os.remove(osp.join(tgs_copy, 'train.csv'))
    with pytest.raises(MissingDataError, match=rf'masks/{sid}\.png: mask of id .{sid}. not found'):
        build(tgs_copy)


def test_missing_mask_and_no_rle_row(tgs_copy):
    sid = first_id(tgs_copy)
    os.remove(osp.join(tgs_copy, 'train', 'masks', sid + '.png'))
    csv = osp.join(tgs_copy, 'train.csv')
    lines = [ln for ln in open(csv) if not ln.startswith(sid)]
    open(csv, 'w').writelines(lines)
    with pytest.raises(MissingDataError, match=r'train\.csv has no row for it'):
        build(tgs_copy)


def test_mask_size_mismatch_names_file(tgs_copy):
    sid = first_id(tgs_copy)
    path = osp.join(tgs_copy, 'train', 'masks', sid + '.png')
    cv2.imwrite(path, np.zeros((100, 101), np.uint8))
    with pytest.raises(DataError,
                       match=rf'{sid}\.png: mask is 100x101 but its image .* is 101x101'):
        build(tgs_copy)[0]


def test_mask_value_7_names_file(tgs_copy):
    sid = first_id(tgs_copy)
    path = osp.join(tgs_copy, 'train', 'masks', sid + '.png')
    mask = np.zeros((101, 101), np.uint8)
    mask[10:20, 10:20] = 255
    mask[50, 50] = 7
    cv2.imwrite(path, mask)
    with pytest.raises(DataError, match=rf'{sid}\.png: mask holds value\(s\) 7'):
        build(tgs_copy)[0]


def test_rle_longer_than_image_names_csv_row(tgs_copy):
    shutil.rmtree(osp.join(tgs_copy, 'train', 'masks'))
    sid = first_id(tgs_copy)
    csv = osp.join(tgs_copy, 'train.csv')
    lines = [f'{sid},10200 5\n' if ln.startswith(sid + ',') else ln for ln in open(csv)]
    open(csv, 'w').writelines(lines)
    with pytest.raises(DataError, match=rf'train\.csv \(id {sid}\): RLE run ends at pixel 10204'):
        build(tgs_copy)[0]


def test_missing_split_file(tgs_root):
    with pytest.raises(MissingDataError, match=r'splits/fold9_train\.txt: split file not found'):
        build(tgs_root, ann_file='splits/fold9_train.txt')


def test_empty_split_file(tgs_copy):
    open(osp.join(tgs_copy, 'splits', 'empty.txt'), 'w').write('\n')
    with pytest.raises(DataError, match=r'empty\.txt: no samples'):
        build(tgs_copy, ann_file='splits/empty.txt')


def test_duplicate_id_in_split(tgs_copy):
    sid = first_id(tgs_copy)
    open(osp.join(tgs_copy, 'splits', 'dup.txt'), 'w').write(f'{sid}\n{sid}\n')
    with pytest.raises(DataError, match=rf'dup\.txt: duplicate id .{sid}.'):
        build(tgs_copy, ann_file='splits/dup.txt')


def test_split_lists_missing_image(tgs_copy):
    open(osp.join(tgs_copy, 'splits', 'ghost.txt'), 'w').write('deadbeef00\n')
    with pytest.raises(MissingDataError, match=r'deadbeef00\.png: image of id .deadbeef00. not '
                       r'found \(listed in .*ghost\.txt\)'):
        build(tgs_copy, ann_file='splits/ghost.txt')


def test_no_annotations_at_all(tgs_copy):
    shutil.rmtree(osp.join(tgs_copy, 'train', 'masks'))
    os.remove(osp.join(tgs_copy, 'train.csv'))
    with pytest.raises(MissingDataError, match='no annotations'):
        build(tgs_copy)


def test_duplicate_id_in_csv(tgs_copy):
    csv = osp.join(tgs_copy, 'depths.csv')
    lines = open(csv).readlines()
    open(csv, 'w').writelines(lines + [lines[1]])
    with pytest.raises(DataError, match=rf'depths\.csv: line {len(lines) + 1}: duplicate id'):
        build(tgs_copy, depth_file='depths.csv')

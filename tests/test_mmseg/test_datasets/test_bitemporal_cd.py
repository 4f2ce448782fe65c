"""BiTemporalCDDataset: LEVIR-CD pairing by name, other folder layouts, and clear pairing errors."""
import os
import os.path as osp
import shutil

import cv2
import numpy as np
import pytest

from seg_ext.core.errors import DataError, MissingDataError
from seg_ext.mmseg.datasets import BiTemporalCDDataset

PIPELINE = [dict(type='LoadBiTemporalImages'), dict(type='LoadBinaryAnnotations')]


def build(root, split='train', **kw):
    return BiTemporalCDDataset(
        data_root=root, pipeline=PIPELINE,
        data_prefix=dict(img_path=f'{split}/A', img_path2=f'{split}/B',
                         seg_map_path=f'{split}/label'), **kw)


def test_reads_levir_layout(levir_root):
    ds = build(levir_root)
    assert len(ds) == 6 and ds.metainfo['classes'] == ('unchanged', 'changed')
    info = ds.get_data_info(0)
    assert info['img_path'].endswith('train/A/train_1.png')
    assert info['img_path2'].endswith('train/B/train_1.png')
    sample = ds[0]
    assert sample['img'].shape == (64, 64, 6) and sample['img'].dtype == np.uint8
    a = cv2.imread(info['img_path'])
    b = cv2.imread(info['img_path2'])
    np.testing.assert_array_equal(sample['img'][..., :3], a)
    np.testing.assert_array_equal(sample['img'][..., 3:], b)
    lab = cv2.imread(info['seg_map_path'], cv2.IMREAD_UNCHANGED)
    np.testing.assert_array_equal(sample['gt_seg_map'], lab // 255)


def test_s2looking_style_folders(levir_copy):
    for old, new in (('A', 'Image1'), ('B', 'Image2')):
        os.rename(osp.join(levir_copy, 'val', old), osp.join(levir_copy, 'val', new))
    ds = BiTemporalCDDataset(data_root=levir_copy, pipeline=PIPELINE, data_prefix=dict(
        img_path='val/Image1', img_path2='val/Image2', seg_map_path='val/label'))
    assert len(ds) == 2 and ds[1]['img'].shape == (64, 64, 6)


def test_missing_b_image_names_file(levir_copy):
    os.remove(osp.join(levir_copy, 'train', 'B', 'train_3.png'))
    with pytest.raises(MissingDataError, match=r'train/B/train_3\.png: unpaired: image B of '
                       r'.*train/A/train_3\.png not found'):
        build(levir_copy)


def test_b_image_without_a_names_file(levir_copy):
    shutil.copy(osp.join(levir_copy, 'train', 'B', 'train_1.png'),
                osp.join(levir_copy, 'train', 'B', 'extra.png'))
    with pytest.raises(DataError, match=r'train/B/extra\.png: unpaired: no image extra\.png in'):
        build(levir_copy)


def test_missing_label_names_file(levir_copy):
    os.remove(osp.join(levir_copy, 'test', 'label', 'test_2.png'))
    with pytest.raises(MissingDataError, match=r'test/label/test_2\.png: change label of pair'):
        build(levir_copy, 'test')


def test_size_mismatch_names_both_files(levir_copy):
    path_b = osp.join(levir_copy, 'train', 'B', 'train_1.png')
    cv2.imwrite(path_b, np.zeros((60, 64, 3), np.uint8))
    with pytest.raises(DataError, match=r'train/B/train_1\.png: image B is 60x64x3 but its '
                       r'partner .*train/A/train_1\.png is 64x64x3'):
        build(levir_copy)[0]


def test_label_size_mismatch(levir_copy):
    cv2.imwrite(osp.join(levir_copy, 'train', 'label', 'train_1.png'), np.zeros((64, 60), np.uint8))
    with pytest.raises(DataError, match=r'label/train_1\.png: mask is 64x60'):
        build(levir_copy)[0]


def test_empty_folder(levir_copy):
    for sub in ('A', 'B'):
        shutil.rmtree(osp.join(levir_copy, 'val', sub))
        os.makedirs(osp.join(levir_copy, 'val', sub))
    with pytest.raises(DataError, match=r'val/A: no image pairs'):
        build(levir_copy, 'val')

import os
import os.path as osp

import cv2
import numpy as np
import pytest
from detectron2.data import DatasetCatalog, MetadataCatalog
from detectron2.structures import BoxMode
from pycocotools import mask as mask_utils

import seg_ext.d2  # noqa: F401
from seg_ext.core.errors import DataError, MissingDataError
from seg_ext.d2.datasets import (
    load_mask_folder,
    register_coco_instances,
    register_coco_panoptic,
    register_mask_folder,
    register_tgs_salt,
)


def write_pennfudan(root: str) -> None:
    """One 10x12 image with three pedestrians (mask values 1, 2, 3), PennFudan names."""
    os.makedirs(osp.join(root, 'PNGImages'))
    os.makedirs(osp.join(root, 'PedMasks'))
    cv2.imwrite(osp.join(root, 'PNGImages', 'FudanPed00001.png'),
                np.full((10, 12, 3), 90, np.uint8))
    m = np.zeros((10, 12), np.uint8)
    m[1:5, 1:3] = 1
    m[2:9, 5:8] = 2
    m[6:10, 10:12] = 3
    cv2.imwrite(osp.join(root, 'PedMasks', 'FudanPed00001_mask.png'), m)


@pytest.mark.parametrize('mask_format', ['polygon', 'bitmask'])
def test_pennfudan_layout_to_boxes_and_masks(tmp_path, mask_format):
    root = str(tmp_path)
    write_pennfudan(root)
    [rec] = load_mask_folder(osp.join(root, 'PNGImages'), osp.join(root, 'PedMasks'),
                             mask_format=mask_format)
    assert (rec['height'], rec['width']) == (10, 12)
    anns = rec['annotations']
    assert [a['bbox'] for a in anns] == [[1, 1, 3, 5], [5, 2, 8, 9], [10, 6, 12, 10]]
    assert all(a['bbox_mode'] == BoxMode.XYXY_ABS and a['category_id'] == 0 for a in anns)
    areas = []
    for a in anns:
        seg = a['segmentation']
        rle = (mask_utils.merge(mask_utils.frPyObjects(seg, 10, 12)) if mask_format == 'polygon'
               else dict(seg, counts=seg['counts'].encode()))
        areas.append(int(mask_utils.area(rle)))
    assert areas == [8, 21, 8]


def test_register_mask_folder_and_errors(tmp_path):
    root = str(tmp_path)
    write_pennfudan(root)
    register_mask_folder('test_peds', osp.join(root, 'PNGImages'), osp.join(root, 'PedMasks'))
    assert len(DatasetCatalog.get('test_peds')) == 1
    meta = MetadataCatalog.get('test_peds')
    assert meta.thing_classes == ['person'] and meta.evaluator_type == 'coco'
    with pytest.raises(KeyError, match='already registered'):
        register_mask_folder('test_peds', root, root)

    mask_path = osp.join(root, 'PedMasks', 'FudanPed00001_mask.png')
    cv2.imwrite(mask_path, np.zeros((9, 12), np.uint8))
    with pytest.raises(DataError, match='FudanPed00001_mask.png: mask is 12x9 but its image '
                       'FudanPed00001.png is 12x10'):
        load_mask_folder(osp.join(root, 'PNGImages'), osp.join(root, 'PedMasks'))
    with open(mask_path, 'wb') as f:
        f.write(b'\x89PNG\r\n')  # truncated
    with pytest.raises(DataError, match='FudanPed00001_mask.png: cannot be decoded as an image'):
        load_mask_folder(osp.join(root, 'PNGImages'), osp.join(root, 'PedMasks'))
    os.remove(mask_path)
    with pytest.raises(MissingDataError, match='FudanPed00001_mask.png: mask of image'):
        load_mask_folder(osp.join(root, 'PNGImages'), osp.join(root, 'PedMasks'))


def test_mask_value_beyond_the_classes_is_refused(tmp_path):
    root = str(tmp_path)
    write_pennfudan(root)
    m = np.zeros((10, 12), np.uint16)
    m[0, 0] = 3001  # class 3 of 2
    cv2.imwrite(osp.join(root, 'PedMasks', 'FudanPed00001_mask.png'), m)
    with pytest.raises(DataError, match='value 3001 is class 3, but the dataset has 2 classes'):
        load_mask_folder(osp.join(root, 'PNGImages'), osp.join(root, 'PedMasks'), num_classes=2,
                         divisor=1000)


def test_shapes_in_all_formats_register(shapes_root):
    r = shapes_root
    register_coco_instances('test_shapes_coco', osp.join(r, 'annotations', 'instances_val.json'),
                            osp.join(r, 'val', 'PNGImages'))
    coco = DatasetCatalog.get('test_shapes_coco')
    register_mask_folder('test_shapes_folder', osp.join(r, 'val', 'PNGImages'),
                         osp.join(r, 'val', 'PedMasks'), ['circle', 'square', 'triangle'],
                         divisor=1000)
    folder = DatasetCatalog.get('test_shapes_folder')
    assert len(coco) == len(folder) == 3
    # the same instances (class and box) through both routes
    for a, b in zip(coco, folder):
        ka = sorted((x['category_id'], tuple(np.round(BoxMode.convert(
            x['bbox'], x['bbox_mode'], BoxMode.XYXY_ABS), 3))) for x in a['annotations'])
        kb = sorted((x['category_id'], tuple(x['bbox'])) for x in b['annotations'])
        assert ka == kb

    register_coco_panoptic('test_shapes_pan', osp.join(r, 'val', 'PNGImages'),
                           osp.join(r, 'panoptic_val'),
                           osp.join(r, 'annotations', 'panoptic_val.json'),
                           osp.join(r, 'panoptic_stuff_val'),
                           osp.join(r, 'annotations', 'instances_val.json'))
    pan = DatasetCatalog.get('test_shapes_pan')
    assert len(pan) == 3 and all(osp.isfile(d['sem_seg_file_name']) for d in pan)
    assert sum(len(d['annotations']) for d in pan) == sum(len(d['annotations']) for d in coco)
    meta = MetadataCatalog.get('test_shapes_pan')
    assert meta.stuff_classes == ['things', 'water', 'grass', 'sand']
    assert meta.thing_dataset_id_to_contiguous_id == {1: 0, 2: 1, 3: 2}
    assert meta.stuff_dataset_id_to_contiguous_id == {4: 1, 5: 2, 6: 3, 0: 0}
    with pytest.raises(MissingDataError, match='nope.json: not found'):
        register_coco_panoptic('x', r, r, osp.join(r, 'nope.json'), r, r)


def test_tgs_salt_as_semantic_dataset(tgs_root, tmp_path):
    import shutil
    root = str(tmp_path / 'tgs')
    shutil.copytree(tgs_root, root)
    register_tgs_salt('test_tgs_d2', root, 'splits/fold0_val.txt')
    recs = DatasetCatalog.get('test_tgs_d2')
    ids = [line.strip() for line in open(osp.join(root, 'splits', 'fold0_val.txt'))]
    assert [osp.basename(r['file_name'])[:-4] for r in recs] == ids
    label = cv2.imread(recs[0]['sem_seg_file_name'], cv2.IMREAD_UNCHANGED)
    mask = cv2.imread(osp.join(root, 'train', 'masks', ids[0] + '.png'), cv2.IMREAD_GRAYSCALE)
    np.testing.assert_array_equal(label, (mask > 0).astype(np.uint8))
    assert MetadataCatalog.get('test_tgs_d2').evaluator_type == 'sem_seg'

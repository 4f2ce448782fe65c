import numpy as np
import pytest
from pycocotools import mask as mask_utils

from seg_ext.core.coco.formats import (
    bbox_xyxy,
    encode_rle,
    id2rgb,
    instances_from_mask,
    mask_to_polygons,
    panoptic_to_semantic_instance,
    rgb2id,
    semantic_instance_to_panoptic,
    stuff_semantic,
)

CATS = [dict(id=1, name='person', isthing=1), dict(id=2, name='car', isthing=1),
        dict(id=7, name='road', isthing=0), dict(id=9, name='sky', isthing=0)]


def pennfudan_mask() -> np.ndarray:
    """Three pedestrians (values 1, 2, 3) on background 0, 10 x 12."""
    m = np.zeros((10, 12), np.uint8)
    m[1:5, 1:3] = 1          # rows 1-4, cols 1-2
    m[2:9, 5:8] = 2          # rows 2-8, cols 5-7
    m[6:10, 10:12] = 3       # touches the bottom-right border
    return m


def test_pennfudan_mask_to_instances_boxes_and_masks():
    inst = instances_from_mask(pennfudan_mask())
    assert [i['value'] for i in inst] == [1, 2, 3]
    assert all(i['category'] == 0 for i in inst)
    assert [bbox_xyxy(i['mask']) for i in inst] == [[1, 1, 3, 5], [5, 2, 8, 9], [10, 6, 12, 10]]
    assert [int(i['mask'].sum()) for i in inst] == [8, 21, 8]


def test_instance_values_with_divisor_give_classes():
    m = np.zeros((4, 4), np.uint16)
    m[0, 0], m[1, 1], m[2, 2] = 1001, 2001, 1002
    inst = instances_from_mask(m, divisor=1000)
    assert [(i['value'], i['category']) for i in inst] == [(1001, 0), (1002, 0), (2001, 1)]
    m[3, 3] = 7  # below the divisor: no class
    with pytest.raises(ValueError, match='m.png: value 7 < divisor 1000'):
        instances_from_mask(m, divisor=1000, source='m.png')


def test_rle_and_polygons_reproduce_the_mask():
    m = pennfudan_mask() == 2
    rle = encode_rle(m)
    assert isinstance(rle['counts'], str)
    np.testing.assert_array_equal(mask_utils.decode(dict(rle, counts=rle['counts'].encode())), m)
    polys = mask_to_polygons(m)
    assert len(polys) == 1
    rles = mask_utils.frPyObjects(polys, *m.shape)
    decoded = mask_utils.decode(mask_utils.merge(rles)).astype(bool)
    np.testing.assert_array_equal(decoded, m)  # a rectangle's pixel-edge polygon is exact
    assert mask_utils.area(mask_utils.merge(rles)) == 21


def test_panoptic_id_encoding_round_trip():
    ids = np.array([[0, 1, 255], [256, 65536 + 3, 2**24 - 1]])
    rgb = id2rgb(ids)
    assert rgb.dtype == np.uint8 and rgb[0, 2].tolist() == [255, 0, 0]
    assert rgb[1, 0].tolist() == [0, 1, 0]
    np.testing.assert_array_equal(rgb2id(rgb), ids)


def scene():
    semantic = np.full((6, 8), 7, np.uint8)   # road
    semantic[:2] = 9                           # sky
    semantic[2:5, 1:3] = 1                     # person A
    semantic[2:5, 3:4] = 1                     # person B (adjacent, other instance)
    semantic[3:6, 5:8] = 2                     # car
    semantic[5, 0] = 255                       # unlabelled
    instance = np.zeros_like(semantic, dtype=np.int32)
    instance[2:5, 1:3] = 11
    instance[2:5, 3:4] = 12
    instance[3:6, 5:8] = 40
    return semantic, instance


def test_semantic_instance_to_panoptic_and_back():
    semantic, instance = scene()
    pan, segments = semantic_instance_to_panoptic(semantic, instance, CATS)
    by_cat = sorted((s['category_id'], s['area']) for s in segments)
    assert by_cat == [(1, 3), (1, 6), (2, 9), (7, 13), (9, 16)]
    assert pan[5, 0] == 0  # VOID
    car = next(s for s in segments if s['category_id'] == 2)
    assert car['bbox'] == [5, 3, 3, 3] and car['iscrowd'] == 0
    assert len(np.unique(pan)) == 6  # five segments + VOID

    sem2, inst2 = panoptic_to_semantic_instance(pan, segments, CATS)
    np.testing.assert_array_equal(sem2, semantic)
    # the same partition of thing pixels into instances (ids may differ), none on stuff
    pairs = {(a, b) for a, b in zip(instance.ravel(), inst2.ravel())}
    assert len(pairs) == len({a for a, _ in pairs}) == len({b for _, b in pairs}) == 4
    assert (inst2[instance == 0] == 0).all()

    stuff = stuff_semantic(pan, segments, CATS)
    assert stuff[0, 0] == 2 and stuff[5, 1] == 1   # sky, road -> 2, 1 (category order)
    assert stuff[3, 6] == 0 and stuff[5, 0] == 255  # things 0, VOID ignored


def test_panoptic_conversion_errors_name_the_source():
    semantic, instance = scene()
    semantic[0, 0] = 5
    with pytest.raises(ValueError, match=r'a\.png: semantic values \[5\] are not category ids'):
        semantic_instance_to_panoptic(semantic, instance, CATS, source='a.png')
    with pytest.raises(ValueError, match='b.png: semantic .* maps differ in size'):
        semantic_instance_to_panoptic(semantic, instance[:, :4], CATS, source='b.png')

"""The prediction writer: instance-id maps, COCO results records (RLE decoded back with
pycocotools), dataset category ids, panoptic PNG + segments json, and errors of the predictor's
inputs and weights."""
import json
import os

import cv2
import numpy as np
import pytest
import torch
from detectron2.data import Metadata
from detectron2.structures import Boxes, Instances
from hypothesis import given, settings
from hypothesis import strategies as st
from pycocotools import mask as mask_util

import seg_ext.d2  # noqa: F401
from seg_ext.core.coco.formats import rgb2id
from seg_ext.core.errors import DataError, MissingDataError
from seg_ext.d2.prediction_writer import PredictionWriter, instance_id_map
from seg_ext.d2.predictor import list_inputs, load_weights


def test_instance_id_map_higher_score_wins():
    masks = np.zeros((3, 2, 4), bool)
    masks[0, :, :2] = True          # score 0.5
    masks[1, :, 1:3] = True         # score 0.9: wins the overlap with 0 and 2
    masks[2, 0, 2:] = True          # score 0.1
    out = instance_id_map(masks, np.array([0.5, 0.9, 0.1]))
    assert out.dtype == np.uint16
    assert out.tolist() == [[1, 2, 2, 3], [1, 2, 2, 0]]


@settings(max_examples=30, deadline=None)
@given(st.integers(0, 6), st.integers(0, 2 ** 31 - 1))
def test_instance_id_map_properties(n, seed):
    rng = np.random.default_rng(seed)
    masks = rng.random((n, 5, 6)) < 0.4
    scores = rng.permutation(n).astype(float)
    out = instance_id_map(masks, scores) if n else np.zeros((5, 6), np.uint16)
    covered = masks.any(0) if n else np.zeros((5, 6), bool)
    assert ((out > 0) == covered).all()
    for k in range(n):  # a pixel shows the best-scoring mask covering it
        best = np.where(masks, scores[:, None, None], -1).argmax(0)
        assert (out[covered] == best[covered] + 1).all()


def instances(h=6, w=8):
    inst = Instances((h, w))
    masks = torch.zeros(2, h, w, dtype=torch.bool)
    masks[0, 1:3, 1:4] = True
    masks[1, 2:5, 3:7] = True
    inst.pred_masks = masks
    inst.pred_boxes = Boxes(torch.tensor([[1., 1., 4., 3.], [3., 2., 7., 5.]]))
    inst.scores = torch.tensor([0.9, 0.6])
    inst.pred_classes = torch.tensor([1, 0])
    return inst


def test_instances_json_and_png(tmp_path):
    meta = Metadata(name='t', thing_classes=['a', 'b'],
                    thing_dataset_id_to_contiguous_id={7: 0, 9: 1})
    writer = PredictionWriter(str(tmp_path), meta, {str(tmp_path / 'x.png'): 42})
    (tmp_path / 'x.png').write_bytes(b'')  # realpath key only
    writer.write(str(tmp_path / 'x.png'), np.zeros((6, 8, 3), np.uint8),
                 dict(instances=instances()))
    assert writer.close() == {'instances': str(tmp_path / 'coco_instances_results.json')}
    recs = json.load(open(tmp_path / 'coco_instances_results.json'))
    assert [(r['image_id'], r['category_id'], r['instance_id']) for r in recs] == [
        (42, 9, 1), (42, 7, 2)]
    assert recs[0]['bbox'] == [1.0, 1.0, 3.0, 2.0] and recs[0]['score'] == pytest.approx(0.9)
    for r, m in zip(recs, instances().pred_masks.numpy()):
        assert (mask_util.decode(r['segmentation']).astype(bool) == m).all()
    ids = cv2.imread(str(tmp_path / 'instances' / 'x.png'), cv2.IMREAD_UNCHANGED)
    assert ids.dtype == np.uint16 and ids[2, 3] == 1 and ids[4, 5] == 2 and ids[0, 0] == 0
    vis = cv2.imread(str(tmp_path / 'vis' / 'x.png'))
    assert vis.shape == (6, 8, 3)


def test_panoptic_png_and_segments_json(tmp_path):
    meta = Metadata(name='p', thing_classes=['a'], thing_dataset_id_to_contiguous_id={5: 0},
                    stuff_classes=['things', 'water'],
                    stuff_dataset_id_to_contiguous_id={0: 0, 11: 1})
    pan = torch.zeros(6, 8, dtype=torch.int32)
    pan[:, :4] = 1
    pan[2:4, 5:7] = 2
    segments = [dict(id=1, isthing=False, category_id=1, area=24),
                dict(id=2, isthing=True, category_id=0, score=0.8, instance_id=0, area=4)]
    writer = PredictionWriter(str(tmp_path), meta, overlays=False)
    writer.write('a/img.jpg', np.zeros((6, 8, 3), np.uint8),
                 dict(panoptic_seg=(pan, segments), instances=instances()[:0]))
    written = writer.close()
    data = json.load(open(written['panoptic']))
    assert data['annotations'] == [dict(image_id=0, file_name='img.png', segments_info=[
        dict(id=1, isthing=False, category_id=11, area=24),
        dict(id=2, isthing=True, category_id=5, score=0.8, instance_id=0, area=4)])]
    assert data['categories'] == [dict(id=5, name='a', isthing=1),
                                  dict(id=11, name='water', isthing=0)]
    png = cv2.imread(str(tmp_path / 'panoptic' / 'img.png'))[:, :, ::-1]
    assert (rgb2id(png) == pan.numpy()).all()
    assert json.load(open(written['instances'])) == []  # no detections: an empty list
    ids = cv2.imread(str(tmp_path / 'instances' / 'img.png'), cv2.IMREAD_UNCHANGED)
    assert ids.shape == (6, 8) and not ids.any()


def test_same_stem_twice_is_refused(tmp_path):
    writer = PredictionWriter(str(tmp_path), overlays=False)
    pred = dict(instances=instances())
    writer.write('a/x.png', np.zeros((6, 8, 3), np.uint8), pred)
    with pytest.raises(DataError, match=r'b/x\.jpg: has the same file stem as a/x\.png'):
        writer.write('b/x.jpg', np.zeros((6, 8, 3), np.uint8), pred)


def test_inputs_and_weights_errors(tmp_path):
    with pytest.raises(MissingDataError, match='nope: input image or folder not found'):
        list_inputs([str(tmp_path / 'nope')])
    (tmp_path / 'empty').mkdir()
    with pytest.raises(DataError, match='empty: folder has no images'):
        list_inputs([str(tmp_path / 'empty')])
    model = torch.nn.Linear(2, 2)
    with pytest.raises(MissingDataError, match='w.pth: weights file not found'):
        load_weights(model, str(tmp_path / 'w.pth'))
    with pytest.raises(MissingDataError, match='MODEL.WEIGHTS: no weights given'):
        load_weights(model, '')
    good = tmp_path / 'good.pth'
    torch.save({'model': model.state_dict()}, str(good))
    cut = tmp_path / 'cut.pth'
    cut.write_bytes(good.read_bytes()[:200])
    with pytest.raises(DataError, match=r'cut\.pth: cannot be read as a checkpoint'):
        load_weights(model, str(cut))
    torch.save({'model': {'weight': torch.zeros(3, 3)}}, str(tmp_path / 'other.pth'))
    with pytest.raises(DataError, match=r'other\.pth: checkpoint does not fit this model'):
        load_weights(model, str(tmp_path / 'other.pth'))
    load_weights(torch.nn.Linear(2, 2), str(good))


def test_ground_truth_as_predictions_scores_ap_100(shapes_root, tmp_path):
    """Ids, classes and RLE masks in the json are right: the val ground truth written as
    predictions (through --dataset's image ids and the metadata) scores mask AP 1 with
    pycocotools against Detectron2's COCO conversion of the same dataset."""
    import os.path as osp

    from detectron2.data import DatasetCatalog, MetadataCatalog
    from detectron2.data.datasets.coco import convert_to_coco_json
    from pycocotools.coco import COCO
    from pycocotools.cocoeval import COCOeval

    from seg_ext.core.coco import mask_folder_instances
    from seg_ext.d2.datasets import register_mask_folder

    name = 'writer_gt_val'
    if name not in DatasetCatalog.list():
        register_mask_folder(name, f'{shapes_root}/val/PNGImages', f'{shapes_root}/val/PedMasks',
                             ['circle', 'square', 'triangle'], divisor=1000)
    ids = {osp.realpath(r['file_name']): r['image_id'] for r in DatasetCatalog.get(name)}
    writer = PredictionWriter(str(tmp_path / 'pred'), MetadataCatalog.get(name), ids,
                              overlays=False)
    for sample in mask_folder_instances(f'{shapes_root}/val/PNGImages',
                                        f'{shapes_root}/val/PedMasks', '_mask', 1000):
        masks = np.stack([i['mask'] for i in sample['instances']])
        inst = Instances((sample['height'], sample['width']))
        inst.pred_masks = torch.from_numpy(masks)
        ys_xs = [np.nonzero(m) for m in masks]
        inst.pred_boxes = Boxes(torch.tensor([[x.min(), y.min(), x.max() + 1, y.max() + 1]
                                              for y, x in ys_xs], dtype=torch.float32))
        inst.scores = torch.linspace(1.0, 0.9, len(masks))
        inst.pred_classes = torch.tensor([i['category'] for i in sample['instances']])
        writer.write(sample['image_path'], np.zeros((64, 64, 3), np.uint8),
                     dict(instances=inst))
    results = writer.close()['instances']
    gt_file = str(tmp_path / 'gt.json')
    convert_to_coco_json(name, gt_file)
    gt = COCO(gt_file)
    ev = COCOeval(gt, gt.loadRes(results), 'segm')
    ev.evaluate()
    ev.accumulate()
    ev.summarize()
    assert ev.stats[0] > 0.95 and ev.stats[1] == 1.0  # AP, AP50


def test_ground_truth_panoptic_as_predictions_scores_pq_1(shapes_root, tmp_path):
    """Panoptic FPN-style segments (contiguous thing/stuff ids, ``isthing``) of the val ground
    truth, written through the dataset's metadata, score PQ 1 with ``pq_compute``."""
    from detectron2.data import DatasetCatalog, MetadataCatalog

    from seg_ext.core.metrics.panoptic_quality import pq_compute
    from seg_ext.d2.datasets import register_coco_panoptic

    name = 'writer_gt_panoptic_val'
    r = shapes_root
    if name not in DatasetCatalog.list():
        register_coco_panoptic(name, f'{r}/val/PNGImages', f'{r}/panoptic_val',
                               f'{r}/annotations/panoptic_val.json', f'{r}/panoptic_stuff_val',
                               f'{r}/annotations/instances_val.json')
    meta = MetadataCatalog.get(name)
    gt = json.load(open(f'{r}/annotations/panoptic_val.json'))
    things = meta.thing_dataset_id_to_contiguous_id
    stuff = meta.stuff_dataset_id_to_contiguous_id
    names = {im['id']: im['file_name'] for im in gt['images']}
    writer = PredictionWriter(str(tmp_path), meta, overlays=False)
    for ann in gt['annotations']:
        png = cv2.imread(f"{r}/panoptic_val/{ann['file_name']}")[:, :, ::-1]
        pan = torch.from_numpy(rgb2id(png).astype(np.int32))
        segments = [dict(id=s['id'], isthing=s['category_id'] in things,
                         category_id=(things[s['category_id']] if s['category_id'] in things
                                      else stuff[s['category_id']]))
                    for s in ann['segments_info']]
        path = f"{r}/val/PNGImages/{names[ann['image_id']]}"
        writer.image_ids = {os.path.realpath(path): ann['image_id']}
        writer.write(path, png,
                     dict(panoptic_seg=(pan, segments)))
    written = writer.close()
    res = pq_compute(f'{r}/annotations/panoptic_val.json', written['panoptic'],
                     gt_folder=f'{r}/panoptic_val', pred_folder=str(tmp_path / 'panoptic'))
    assert res['All']['pq'] == pytest.approx(1.0)

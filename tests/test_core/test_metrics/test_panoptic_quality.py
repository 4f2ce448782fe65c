import json

import numpy as np
import pytest
from PIL import Image

from seg_ext.core.coco.formats import id2rgb
from seg_ext.core.errors import DataError
from seg_ext.core.metrics.panoptic_quality import PQStat, pq_compute, pq_image

CATS = {1: dict(id=1, isthing=1), 2: dict(id=2, isthing=0)}


def test_pq_by_hand():
    gt = np.zeros((10, 10), np.int64)
    gt[:, :5] = 1        # stuff (50 px)
    gt[0:4, 5:9] = 2     # thing A (16 px)
    gt[6:8, 6:8] = 3     # thing B (4 px), missed
    pred = np.zeros_like(gt)
    pred[:, :5] = 7      # stuff, exact: IoU 1
    pred[0:4, 5:8] = 8   # thing A, 12 of 16 px: IoU 0.75
    pred[9, 5:10] = 9    # two false things, both on unlabelled (VOID) ground truth
    pred[5, 5:10] = 10
    gt_seg = [dict(id=1, category_id=2), dict(id=2, category_id=1), dict(id=3, category_id=1)]
    pred_seg = [dict(id=7, category_id=2), dict(id=8, category_id=1),
                dict(id=9, category_id=1), dict(id=10, category_id=1)]
    stat = PQStat()
    pq_image(stat, gt, pred, gt_seg, pred_seg, CATS)
    # thing: TP 1 (IoU .75), FN 1 (B); the false things lie entirely on VOID -> ignored, not FP
    assert (stat.tp[1], stat.fn[1], stat.fp[1]) == (1, 1, 0)
    assert stat.iou[1] == pytest.approx(0.75)
    things, _ = stat.pq_average(CATS, isthing=True)
    assert things['pq'] == pytest.approx(0.75 / 1.5) and things['rq'] == pytest.approx(1 / 1.5)
    assert things['sq'] == pytest.approx(0.75)
    stuff, _ = stat.pq_average(CATS, isthing=False)
    assert stuff == dict(pq=1.0, sq=1.0, rq=1.0, n=1)
    allc, _ = stat.pq_average(CATS)
    assert allc['pq'] == pytest.approx((0.5 + 1.0) / 2) and allc['n'] == 2

    # a false thing on labelled ground is a FP
    pred[6:8, 0:2] = 11
    pred_seg.append(dict(id=11, category_id=1))
    stat = PQStat()
    pq_image(stat, gt, pred, gt_seg, pred_seg, CATS)
    assert (stat.tp[1], stat.fn[1], stat.fp[1]) == (1, 1, 1)
    # the stuff segment lost 4 px to it: IoU 46/50
    assert stat.iou[2] == pytest.approx(46 / 50)


def test_pq_compute_files_and_errors(tmp_path):
    gt = np.zeros((4, 4), np.int64)
    gt[:2] = 1
    gt[2:] = 2
    pred = gt.copy()
    pred[3, 3] = 0
    for name, arr in (('gt', gt), ('pred', pred)):
        (tmp_path / name).mkdir()
        Image.fromarray(id2rgb(arr)).save(tmp_path / name / 'a.png')
    seg = [dict(id=1, category_id=2), dict(id=2, category_id=1)]
    cats = [dict(id=1, name='t', isthing=1), dict(id=2, name='s', isthing=0)]
    for name in ('gt', 'pred'):
        json.dump(dict(annotations=[dict(image_id=5, file_name='a.png', segments_info=seg)],
                       categories=cats), open(tmp_path / f'{name}.json', 'w'))
    res = pq_compute(str(tmp_path / 'gt.json'), str(tmp_path / 'pred.json'),
                     str(tmp_path / 'gt'), str(tmp_path / 'pred'))
    assert res['Stuff']['pq'] == 1.0
    assert res['Things']['pq'] == pytest.approx(7 / 8)  # one pixel short, gt not VOID there
    bad = [dict(id=1, category_id=2)]  # segment 2 in the PNG but not listed
    json.dump(dict(annotations=[dict(image_id=5, file_name='a.png', segments_info=bad)],
                   categories=cats), open(tmp_path / 'pred.json', 'w'))
    with pytest.raises(DataError, match='a.png: prediction segment id 2 is in the PNG but not '
                       'in segments_info'):
        pq_compute(str(tmp_path / 'gt.json'), str(tmp_path / 'pred.json'),
                   str(tmp_path / 'gt'), str(tmp_path / 'pred'))

"""Property-based tests (hypothesis) of the pure functions where users' data vary most: Kaggle RLE,
the confusion matrix and scores, PQ matching, COCO RLE / polygon / panoptic-id conversions, each
against a brute-force reference written the slow, obvious way."""
import numpy as np
import pytest
import torch

hypothesis = pytest.importorskip('hypothesis')
from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from hypothesis.extra.numpy import arrays  # noqa: E402

from seg_ext.core.coco.formats import id2rgb, mask_to_polygons, rgb2id  # noqa: E402
from seg_ext.core.metrics import PQStat, confusion_matrix, pq_image, seg_scores  # noqa: E402
from seg_ext.core.rle import rle_decode, rle_encode  # noqa: E402

FAST = settings(max_examples=60, deadline=None)

shapes = st.tuples(st.integers(1, 23), st.integers(1, 23))


def binary_masks(shape):
    return arrays(np.uint8, shape, elements=st.integers(0, 1))


@st.composite
def any_mask(draw):
    return draw(binary_masks(draw(shapes)))


def brute_rle(mask):
    """Kaggle RLE the slow way: pixels numbered from 1 down each column, then right."""
    h, w = mask.shape
    runs, start = [], None
    for k in range(w * h):
        on = mask[k % h, k // h] != 0
        if on and start is None:
            start = k + 1
        if not on and start is not None:
            runs += [start, k + 1 - start]
            start = None
    if start is not None:
        runs += [start, w * h + 1 - start]
    return ' '.join(map(str, runs))


@FAST
@given(any_mask())
def test_rle_matches_brute_force_and_round_trips(mask):
    rle = rle_encode(mask)
    assert rle == brute_rle(mask)
    np.testing.assert_array_equal(rle_decode(rle, mask.shape), mask)


@FAST
@given(any_mask())
def test_rle_decoded_at_another_size_fills_columns_of_that_size(mask):
    """Column-major order: the same string decoded at W x H fills W-pixel columns, a sheared
    mask unless square -- why the loaders refuse an RLE for an image of another size."""
    h, w = mask.shape
    rle = rle_encode(mask)
    flat = np.zeros(h * w, np.uint8)
    for s, n in zip(*[iter(map(int, rle.split()))] * 2):
        flat[s - 1:s - 1 + n] = 1
    np.testing.assert_array_equal(rle_decode(rle, (w, h)), flat.reshape((w, h), order='F'))


@st.composite
def label_pairs(draw):
    n = draw(st.integers(1, 5))
    shape = draw(shapes)
    gt = draw(arrays(np.int64, shape, elements=st.sampled_from(list(range(n)) + [255])))
    pred = draw(arrays(np.int64, shape, elements=st.integers(0, n - 1)))
    return n, gt, pred


@FAST
@given(label_pairs())
def test_confusion_matrix_and_scores_match_brute_force(case):
    n, gt, pred = case
    cm = confusion_matrix(torch.from_numpy(pred), torch.from_numpy(gt), n).numpy()
    ref = np.zeros((n, n), np.int64)
    for g, p in zip(gt.reshape(-1).tolist(), pred.reshape(-1).tolist()):
        if g != 255:
            ref[g, p] += 1
    np.testing.assert_array_equal(cm, ref)
    scores = seg_scores(cm)
    valid = gt != 255
    for c in range(n):
        inter = np.sum((gt == c) & (pred == c) & valid)
        union = np.sum(((gt == c) | (pred == c)) & valid)
        if union:
            assert scores['IoU'][c] == pytest.approx(inter / union)
        else:
            assert np.isnan(scores['IoU'][c])
    if valid.any():
        assert scores['aAcc'] == pytest.approx(np.mean(gt[valid] == pred[valid]))


@st.composite
def panoptic_pairs(draw):
    """A ground-truth and a predicted segment-id map (0 = VOID) with 1-2 categories."""
    shape = draw(st.tuples(st.integers(2, 9), st.integers(2, 9)))
    gt = draw(arrays(np.int64, shape, elements=st.integers(0, 3)))
    pred = draw(arrays(np.int64, shape, elements=st.integers(0, 3)))
    gt_cat = {i: draw(st.integers(1, 2)) for i in range(1, 4)}
    pred_cat = {i: draw(st.integers(1, 2)) for i in range(1, 4)}
    return gt, pred, gt_cat, pred_cat


def brute_pq(gt, pred, gt_cat, pred_cat):
    """Per-category tp/fp/fn/iou by comparing every pair of segments' masks."""
    tp, fp, fn, iou_sum = {}, {}, {}, {}
    gt_ids = [g for g in np.unique(gt) if g != 0]
    pred_ids = [p for p in np.unique(pred) if p != 0]
    matched_g, matched_p = set(), set()
    for g in gt_ids:
        for p in pred_ids:
            if gt_cat[g] != pred_cat[p]:
                continue
            inter = np.sum((gt == g) & (pred == p))
            # VOID pixels of the prediction's segment are not part of the union
            union = np.sum(((gt == g) | (pred == p)) & ~((gt == 0) & (pred == p)))
            if union and inter / union > 0.5:
                c = gt_cat[g]
                tp[c] = tp.get(c, 0) + 1
                iou_sum[c] = iou_sum.get(c, 0.0) + inter / union
                matched_g.add(g)
                matched_p.add(p)
    for g in gt_ids:
        if g not in matched_g:
            fn[gt_cat[g]] = fn.get(gt_cat[g], 0) + 1
    for p in pred_ids:
        if p not in matched_p and np.sum((pred == p) & (gt == 0)) / np.sum(pred == p) <= 0.5:
            fp[pred_cat[p]] = fp.get(pred_cat[p], 0) + 1
    return tp, fp, fn, iou_sum


@FAST
@given(panoptic_pairs())
def test_pq_matching_matches_brute_force(case):
    gt, pred, gt_cat, pred_cat = case
    cats = {1: dict(isthing=1), 2: dict(isthing=0)}
    stat = PQStat()
    pq_image(stat, gt, pred,
             [dict(id=g, category_id=gt_cat[g]) for g in np.unique(gt) if g != 0],
             [dict(id=p, category_id=pred_cat[p]) for p in np.unique(pred) if p != 0], cats)
    tp, fp, fn, iou = brute_pq(gt, pred, gt_cat, pred_cat)
    for c in cats:
        assert stat.tp[c] == tp.get(c, 0)
        assert stat.fp[c] == fp.get(c, 0)
        assert stat.fn[c] == fn.get(c, 0)
        assert stat.iou[c] == pytest.approx(iou.get(c, 0.0))


@FAST
@given(arrays(np.int64, st.tuples(st.integers(1, 6), st.integers(1, 6)),
              elements=st.integers(0, 256 ** 3 - 1)))
def test_panoptic_id_rgb_round_trip(ids):
    rgb = id2rgb(ids)
    assert rgb.dtype == np.uint8 and rgb.shape == ids.shape + (3, )
    np.testing.assert_array_equal(rgb2id(rgb), ids)


@FAST
@given(any_mask())
def test_coco_rle_round_trip(mask):
    mask_utils = pytest.importorskip('pycocotools.mask')
    from seg_ext.core.coco.formats import encode_rle
    rle = encode_rle(mask)
    assert rle['size'] == list(mask.shape)
    np.testing.assert_array_equal(
        mask_utils.decode(dict(rle, counts=rle['counts'].encode('ascii'))), mask)
    assert int(mask_utils.area(dict(rle, counts=rle['counts'].encode()))) == int(mask.sum())


@FAST
@given(st.integers(8, 30), st.integers(8, 30), st.data())
def test_coco_polygon_of_a_rectangle_rasterises_to_it(h, w, data):
    """Polygons trace pixel edges: a rectangle's polygon, rasterised by pycocotools, is exactly
    the rectangle."""
    mask_utils = pytest.importorskip('pycocotools.mask')
    y0 = data.draw(st.integers(0, h - 1))
    x0 = data.draw(st.integers(0, w - 1))
    y1 = data.draw(st.integers(y0 + 1, h))
    x1 = data.draw(st.integers(x0 + 1, w))
    mask = np.zeros((h, w), np.uint8)
    mask[y0:y1, x0:x1] = 1
    polys = mask_to_polygons(mask)
    assert len(polys) == 1
    raster = mask_utils.decode(mask_utils.merge(mask_utils.frPyObjects(polys, h, w)))
    np.testing.assert_array_equal(raster, mask)

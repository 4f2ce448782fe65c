"""tools/d2_predict.py end to end on CPU: a briefly trained shapes Mask R-CNN / Panoptic FPN
predicts the val images; pycocotools' COCOeval on its COCO results json reproduces the
``--eval-only`` mask AP, and ``pq_compute`` on its panoptic PNGs + json the ``--eval-only`` PQ;
one-line errors for unreadable inputs and bad weights."""
import json
import os
import os.path as osp
import re
import subprocess
import sys

import cv2
import numpy as np
import pytest

pytestmark = pytest.mark.slow
pytest.importorskip('detectron2', reason="detectron2 is not installed (extra 'd2')")

from test_tools.test_d2_train_net import SMALL, shapes_opts  # noqa: E402

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
TRAIN = osp.join(ROOT, 'tools', 'd2_train_net.py')
PREDICT = osp.join(ROOT, 'tools', 'd2_predict.py')
MASK_RCNN = osp.join(ROOT, 'configs', 'd2', 'mask_rcnn_R_18_FPN_shapes_demo.yaml')
PANOPTIC = osp.join(ROOT, 'configs', 'd2', 'panoptic_fpn_R_18_shapes_demo.yaml')
BRIEF = ['SOLVER.MAX_ITER', '4', 'SOLVER.BASE_LR', '0.01', 'SEED', '0']


def run(tool, args, cwd, ok=True):
    env = dict(os.environ, PYTHONWARNINGS='ignore')
    proc = subprocess.run([sys.executable, tool] + args, cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=900)
    if ok:
        assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return proc


def copypaste(log, task):
    """The ``--eval-only`` numbers of ``task`` from Detectron2's copypaste lines."""
    m = re.search(rf'copypaste: Task: {task}\n.*copypaste: ([A-Za-z0-9_,]+)\n'
                  r'.*copypaste: ([-0-9.,na]+)', log)
    return dict(zip(m.group(1).split(','), map(float, m.group(2).split(','))))


@pytest.fixture(scope='module')
def mask_rcnn(shapes_root, tmp_path_factory):
    out = str(tmp_path_factory.mktemp('mask_rcnn'))
    data = shapes_opts(shapes_root, 'mask_folder', [('shapes_train', 'train'),
                                                    ('shapes_val', 'val')])
    opts = SMALL + data + ['MODEL.ROI_HEADS.SCORE_THRESH_TEST', '0.0']
    run(TRAIN, ['--config-file', MASK_RCNN, 'OUTPUT_DIR', out] + BRIEF + opts, out)
    weights = osp.join(out, 'model_final.pth')
    log = run(TRAIN, ['--config-file', MASK_RCNN, '--eval-only', 'MODEL.WEIGHTS', weights,
                      'OUTPUT_DIR', osp.join(out, 'eval')] + opts, out)
    return weights, opts, out, log.stdout + log.stderr


def test_coco_results_reproduce_eval_only_mask_ap(mask_rcnn, shapes_root):
    from pycocotools.coco import COCO
    from pycocotools.cocoeval import COCOeval
    from pycocotools.mask import decode

    weights, opts, out, log = mask_rcnn
    pred = osp.join(out, 'pred')
    proc = run(PREDICT, ['--config-file', MASK_RCNN, '--input', f'{shapes_root}/val/PNGImages',
                         '--output', pred, '--dataset', 'shapes_val', '--batch-size', '2',
                         '--device', 'cpu', 'MODEL.WEIGHTS', weights] + opts, out)
    assert '3 images predicted on cpu' in proc.stdout
    assert 'predict: 100%' in proc.stderr  # the progress bar
    results = json.load(open(osp.join(pred, 'coco_instances_results.json')))
    evaluated = json.load(open(osp.join(out, 'eval', 'inference', 'shapes_val',
                                        'coco_instances_results.json')))
    assert len(results) == len(evaluated) > 0
    gt = COCO(osp.join(out, 'eval', 'inference', 'shapes_val', 'shapes_val_coco_format.json'))
    ev = COCOeval(gt, gt.loadRes(results), 'segm')
    ev.evaluate()
    ev.accumulate()
    ev.summarize()
    expected = copypaste(log, 'segm')['AP']
    assert ev.stats[0] * 100 == pytest.approx(expected, abs=1e-3)
    box = COCOeval(gt, gt.loadRes(results), 'bbox')
    box.evaluate()
    box.accumulate()
    box.summarize()
    assert box.stats[0] * 100 == pytest.approx(copypaste(log, 'bbox')['AP'], abs=1e-3)
    # (a 4-iteration model scores ~0 AP: the records themselves are the evaluator's, and
    # tests/test_d2/test_prediction_writer.py scores ground-truth-like predictions at AP 100)
    key = lambda r: (r['image_id'], -r['score'], r['bbox'])  # noqa: E731
    for a, b in zip(sorted(results, key=key), sorted(evaluated, key=key)):
        assert (a['image_id'], a['category_id']) == (b['image_id'], b['category_id'])
        assert a['score'] == pytest.approx(b['score'], abs=1e-5)
        assert a['bbox'] == pytest.approx(b['bbox'], abs=1e-3)
        assert a['segmentation'] == b['segmentation']

    # the instance-id PNG of an image paints its detections' RLE masks (higher score on top)
    first = sorted(os.listdir(f'{shapes_root}/val/PNGImages'))[0]
    stem = osp.splitext(first)[0]
    ids = cv2.imread(osp.join(pred, 'instances', stem + '.png'), cv2.IMREAD_UNCHANGED)
    mine = sorted((r for r in results if r['image_id'] == 0), key=lambda r: r['score'])
    expect = np.zeros(ids.shape, np.uint16)
    for r in mine:
        expect[decode(r['segmentation']).astype(bool)] = r['instance_id']
    assert ids.dtype == np.uint16 and (ids == expect).all()
    vis = cv2.imread(osp.join(pred, 'vis', stem + '.png'))
    assert vis.shape == cv2.imread(f'{shapes_root}/val/PNGImages/{first}').shape


def test_panoptic_outputs_reproduce_eval_only_pq(shapes_root, tmp_path):
    from seg_ext.core.metrics.panoptic_quality import pq_compute

    out = str(tmp_path)
    data = shapes_opts(shapes_root, 'coco_panoptic', [('shapes_panoptic_train', 'train'),
                                                      ('shapes_panoptic_val', 'val')])
    opts = SMALL + data
    # freshly initialised weights (a checkpoint written here): the stuff head's random labels
    # still make segments that match, and the comparison is the pipeline's, not the model's
    import torch
    from detectron2.modeling import build_model

    from seg_ext.d2.trainer import load_config
    torch.manual_seed(0)
    weights = osp.join(out, 'init.pth')
    torch.save({'model': build_model(load_config(PANOPTIC, opts + ['MODEL.DEVICE', 'cpu']))
                .state_dict()}, weights)
    log = run(TRAIN, ['--config-file', PANOPTIC, '--eval-only', 'MODEL.WEIGHTS', weights,
                      'OUTPUT_DIR', osp.join(out, 'eval')] + opts, out)
    m = re.search(r'copypaste: PQ,SQ,RQ.*\n.*copypaste: ([0-9.]+),', log.stdout + log.stderr)
    pred = osp.join(out, 'pred')
    run(PREDICT, ['--config-file', PANOPTIC, '--output', pred, '--dataset',
                  'shapes_panoptic_val', 'MODEL.WEIGHTS', weights] + opts, out)
    res = pq_compute(f'{shapes_root}/annotations/panoptic_val.json',
                     osp.join(pred, 'panoptic_predictions.json'),
                     gt_folder=f'{shapes_root}/panoptic_val',
                     pred_folder=osp.join(pred, 'panoptic'))
    assert res['All']['pq'] * 100 == pytest.approx(float(m.group(1)), abs=1e-3)
    # (random weights score PQ 0 here; test_prediction_writer.py scores the ground truth
    # written as predictions at PQ 1: category ids and segments are right)
    assert len(os.listdir(osp.join(pred, 'panoptic'))) == 3


def test_one_line_errors(mask_rcnn, shapes_root, tmp_path, capsys):
    """Through the tool's entry (``run_tool``), in this process: ``--input`` paths end at the
    first config key; an unreadable image, missing or truncated weights, no input."""
    from seg_ext.core.cli import run_tool
    from seg_ext.d2.predict import parse_args, run

    weights, opts, out, _ = mask_rcnn
    args = parse_args(['--config-file', MASK_RCNN, '--output', 'o', '--input', 'a.png', 'b',
                       'MODEL.WEIGHTS', 'w.pth', 'SEED', '1'])
    assert args.input == ['a.png', 'b'] and args.opts == ['MODEL.WEIGHTS', 'w.pth', 'SEED', '1']

    def fails(args):
        argv = ['--config-file', MASK_RCNN, '--output', str(tmp_path / 'o')] + args + opts
        with pytest.raises(SystemExit) as e:
            run_tool(lambda: run(argv), MASK_RCNN)
        assert e.value.code == 1
        return capsys.readouterr().err.strip().splitlines()[-1]

    bad = tmp_path / 'bad.png'
    bad.write_bytes(b'\x89PNG\r\n')
    assert fails(['--input', str(bad), 'MODEL.WEIGHTS', weights]) == (
        f'error: {bad}: cannot be decoded as an image (6 bytes; corrupt or truncated file, or '
        'not an image format OpenCV reads)')
    img = f'{shapes_root}/val/PNGImages'
    assert fails(['--input', img, 'MODEL.WEIGHTS', str(tmp_path / 'none.pth')]) == (
        f'error: {tmp_path / "none.pth"}: weights file not found')
    cut = tmp_path / 'cut.pth'
    cut.write_bytes(open(weights, 'rb').read()[:1000])
    assert fails(['--input', img, 'MODEL.WEIGHTS', str(cut)]).startswith(
        f'error: {cut}: cannot be read as a checkpoint')
    assert fails(['--input', str(tmp_path / 'nope')]).endswith('input image or folder not found')
    assert fails(['MODEL.WEIGHTS', weights]) == (
        f'error: {MASK_RCNN}: nothing to predict: give --input (or --dataset)')


def test_torchscript_export_matches_default_predictor(mask_rcnn, shapes_root, tmp_path):
    """tools/deployment/d2_export_torchscript.py (Detectron2's TracingAdapter): the traced model,
    run with DefaultPredictor's pre/post-processing, gives DefaultPredictor's detections."""
    import torch
    from detectron2.engine import DefaultPredictor

    from seg_ext.d2.predictor import read_bgr
    from seg_ext.d2.torchscript import TorchScriptDetector
    from seg_ext.d2.trainer import load_config

    weights, opts, out, _ = mask_rcnn
    images = sorted(os.listdir(f'{shapes_root}/val/PNGImages'))
    ts = str(tmp_path / 'model.ts')
    tool = osp.join(ROOT, 'tools', 'deployment', 'd2_export_torchscript.py')
    proc = run(tool, ['--config-file', MASK_RCNN, '--sample-image',
                      f'{shapes_root}/val/PNGImages/{images[0]}', '--output', ts,
                      'MODEL.WEIGHTS', weights] + opts, str(tmp_path))
    assert "outputs ['pred_boxes', 'pred_classes', 'pred_masks', 'scores']" in proc.stdout

    cfg = load_config(MASK_RCNN, opts + ['MODEL.WEIGHTS', weights, 'MODEL.DEVICE', 'cpu'])
    reference, traced = DefaultPredictor(cfg), TorchScriptDetector(ts)
    compared = 0
    for name in images:
        img = read_bgr(f'{shapes_root}/val/PNGImages/{name}')
        a, b = reference(img)['instances'], traced(img)['instances']
        assert len(a) == len(b) > 0
        assert torch.allclose(a.pred_boxes.tensor, b.pred_boxes.tensor, atol=1e-3)
        assert torch.allclose(a.scores, b.scores, atol=1e-5)
        assert torch.equal(a.pred_classes, b.pred_classes)
        assert a.pred_masks.shape == b.pred_masks.shape
        assert (a.pred_masks != b.pred_masks).float().mean() < 1e-3
        compared += len(a)
    assert compared > 3

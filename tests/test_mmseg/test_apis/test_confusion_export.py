"""SegMetric/ChangeMetric keep the dataset confusion matrix; save_confusion_matrices writes it."""
import numpy as np
import torch
from mmengine.evaluator import Evaluator
from mmengine.structures import PixelData
from mmseg.structures import SegDataSample

from seg_ext.core.confusion_report import read_confusion_csv
from seg_ext.mmseg.apis.confusion_export import save_confusion_matrices
from seg_ext.mmseg.evaluation import ChangeMetric, SegMetric


def sample(pred, gt, name):
    s = SegDataSample()
    s.pred_sem_seg = PixelData(data=torch.as_tensor(pred, dtype=torch.float32)[None])
    s.gt_sem_seg = PixelData(data=torch.as_tensor(gt)[None])
    s.set_metainfo(dict(img_path=f'/d/{name}', seg_map_path=f'/d/{name}'))
    return s


def test_seg_metric_keeps_and_writes_the_dataset_matrix(tmp_path):
    # 3 classes, two 2x3 images, one ignored pixel
    gt1, pred1 = np.array([[0, 0, 1], [2, 2, 255]]), np.array([[0, 1, 1], [2, 0, 0]])
    gt2, pred2 = np.array([[1, 1, 1], [0, 2, 2]]), np.array([[1, 2, 1], [0, 2, 2]])
    # rows = gt, cols = pred, counted by hand:
    # gt0: (0->0) img1 x1, (0->1) img1 x1, (0->0) img2 x1          -> [2, 1, 0]
    # gt1: (1->1) img1 x1, img2 (1->1) x2, (1->2) x1               -> [0, 3, 1]
    # gt2: (2->2) img1 x1, (2->0) img1 x1, img2 (2->2) x2          -> [1, 0, 3]
    expected = np.array([[2, 1, 0], [0, 3, 1], [1, 0, 3]])
    metric = SegMetric()
    assert metric.last_confusion_matrix is None
    ev = Evaluator(metric)
    ev.dataset_meta = dict(classes=('sky', 'road', 'car'))
    ev.process([sample(pred1, gt1, 'a.png'), sample(pred2, gt2, 'b.png')])
    m = ev.evaluate(2)
    np.testing.assert_array_equal(metric.last_confusion_matrix, expected)
    assert m['aAcc'] == round(100 * 8 / 11, 2)
    paths = save_confusion_matrices(ev, str(tmp_path))
    assert [p.rsplit('/', 1)[1] for p in paths] == ['confusion_matrix.csv', 'confusion_matrix.png']
    cm, classes = read_confusion_csv(paths[0])
    assert classes == ['sky', 'road', 'car']
    np.testing.assert_array_equal(cm, expected)


def test_change_metric_with_prefix(tmp_path):
    gt, pred = np.array([[0, 1], [1, 1]]), np.array([[1, 1], [0, 1]])
    metrics = [ChangeMetric(), ChangeMetric(prefix='noCRF')]
    ev = Evaluator(metrics)
    ev.dataset_meta = dict(classes=('unchanged', 'changed'))
    ev.process([sample(pred, gt, 'a.png')])
    ev.evaluate(1)
    paths = save_confusion_matrices(ev, str(tmp_path))
    assert sorted(p.rsplit('/', 1)[1] for p in paths) == [
        'confusion_matrix.csv', 'confusion_matrix.png', 'noCRF_confusion_matrix.csv',
        'noCRF_confusion_matrix.png']
    for stem in ('confusion_matrix', 'noCRF_confusion_matrix'):
        cm, _ = read_confusion_csv(str(tmp_path / f'{stem}.csv'))
        np.testing.assert_array_equal(cm, [[0, 1], [1, 2]])


def test_nothing_written_before_evaluation(tmp_path):
    ev = Evaluator(SegMetric())
    assert save_confusion_matrices(ev, str(tmp_path)) == []
    assert list(tmp_path.iterdir()) == []

"""The post-processing search on hand-made cached outputs, scores computed by hand."""
import numpy as np
import torch

from seg_ext.mmseg.apis.postprocess_tuning import GATE_OFF, Cached, search, write_snippet


def logit(p):
    return float(np.log(p / (1 - p)))


def samples():
    # image A: empty ground truth, one pixel at p=0.6; the branch thinks it is empty (0.8)
    a = torch.full((1, 4, 4), logit(0.1))
    a[0, 0, 0] = logit(0.6)
    # image B: a 2x2 salt body predicted at p=0.9
    b = torch.full((1, 4, 4), logit(0.1))
    b[0, 1:3, 1:3] = logit(0.9)
    gt_b = torch.zeros(4, 4, dtype=torch.long)
    gt_b[1:3, 1:3] = 1
    img = np.zeros((4, 4, 1), np.float32)
    return [Cached(a, 0.8, torch.zeros(4, 4, dtype=torch.long), img), Cached(b, 0.2, gt_b, img)]


def test_joint_search_by_hand():
    rows = search(samples(), 2, 'TGS', thresholds=(0.3, 0.7), min_areas=(0, 3),
                  empty_thresholds=(0.5, GATE_OFF))
    assert len(rows) == 8
    table = {(r['threshold'], r['min_area'], r['empty_threshold']): r['TGS'] for r in rows}
    # A's false pixel scores 0 (B is perfect: 100) unless the threshold, the area or the gate
    # removes it
    assert table[(0.3, 0, GATE_OFF)] == 50.0
    assert table[(0.7, 0, GATE_OFF)] == table[(0.3, 3, GATE_OFF)] == 100.0
    assert table[(0.3, 0, 0.5)] == 100.0
    best = rows[0]  # ties keep the first setting of the grid
    assert (best['threshold'], best['min_area'], best['empty_threshold']) == (0.3, 0, 0.5)
    # mIoU of the 50-point row: background IoU 27/28, salt IoU 4/5
    row = next(r for r in rows if (r['threshold'], r['min_area'], r['empty_threshold'])
               == (0.3, 0, GATE_OFF))
    assert row['mIoU'] == round(100 * (27 / 28 + 4 / 5) / 2, 2)


def test_snippet_holds_the_settings(tmp_path):
    best = dict(threshold=0.45, min_area=20, empty_threshold=0.7, TGS=80.0, mIoU=70.0, F1=60.0,
                FWIoU=90.0, crf=dict(type='DenseCRF', iterations=5,
                                     gaussian=dict(sxy=1.0, compat=1.0), bilateral=None))
    path = write_snippet(str(tmp_path / 'p.py'), 'configs/unet_salt_tgs_recipe.py', best, 'TGS',
                         'fold1', with_empty=True)
    from mmengine.config import Config
    cfg = Config.fromfile(path)
    assert cfg.model.decode_head.threshold == 0.45
    assert cfg.model.decode_head.empty_branch == dict(loss_weight=0.05, threshold=0.7)
    assert cfg.postprocess.min_area == 20
    assert cfg.crf.enabled and cfg.crf.bilateral is None and cfg.crf.gaussian.sxy == 1.0


def test_min_area_without_crf_in_test_time_wrapper():
    """``postprocess=dict(min_area=N)`` as tools/test.py applies it: CRFRefiner without a CRF."""
    import pytest
    from mmengine.config import Config
    from mmengine.structures import PixelData
    from mmseg.structures import SegDataSample

    from seg_ext.core.errors import ConfigError
    from seg_ext.mmseg.apis import runner_setup
    from seg_ext.mmseg.models.segmentors import CRFRefiner

    cfg = Config(dict(model=dict(type='EncoderDecoder'), postprocess=dict(min_area=5),
                      test_evaluator=dict(type='SegMetric')))
    area = runner_setup.min_area_setting(cfg, 'c.py')
    runner_setup.enable_crf(cfg, None, min_area=area)
    assert cfg.model.type == 'CRFRefiner' and cfg.model.crf is None and cfg.model.min_area == 5
    assert [e.get('prefix') for e in cfg.test_evaluator] == [None, 'raw']
    with pytest.raises(ConfigError, match='postprocess takes min_area'):
        runner_setup.min_area_setting(Config(dict(postprocess=dict(area=3))), 'c.py')

    class Stub(torch.nn.Module):  # refine() needs no model output; BaseTTAModel a test_step
        def test_step(self, data):
            return []

    refiner = CRFRefiner(module=Stub(), min_area=5)
    pred = torch.zeros(1, 8, 8, dtype=torch.long)
    pred[0, 0, 0:2] = 1  # 2 px: removed
    pred[0, 4:8, 4:8] = 1  # 16 px: kept
    s = SegDataSample()
    s.pred_sem_seg = PixelData(data=pred.clone())
    s.seg_logits = PixelData(data=pred.float())
    refiner.refine([s], [np.zeros((8, 8, 1), np.float32)])
    assert s.pred_sem_seg.data.sum() == 16 and s.pred_sem_seg.data[0, 0, 0] == 0
    assert torch.equal(s.pred_sem_seg_raw.data, pred)

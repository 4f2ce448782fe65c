"""Detectron2 side: SEG_EXT.VAL_LOSS writes the validation loss, keeps model_best.pth and stops
early (tools/d2_train_net.py, semantic FPN on a small synthetic TGS folder)."""
import json
import os.path as osp
import shutil

import pytest

from .test_d2_train_net import ROOT, SMALL, run

pytestmark = pytest.mark.slow


def test_validation_loss_and_early_stop(tgs_root, tmp_path):
    root = str(tmp_path / 'tgs')
    shutil.copytree(tgs_root, root)
    out = str(tmp_path / 'o')
    cfg = osp.join(ROOT, 'configs', 'd2', 'semantic_R_18_FPN_tgs_salt_demo.yaml')
    # MIN_DELTA so large that only the first validation counts as an improvement
    log = run(['--config-file', cfg, 'SOLVER.MAX_ITER', '12', 'OUTPUT_DIR', out,
               'SEG_EXT.VAL_LOSS.PERIOD', '2', 'SEG_EXT.VAL_LOSS.PATIENCE', '2',
               'SEG_EXT.VAL_LOSS.MIN_DELTA', '1e6', 'SEG_EXT.LOG_PERIOD', '1',
               'SEG_EXT.DATASETS.tgs_salt_demo_train.ROOT', root,
               'SEG_EXT.DATASETS.tgs_salt_demo_val.ROOT', root] + SMALL, str(tmp_path))
    assert 'Starting training from iteration 0' in log
    assert 'Early stop at iteration 6' in log and 'Exception during training' not in log
    assert osp.isfile(osp.join(out, 'model_best.pth'))
    assert not osp.isfile(osp.join(out, 'model_final.pth'))
    records = [json.loads(line) for line in open(osp.join(out, 'metrics.json'))]
    val = [(r['iteration'], r['validation_loss']) for r in records if 'validation_loss' in r]
    assert [i for i, _ in val] == [1, 3, 5] and all(v > 0 for _, v in val)

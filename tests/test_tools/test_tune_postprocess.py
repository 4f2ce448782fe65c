"""tools/analysis_tools/tune_postprocess.py: the settings it writes, run by tools/test.py on the
same split, reproduce the score it reported."""
import json
import os
import os.path as osp
import subprocess
import sys

import pytest
import torch
from mmengine.config import Config
from mmseg.registry import MODELS

from conftest import repo_path

pytestmark = pytest.mark.slow

OPTS = ['model.backbone.depth=18', 'model.decode_head.decoder_channels=[16,16,16,8,8]',
        'model.decode_head.channels=8', 'model.backbone.norm_cfg.type=BN',
        'model.decode_head.norm_cfg.type=BN', 'test_dataloader.batch_size=4',
        'test_dataloader.num_workers=0', 'test_dataloader.persistent_workers=False',
        'test_dataloader.dataset.ann_file=splits/fold0_val.txt']


def test_tuned_settings_reproduce_the_reported_score(tgs_root, tmp_path):
    config = repo_path('configs', 'unet_salt_tgs_recipe.py')
    opts = OPTS + [f'test_dataloader.dataset.data_root={tgs_root}']
    cfg = Config.fromfile(config)
    cfg.model.backbone.depth = 18
    cfg.model.decode_head.decoder_channels = [16, 16, 16, 8, 8]
    cfg.model.decode_head.channels = 8
    cfg.model.backbone.norm_cfg = cfg.model.decode_head.norm_cfg = dict(type='BN')
    torch.manual_seed(3)
    model = MODELS.build(cfg.model)
    model.init_weights()
    with torch.no_grad():  # probabilities around 0.5 and varied empty probabilities
        model.decode_head.conv_seg.bias.zero_()
        model.decode_head.empty_cls.weight.mul_(20)
    ckpt = str(tmp_path / 'model.pth')
    torch.save({'state_dict': model.state_dict(), 'meta': {}}, ckpt)
    snippet = str(tmp_path / 'post.py')
    env = dict(os.environ, PYTHONWARNINGS='ignore')
    proc = subprocess.run(
        [sys.executable, repo_path('tools', 'analysis_tools', 'tune_postprocess.py'), config,
         ckpt, '--metric', 'TGS', '--thresholds', '0.3', '0.5', '0.7', '--min-areas', '0', '30',
         '--empty-thresholds', '0.5', '1.01', '--crf-gaussian', '1.0', '--crf-compat', '1.0',
         '--out-config', snippet, '--cfg-options'] + opts,
        capture_output=True, text=True, cwd=str(tmp_path), timeout=600, env=env)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    result = json.load(open(str(tmp_path / 'post.json')))
    assert len(result['rows']) == 3 * 2 * 2 * 2
    best = result['best']
    text = open(snippet).read()
    assert f"_base_ = [{osp.abspath(config)!r}]" in text
    assert f"postprocess = dict(min_area={best['min_area']})" in text

    json_out = str(tmp_path / 'metrics.json')
    proc = subprocess.run(
        [sys.executable, repo_path('tools', 'test.py'), snippet, ckpt, '--work-dir',
         str(tmp_path / 'test'), '--json', json_out, '--cfg-options'] + opts,
        capture_output=True, text=True, cwd=str(tmp_path), timeout=600, env=env)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    metrics = json.load(open(json_out))
    metrics = metrics.get('metrics', metrics)
    assert metrics['TGS'] == pytest.approx(best['TGS'], abs=0.011)
    assert metrics['mIoU'] == pytest.approx(best['mIoU'], abs=0.011)

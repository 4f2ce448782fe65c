"""Detectron2's own entry points on seg_ext's configs: stock ``get_cfg()`` +
``add_seg_ext_config`` + ``merge_from_file`` and ``DefaultPredictor`` with a checkpoint written
here (freshly initialised weights), in this process and in a fresh interpreter that does only the
documented ``import seg_ext.d2`` first."""
import glob
import os.path as osp
import subprocess
import sys

import numpy as np
import pytest
import torch
from detectron2.config import get_cfg
from detectron2.engine import DefaultPredictor
from detectron2.modeling import build_model

import seg_ext.d2  # noqa: F401
from seg_ext.d2 import add_seg_ext_config

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
D2_CONFIGS = sorted(glob.glob(osp.join(ROOT, 'configs', 'd2', '*.yaml')))
SMALL = ['INPUT.MIN_SIZE_TEST', '64', 'INPUT.MAX_SIZE_TEST', '64', 'MODEL.DEVICE', 'cpu']


def stock_cfg(path, weights=''):
    cfg = get_cfg()
    add_seg_ext_config(cfg)
    cfg.merge_from_file(path)
    cfg.merge_from_list(SMALL + ['MODEL.WEIGHTS', weights])
    return cfg


# the R50 models take 10-15 s each on 2 shared cores: slow
@pytest.mark.parametrize('path', [pytest.param(p, marks=pytest.mark.slow) if 'R_50' in p else p
                                  for p in D2_CONFIGS], ids=osp.basename)
def test_default_predictor_runs_on_every_config(path, tmp_path):
    torch.manual_seed(0)
    model = build_model(stock_cfg(path))
    weights = str(tmp_path / 'model.pth')
    torch.save({'model': model.state_dict()}, weights)

    predictor = DefaultPredictor(stock_cfg(path, weights))
    for k, v in model.state_dict().items():  # the checkpoint was loaded, not a fresh init
        assert torch.equal(predictor.model.state_dict()[k], v), k
    image = np.random.default_rng(0).integers(0, 255, (48, 80, 3), dtype=np.uint8)
    out = predictor(image)
    if 'semantic' in path:
        assert set(out) == {'sem_seg'} and tuple(out['sem_seg'].shape) == (2, 48, 80)
    else:
        assert out['instances'].image_size == (48, 80)
        assert out['instances'].pred_masks.shape[1:] == (48, 80)
    if 'panoptic' in path:
        pan, segments = out['panoptic_seg']
        assert tuple(pan.shape) == (48, 80)
        assert sorted(s['id'] for s in segments) == sorted(set(pan.unique().tolist()) - {0})


DEMO = r'''
import sys
import numpy as np
import seg_ext.d2  # the one documented line: Detectron2's shims, before detectron2.*
from detectron2.config import get_cfg
from detectron2.engine import DefaultPredictor
from detectron2.utils.visualizer import Visualizer
from seg_ext.d2 import add_seg_ext_config

cfg = get_cfg()
add_seg_ext_config(cfg)
cfg.merge_from_file(sys.argv[1])
cfg.merge_from_list(['MODEL.WEIGHTS', sys.argv[2], 'MODEL.DEVICE', 'cpu',
                     'INPUT.MIN_SIZE_TEST', '64', 'INPUT.MAX_SIZE_TEST', '64'])
predictor = DefaultPredictor(cfg)
image = np.full((40, 60, 3), 128, np.uint8)
out = predictor(image)
vis = Visualizer(image[:, :, ::-1]).draw_instance_predictions(out['instances'].to('cpu'))
print('ok', out['instances'].image_size, vis.get_image().shape)
'''


@pytest.mark.slow  # a fresh interpreter importing detectron2
def test_demo_path_in_a_fresh_interpreter(tmp_path):
    """What a user of Detectron2's demo does: ``import seg_ext.d2`` then the stock API."""
    path = osp.join(ROOT, 'configs', 'd2', 'mask_rcnn_R_18_FPN_shapes_demo.yaml')
    weights = str(tmp_path / 'model.pth')
    torch.save({'model': build_model(stock_cfg(path)).state_dict()}, weights)
    proc = subprocess.run([sys.executable, '-c', DEMO, path, weights], capture_output=True,
                          text=True, cwd=ROOT, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert proc.stdout.strip().splitlines()[-1] == 'ok (40, 60) (40, 60, 3)'


def test_without_add_seg_ext_config_the_key_error_names_the_key():
    with pytest.raises(KeyError, match='Non-existent config key: SEG_EXT'):
        get_cfg().merge_from_file(D2_CONFIGS[0])


def test_torchscript_export_refuses_panoptic_fpn():
    from seg_ext.core.errors import ConfigError
    from seg_ext.d2.torchscript import export_torchscript
    path = osp.join(ROOT, 'configs', 'd2', 'panoptic_fpn_R_18_shapes_demo.yaml')
    cfg = stock_cfg(path)
    with pytest.raises(ConfigError, match=r'panoptic_fpn_R_18_shapes_demo\.yaml: PanopticFPN: '
                       'TorchScript export \\(TracingAdapter\\) supports the R-CNN models'):
        export_torchscript(cfg, build_model(cfg), np.zeros((32, 32, 3), np.uint8), 'x.ts', path)

"""seg_ext's config keys on Detectron2's stock ``get_cfg()`` (``add_seg_ext_config``), and the
configs of ``configs/d2`` loading through it."""
import glob
import os.path as osp

import pytest
from detectron2.config import get_cfg

import seg_ext.d2  # noqa: F401
from seg_ext.core.errors import ConfigError
from seg_ext.d2 import add_seg_ext_config
from seg_ext.d2.datasets import register_from_cfg
from seg_ext.d2.trainer import load_config

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
D2_CONFIGS = sorted(glob.glob(osp.join(ROOT, 'configs', 'd2', '*.yaml')))
BASES = sorted(glob.glob(osp.join(ROOT, 'configs', 'd2', '_base_', '**', '*.yaml'),
                         recursive=True))


@pytest.mark.parametrize('path', D2_CONFIGS, ids=osp.basename)
def test_stock_get_cfg_with_add_seg_ext_config_loads_every_config(path):
    cfg = get_cfg()  # Detectron2's own
    add_seg_ext_config(cfg)
    cfg.merge_from_file(path)
    if 'panoptic' in path:
        assert cfg.MODEL.META_ARCHITECTURE == 'PanopticFPN' and cfg.MODEL.MASK_ON
    elif 'semantic' in path:
        assert cfg.MODEL.META_ARCHITECTURE == 'SemanticSegmentor'
    else:
        assert cfg.MODEL.META_ARCHITECTURE == 'GeneralizedRCNN' and cfg.MODEL.MASK_ON
    # the second-level base (Base-RCNN-FPN.yaml) came through too
    assert cfg.MODEL.BACKBONE.NAME == 'build_resnet_fpn_backbone'
    for name in cfg.DATASETS.TRAIN + cfg.DATASETS.TEST:
        assert name in cfg.SEG_EXT.DATASETS, name
    if 'shapes_demo' in path or 'tgs' in path:
        assert cfg.MODEL.WEIGHTS == '' and cfg.MODEL.RESNETS.NORM == 'BN'  # from scratch


@pytest.mark.parametrize('path', D2_CONFIGS, ids=osp.basename)
def test_stock_get_cfg_alone_rejects_the_seg_ext_keys(path):
    with pytest.raises(KeyError, match='Non-existent config key: SEG_EXT'):
        get_cfg().merge_from_file(path)


@pytest.mark.parametrize('path', BASES, ids=lambda p: osp.relpath(p, ROOT))
def test_model_zoo_copies_equal_the_installed_model_zoo(path):
    from detectron2 import model_zoo
    name = osp.relpath(path, osp.join(ROOT, 'configs', 'd2', '_base_'))
    with open(path, 'rb') as ours, open(model_zoo.get_config_file(name), 'rb') as theirs:
        assert ours.read() == theirs.read()


def test_unknown_key_is_a_config_error_naming_the_file(tmp_path):
    bad = tmp_path / 'bad.yaml'
    bad.write_text('_BASE_: "{}"\nMODEL:\n  MASKK_ON: True\n'.format(D2_CONFIGS[0]))
    with pytest.raises(ConfigError, match=r'bad\.yaml: Non-existent config key: MODEL\.MASKK_ON'):
        load_config(str(bad))
    missing = r'shapes_demo\.yaml: Non-existent key: SOLVER\.MAX_ITERS'
    with pytest.raises(ConfigError, match=missing):
        load_config(D2_CONFIGS[0], ['SOLVER.MAX_ITERS', '3'])


def test_unknown_dataset_type_is_refused():
    cfg = add_seg_ext_config(get_cfg())
    cfg.SEG_EXT.DATASETS.bad_ds = type(cfg)({'TYPE': 'voc'})
    with pytest.raises(KeyError, match="SEG_EXT.DATASETS.bad_ds.TYPE must be one of"):
        register_from_cfg(cfg)

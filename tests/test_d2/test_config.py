import glob
import os.path as osp

import pytest

import seg_ext.d2  # noqa: F401
from seg_ext.d2.config import get_cfg, resolve_base

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
D2_CONFIGS = sorted(glob.glob(osp.join(ROOT, 'configs', 'd2', '*.yaml')))


def test_model_zoo_base_resolves_to_installed_file():
    import detectron2
    path = resolve_base('configs/d2/model_zoo://COCO-InstanceSegmentation/'
                        'mask_rcnn_R_50_FPN_3x.yaml')
    assert path.startswith(osp.dirname(detectron2.__file__)) and osp.isfile(path)
    assert resolve_base('configs/d2/other.yaml') == 'configs/d2/other.yaml'
    with pytest.raises(FileNotFoundError, match='model_zoo://Nope/x.yaml: not in the installed'):
        resolve_base('model_zoo://Nope/x.yaml')


@pytest.mark.parametrize('path', D2_CONFIGS, ids=osp.basename)
def test_d2_configs_inherit_the_model_zoo(path):
    cfg = get_cfg()
    cfg.merge_from_file(path)
    base = open(path).read().split('_BASE_:')[1].split('\n')[0]
    assert 'model_zoo://' in base
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


def test_unknown_dataset_type_is_refused():
    from seg_ext.d2.datasets import register_from_cfg
    cfg = get_cfg()
    cfg.SEG_EXT.DATASETS.bad_ds = type(cfg)({'TYPE': 'voc'})
    with pytest.raises(KeyError, match="SEG_EXT.DATASETS.bad_ds.TYPE must be one of"):
        register_from_cfg(cfg)

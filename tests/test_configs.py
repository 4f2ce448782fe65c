"""Every shipped config loads (mmseg:: bases resolve), inherits at most one level beyond _base_,
and builds its model and datasets' pipelines."""
import glob
import os.path as osp

import pytest
from mmengine.config import Config
from mmseg.registry import MODELS, TRANSFORMS

from conftest import repo_path

CONFIGS = sorted(glob.glob(repo_path('configs', '*.py')))


@pytest.mark.parametrize('path', CONFIGS, ids=[osp.basename(p) for p in CONFIGS])
def test_config_builds(path):
    cfg = Config.fromfile(path)
    assert cfg.default_scope == 'mmseg'
    assert cfg.custom_imports == dict(imports=['seg_ext'], allow_failed_imports=False)
    model = MODELS.build(cfg.model)
    assert sum(p.numel() for p in model.parameters()) > 0
    pipelines = []
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        pipelines += list(find_pipelines(cfg[loader].dataset))
    assert len(pipelines) >= 3
    for pipeline in pipelines:
        for t in pipeline:
            TRANSFORMS.build(t)


def find_pipelines(dataset):
    """Pipelines of a dataset config, looking inside wrappers (ConcatDataset, RepeatDataset)."""
    if 'pipeline' in dataset:
        yield dataset.pipeline
    for inner in dataset.get('datasets', []) + ([dataset.dataset] if 'dataset' in dataset else []):
        yield from find_pipelines(inner)


@pytest.mark.parametrize('path', CONFIGS, ids=[osp.basename(p) for p in CONFIGS])
def test_inheritance_depth(path):
    """A top-level config may inherit _base_ files and at most one other top-level config."""
    bases = Config._get_base_files(path) if hasattr(Config, '_get_base_files') else []
    for base in bases:
        if base.startswith('mmseg::') or '_base_' in base:
            continue
        parent = osp.join(osp.dirname(path), base)
        for grand in Config._get_base_files(parent):
            assert grand.startswith('mmseg::') or '_base_' in grand, (path, parent, grand)

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
    assert cfg.custom_imports == dict(imports=['seg_ext.mmseg'], allow_failed_imports=False)
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


DEMOS = {  # config: (max_iters, val_interval, checkpoint interval, data root)
    'unet_salt_demo.py': (400, 200, 200, 'data/tgs_salt_demo'),
    'segnet_salt_demo.py': (500, 250, 250, 'data/tgs_salt_demo'),
    'fcn8s_salt_demo.py': (500, 250, 250, 'data/tgs_salt_demo'),
    'unet_s5_d16_salt_demo.py': (400, 200, 200, 'data/tgs_salt_demo'),
    'changedet_levir_demo.py': (600, 200, 200, 'data/levir_cd_demo'),
    'changedet_levir_early_demo.py': (600, 200, 200, 'data/levir_cd_demo'),
}


@pytest.mark.parametrize('name', sorted(DEMOS))
def test_demo_configs_take_schedule_and_data_from_bases(name):
    iters, val, ckpt, root = DEMOS[name]
    cfg = Config.fromfile(repo_path('configs', name))
    assert (cfg.train_cfg.max_iters, cfg.train_cfg.val_interval) == (iters, val)
    assert cfg.default_hooks.checkpoint.interval == ckpt
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        assert cfg[loader].dataset.data_root == root
    warmup, poly = cfg.param_scheduler
    assert (warmup.type, warmup.end, poly.type, poly.begin) == ('LinearLR', 50, 'PolyLR', 50)
    assert 'end' not in poly  # mmengine ends it at train_cfg.max_iters


def test_demo_poly_schedule_ends_at_max_iters(tgs_root, tmp_path):
    """Built by mmengine's Runner, the demo PolyLR decays over 50..max_iters, as the demo
    configs' explicit schedules did before the schedule became a _base_ file."""
    from mmengine.runner import Runner
    cfg = Config.fromfile(repo_path('configs', 'segnet_salt_demo.py'))
    cfg.work_dir = str(tmp_path)
    cfg.train_dataloader.dataset.data_root = tgs_root
    cfg.train_dataloader.num_workers = 0
    cfg.train_dataloader.persistent_workers = False
    for key in ('val_dataloader', 'val_cfg', 'val_evaluator', 'test_dataloader', 'test_cfg',
                'test_evaluator'):
        cfg[key] = None
    runner = Runner.from_cfg(cfg)
    runner.train_loop  # noqa: B018  (the loop gives the schedulers their default end)
    runner.optim_wrapper = runner.build_optim_wrapper(runner.optim_wrapper)
    warmup, poly = runner.build_param_scheduler(cfg.param_scheduler)
    assert (warmup.begin, warmup.end, poly.begin, poly.end) == (0, 50, 50, 500)


def test_unet_salt_documented_pretrained_line_loads_a_3_channel_checkpoint(tmp_path):
    """The commented ``init_cfg`` line of unet_salt.py, uncommented with a local 3-channel
    ResNetV1c-34 file: the 1-channel stem is the sum of the RGB kernels."""
    import re

    import torch
    line = next(ln for ln in open(repo_path('configs', 'unet_salt.py'))
                if ln.startswith("# model = dict(backbone=dict(init_cfg=dict(type='Pretrained'"))
    code = re.sub(r'\s*#\s*noqa.*$', '', line[2:].strip())
    cfg = Config.fromfile(repo_path('configs', 'unet_salt.py'))
    rgb = MODELS.build(dict(cfg.model.backbone, in_channels=3, norm_cfg=dict(type='BN')))
    path = str(tmp_path / 'resnet34_v1c.pth')
    torch.save({'state_dict': rgb.state_dict()}, path)
    scope = {}
    exec(code.replace('checkpoints/resnet34_v1c.pth', path), {}, scope)
    cfg.merge_from_dict(scope)
    cfg.model.backbone.norm_cfg = dict(type='BN')
    backbone = MODELS.build(cfg.model.backbone)
    backbone.init_weights()
    assert torch.allclose(backbone.stem[0].weight, rgb.stem[0].weight.sum(1, keepdim=True))
    assert torch.equal(backbone.layer3[0].conv1.weight, rgb.layer3[0].conv1.weight)


def test_tgs_recipe_switches_the_options_on():
    cfg = Config.fromfile(repo_path('configs', 'unet_salt_tgs_recipe.py'))
    head = MODELS.build(dict(cfg.model.decode_head, norm_cfg=dict(type='BN')))
    assert head.aux_weights == [0.1] * 4 and head.empty_cfg['threshold'] == 0.5
    assert hasattr(head, 'hypercolumn_fuse') and all(hasattr(b, 'scse') for b in head.blocks)
    assert [t['type'] for t in cfg.model.decode_head.loss_decode] == ['CrossEntropyLoss',
                                                                      'LovaszLoss']
    assert cfg.val_cfg.type == 'ValLossLoop'
    assert cfg.default_hooks.checkpoint.save_best == 'mIoU'
    assert any(h['type'] == 'EarlyStoppingHook' for h in cfg.custom_hooks)

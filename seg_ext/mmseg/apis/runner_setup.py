"""What ``tools/train.py`` and ``tools/test.py`` do to a config before mmengine runs it.

Each function changes one thing of the config, explicitly; config problems are raised as
:class:`~seg_ext.core.errors.ConfigError` where the config is built (:func:`config_errors`).
"""
import logging
import os.path as osp
from contextlib import contextmanager
from typing import Iterator, Optional

import torch
from mmengine.config import Config
from mmengine.logging import print_log

from ...core.errors import ConfigError, DataError, NonFiniteLossError

CRF_PRESETS = {
    'dense': dict(type='DenseCRF'),
    'grid': dict(type='GridCRF'),
}


@contextmanager
def config_errors(config_path: str) -> Iterator[None]:
    """Turn what goes wrong while a config is being built -- reading it, ``--cfg-options``, the
    runner, model, datasets, pipelines, loops and optimizer -- into :class:`ConfigError` naming
    the config: an unknown type (``UNetHeadd is not in the mmseg::model registry``), a misspelt
    or unexpected key (``unexpected keyword argument 'max_iter'``), a wrong value. Data problems
    (:class:`DataError`) pass through unchanged."""
    try:
        yield
    except (DataError, ConfigError, NonFiniteLossError):
        raise
    except (KeyError, TypeError, ValueError, AssertionError, AttributeError, ImportError,
            SyntaxError, NameError) as e:
        msg = e.args[0] if isinstance(e, KeyError) and e.args else str(e)
        raise ConfigError(config_path, str(msg)) from e


def load_config(path: str, cfg_options: Optional[dict] = None) -> Config:
    """``Config.fromfile(path)`` + ``--cfg-options`` overrides, errors as :class:`ConfigError`
    (also a batch size that is not a positive integer, naming the loader)."""
    with config_errors(path):
        cfg = Config.fromfile(path)
        if cfg_options:
            cfg.merge_from_dict(cfg_options)
    check_batch_sizes(cfg, path)
    return cfg


def check_batch_sizes(cfg: Config, config_path: str) -> None:
    """Raise :class:`ConfigError` naming ``<split>_dataloader.batch_size`` when it is not a
    positive integer (PyTorch's ``DataLoader`` error names neither the loader nor the config)."""
    for split in ('train', 'val', 'test'):
        loader = cfg.get(f'{split}_dataloader')
        if not isinstance(loader, dict) or 'batch_size' not in loader:
            continue
        size = loader['batch_size']
        if isinstance(size, bool) or not isinstance(size, int) or size <= 0:
            raise ConfigError(config_path, f'{split}_dataloader.batch_size must be a positive '
                              f'integer, got {size!r}')


def build_runner(cfg: Config, config_path: str, phase: str):
    """The mmengine ``Runner`` of ``cfg`` with everything ``phase`` (``'train'`` / ``'test'``)
    needs built now, so that config problems surface here as :class:`ConfigError` rather than
    deep inside the run."""
    from mmengine.runner import Runner
    from mmseg.registry import RUNNERS
    with config_errors(config_path):
        runner = Runner.from_cfg(cfg) if 'runner_type' not in cfg else RUNNERS.build(cfg)
        if phase == 'train':
            runner.train_loop  # noqa: B018  (properties that build the loop and its datasets)
            runner.val_loop  # noqa: B018
            runner.optim_wrapper = runner.build_optim_wrapper(runner.optim_wrapper)
        else:
            runner.test_loop  # noqa: B018
    return runner


def resolve_work_dir(cfg: Config, work_dir: Optional[str], config_path: str) -> None:
    """Set ``cfg.work_dir``: CLI argument > config value > ``work_dirs/<config name>``."""
    if work_dir is not None:
        cfg.work_dir = work_dir
    elif cfg.get('work_dir', None) is None:
        cfg.work_dir = osp.join('./work_dirs', osp.splitext(osp.basename(config_path))[0])


def enable_amp(cfg: Config, config_path: str) -> None:
    """Switch the optimizer wrapper to mixed precision: fp16 + loss scaling on CUDA, bf16 on CPU."""
    current = cfg.optim_wrapper.get('type', 'OptimWrapper')
    if current in ('AmpOptimWrapper', 'BF16AutocastOptimWrapper'):
        print_log('AMP training is already enabled in your config.', logger='current',
                  level=logging.WARNING)
        return
    if current != 'OptimWrapper':
        raise ConfigError(config_path, f'--amp needs optim_wrapper.type=OptimWrapper, got '
                          f'{current}')
    if torch.cuda.is_available():
        cfg.optim_wrapper.type = 'AmpOptimWrapper'
        cfg.optim_wrapper.loss_scale = 'dynamic'
    else:
        print_log('No GPU: --amp uses bfloat16 autocast on CPU.', logger='current')
        cfg.optim_wrapper.type = 'BF16AutocastOptimWrapper'


def enable_channels_last(cfg: Config) -> bool:
    """``channels_last = True`` in a config (or ``--cfg-options channels_last=True``): add
    ``ChannelsLastHook``, which runs the model and its input batches in ``torch.channels_last``.
    Returns whether it is on."""
    if not cfg.get('channels_last', False):
        return False
    hooks = list(cfg.get('custom_hooks') or [])
    if not any(h.get('type') in ('ChannelsLastHook', 'seg_ext.ChannelsLastHook') for h in hooks):
        cfg.custom_hooks = hooks + [dict(type='ChannelsLastHook')]
    return True


def add_reliability_defaults(cfg: Config) -> None:
    """What ``tools/train.py`` adds to every run: ``FiniteLossHook`` (stop at a NaN/Inf loss
    before it is saved), ``FitCheckpointHook`` (a ``load_from`` checkpoint fitted to the model's
    input channels, an error if it does not fit) and atomic checkpoint writes (unless the config
    picked a file backend)."""
    from ..engine.hooks import FiniteLossHook, FitCheckpointHook
    for hook in (FiniteLossHook, FitCheckpointHook):
        hooks = cfg.get('custom_hooks') or []
        if not any(h.get('type') in (hook.__name__, hook) for h in hooks):
            cfg.custom_hooks = list(hooks) + [dict(type=hook.__name__)]
    ckpt = cfg.get('default_hooks', {}).get('checkpoint')
    if ckpt is not None and ckpt.get('type') in ('CheckpointHook', None) \
            and ckpt.get('backend_args') is None and ckpt.get('file_client_args') is None \
            and not str(ckpt.get('out_dir') or '').startswith(('s3:', 'http', 'petrel:')):
        ckpt['backend_args'] = dict(backend='atomic_local')


def enable_visualization(cfg: Config, show: bool, show_dir: Optional[str], wait_time: float,
                         config_path: str) -> None:
    """Turn on mmseg's ``SegVisualizationHook`` to draw ground truth | prediction images.

    Must be called after ``cfg.work_dir`` is resolved.
    """
    hooks = cfg.get('default_hooks', {})
    if 'visualization' not in hooks:
        raise ConfigError(config_path, '--show/--show-dir need a `visualization` entry in '
                          "default_hooks, e.g. dict(type='SegVisualizationHook')")
    hooks['visualization']['draw'] = True
    hooks['visualization']['interval'] = 1
    if show:
        hooks['visualization']['show'] = True
        hooks['visualization']['wait_time'] = wait_time
    if show_dir:
        # a relative show_dir goes under the work dir (what mmseg's --help promises)
        cfg.visualizer['save_dir'] = show_dir if osp.isabs(show_dir) else \
            osp.join(cfg.work_dir, show_dir)


def enable_tta(cfg: Config, config_path: str) -> None:
    """``--tta``: the config's ``tta_pipeline`` for testing and its ``tta_model`` around the model
    (mmseg's convention)."""
    if 'tta_model' not in cfg or 'tta_pipeline' not in cfg:
        raise ConfigError(config_path, '--tta needs `tta_model` and `tta_pipeline` in the config')
    cfg.test_dataloader.dataset.pipeline = cfg.tta_pipeline
    cfg.tta_model.module = cfg.model
    cfg.model = cfg.tta_model


def crf_settings(cfg: Config, preset: Optional[str], config_path: str) -> Optional[dict]:
    """The CRF to apply at test time, or ``None``.

    A config's ``crf = dict(type=..., enabled=False, ...)`` carries tuned settings that stay off
    until enabled, by ``--crf`` or ``--cfg-options crf.enabled=True``; without ``enabled`` it is
    on. ``--crf dense|grid`` uses the config's own settings when they are for that CRF, else the
    CRF's defaults.
    """
    crf = dict(cfg.get('crf') or {})
    enabled = crf.pop('enabled', bool(crf.get('type')))
    if preset:
        crf = crf if crf.get('type') == CRF_PRESETS[preset]['type'] else dict(CRF_PRESETS[preset])
        enabled = True
    if enabled and not crf.get('type'):
        raise ConfigError(config_path, 'crf is enabled but has no type; use --crf dense|grid or '
                          "set crf=dict(type='DenseCRF', ...) in the config")
    return crf if enabled else None


def min_area_setting(cfg: Config, config_path: str) -> int:
    """``postprocess=dict(min_area=N)`` of the config (0: off)."""
    post = dict(cfg.get('postprocess') or {})
    unknown = set(post) - {'min_area'}
    if unknown:
        raise ConfigError(config_path, f'postprocess takes min_area, got {sorted(unknown)}')
    return int(post.get('min_area', 0) or 0)


def enable_crf(cfg: Config, crf: Optional[dict], compare: bool = True,
               min_area: int = 0) -> None:
    """Refine test predictions with ``crf`` (e.g. ``dict(type='DenseCRF')``) and/or remove
    components under ``min_area`` pixels: the model is wrapped in a ``CRFRefiner`` (as ``--tta``
    wraps it in a TTA model). With ``compare``, every ``SegMetric``/``ChangeMetric`` evaluator is
    duplicated to score the unrefined predictions too, under the ``noCRF/`` prefix (``raw/`` when
    there is no CRF), so one run reports metrics with and without it."""
    cfg.model = dict(type='CRFRefiner', module=cfg.model, crf=dict(crf) if crf else None,
                     keep_raw=compare, min_area=min_area)
    if compare:
        evaluators = cfg.test_evaluator if isinstance(cfg.test_evaluator, list) else \
            [cfg.test_evaluator]
        raw = [dict(e, pred_key='pred_sem_seg_raw', prefix='noCRF' if crf else 'raw')
               for e in evaluators if e.get('type') in ('SegMetric', 'ChangeMetric')]
        cfg.test_evaluator = list(evaluators) + raw


TRAINING_ONLY_HOOKS = ('EarlyStoppingHook', )


def drop_training_hooks(cfg: Config) -> None:
    """Remove hooks that only make sense while training from ``custom_hooks`` (for testing):
    mmengine's ``EarlyStoppingHook.before_run`` builds ``runner.train_loop``, i.e. the training
    dataset, so ``tools/test.py`` of a config with early stopping would fail without the
    training data."""
    hooks = cfg.get('custom_hooks') or []
    cfg.custom_hooks = [h for h in hooks if h.get('type') not in TRAINING_ONLY_HOOKS]


def innermost_model(model):
    """The segmentor inside model wrappers (DDP) and wrapper segmentors (TTA, CRF refinement)."""
    from mmengine.model import BaseTTAModel, is_model_wrapper
    while is_model_wrapper(model) or isinstance(model, BaseTTAModel):
        model = model.module
    return model


def check_checkpoint_matches(model, path: str, max_listed: int = 5) -> None:
    """Refuse to evaluate a checkpoint that does not fit the model.

    mmengine loads with ``strict=False`` and only logs missing keys and size mismatches, so a
    checkpoint from another model (or an older version of this one) would be evaluated with
    randomly initialised layers. Extra keys in the checkpoint are tolerated.

    Raises:
        DataError: naming the checkpoint, the missing parameters and the mismatched shapes.
    """
    from mmengine.runner.checkpoint import _load_checkpoint

    module = innermost_model(model)
    ckpt = _load_checkpoint(path, map_location='cpu')
    state = ckpt.get('state_dict', ckpt) if isinstance(ckpt, dict) else {}
    state = {k[len('module.'):] if k.startswith('module.') else k: v for k, v in state.items()}
    expected = module.state_dict()
    missing = [k for k in expected if k not in state and not k.endswith('num_batches_tracked')]
    wrong = [f'{k} {tuple(state[k].shape)} vs model {tuple(v.shape)}'
             for k, v in expected.items() if k in state and hasattr(state[k], 'shape')
             and tuple(state[k].shape) != tuple(v.shape)]
    if missing or wrong:
        parts = []
        if missing:
            parts.append(f'{len(missing)} of the model\'s {len(expected)} parameters/buffers are '
                         f'missing (e.g. {", ".join(missing[:max_listed])})')
        if wrong:
            parts.append(f'{len(wrong)} have other shapes (e.g. {"; ".join(wrong[:max_listed])})')
        raise DataError(path, 'checkpoint does not match the model of this config: '
                        + '; '.join(parts) + '. Was it trained with another config?')

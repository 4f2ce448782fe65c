"""Logic shared by ``tools/train.py`` and ``tools/test.py`` (kept here so the scripts stay thin)."""
import json
import logging
import os
import os.path as osp
from typing import Callable, Dict, Optional

import torch
from mmengine.config import Config
from mmengine.logging import print_log
from prettytable import PrettyTable

from .checkpointing import checkpoint_problem, find_resume_checkpoint
from .hooks import FiniteLossHook


def resolve_work_dir(cfg: Config, work_dir: Optional[str], config_path: str) -> None:
    """Set ``cfg.work_dir``: CLI argument > config value > ``work_dirs/<config name>``."""
    if work_dir is not None:
        cfg.work_dir = work_dir
    elif cfg.get('work_dir', None) is None:
        cfg.work_dir = osp.join('./work_dirs', osp.splitext(osp.basename(config_path))[0])


def enable_amp(cfg: Config) -> None:
    """Switch the optimizer wrapper to mixed precision: fp16 + loss scaling on CUDA, bf16 on CPU."""
    current = cfg.optim_wrapper.get('type', 'OptimWrapper')
    if current in ('AmpOptimWrapper', 'BF16AutocastOptimWrapper'):
        print_log('AMP training is already enabled in your config.', logger='current',
                  level=logging.WARNING)
        return
    if current != 'OptimWrapper':
        raise ValueError(f'--amp needs optim_wrapper.type=OptimWrapper, got {current}')
    if torch.cuda.is_available():
        cfg.optim_wrapper.type = 'AmpOptimWrapper'
        cfg.optim_wrapper.loss_scale = 'dynamic'
    else:
        print_log('No GPU: --amp uses bfloat16 autocast on CPU.', logger='current')
        cfg.optim_wrapper.type = 'BF16AutocastOptimWrapper'


def configure_resume(cfg: Config, resume: Optional[str]) -> None:
    """``--resume`` (newest complete checkpoint of the work dir; none: start from scratch) or
    ``--resume PATH`` (that checkpoint, which must be complete).

    Must be called after ``cfg.work_dir`` is resolved.
    """
    if resume is None:
        return
    cfg.resume = True
    if resume == 'auto':
        path = find_resume_checkpoint(cfg.work_dir)
        if path is None:
            print_log(f'--resume: no complete checkpoint in {cfg.work_dir}; training from the '
                      'start', logger='current', level=logging.WARNING)
        cfg.load_from = path
        return
    problem = checkpoint_problem(resume)
    if problem is not None:
        raise SystemExit(f'{resume}: cannot resume from this checkpoint: {problem}')
    cfg.load_from = resume


def add_reliability_defaults(cfg: Config) -> None:
    """What ``tools/train.py`` adds to every run: :class:`FiniteLossHook` (stop at a NaN/Inf loss
    before it is saved) and atomic checkpoint writes (unless the config picked a file backend)."""
    hooks = cfg.get('custom_hooks') or []
    if not any(h.get('type') in ('FiniteLossHook', FiniteLossHook) for h in hooks):
        cfg.custom_hooks = list(hooks) + [dict(type='FiniteLossHook')]
    ckpt = cfg.get('default_hooks', {}).get('checkpoint')
    if ckpt is not None and ckpt.get('type') in ('CheckpointHook', None) \
            and ckpt.get('backend_args') is None and ckpt.get('file_client_args') is None \
            and not str(ckpt.get('out_dir') or '').startswith(('s3:', 'http', 'petrel:')):
        ckpt['backend_args'] = dict(backend='atomic_local')


def enable_visualization(cfg: Config, show: bool, show_dir: Optional[str],
                         wait_time: float) -> None:
    """Turn on mmseg's ``SegVisualizationHook`` to draw ground truth | prediction images.

    Must be called after ``cfg.work_dir`` is resolved.
    """
    hooks = cfg.get('default_hooks', {})
    if 'visualization' not in hooks:
        raise RuntimeError('--show/--show-dir need a `visualization` entry in default_hooks, '
                           "e.g. dict(type='SegVisualizationHook')")
    hooks['visualization']['draw'] = True
    hooks['visualization']['interval'] = 1
    if show:
        hooks['visualization']['show'] = True
        hooks['visualization']['wait_time'] = wait_time
    if show_dir:
        # a relative show_dir goes under the work dir (what mmseg's --help promises)
        cfg.visualizer['save_dir'] = show_dir if osp.isabs(show_dir) else \
            osp.join(cfg.work_dir, show_dir)


def metrics_table(metrics: Dict[str, float]) -> str:
    """Summary metrics as a table: the scores first, then per-class values, then timing."""
    summary = {k: v for k, v in metrics.items() if '.' not in k}
    per_class = {k: v for k, v in metrics.items() if '.' in k}
    table = PrettyTable(['metric', 'value'])
    table.align['metric'] = 'l'
    for k, v in summary.items():
        table.add_row([k, v])
    text = table.get_string()
    if per_class:
        names = list(dict.fromkeys(k.split('.', 1)[1] for k in per_class))
        kinds = list(dict.fromkeys(k.split('.', 1)[0] for k in per_class))
        pc = PrettyTable(['class'] + kinds)
        pc.align['class'] = 'l'
        for n in names:
            pc.add_row([n] + [per_class.get(f'{kind}.{n}', '') for kind in kinds])
        text += '\n' + pc.get_string()
    return text


def dump_metrics(metrics: Dict[str, float], path: str) -> str:
    """Write metrics as JSON (creating the folder) and return the path. Undefined values (NaN,
    e.g. the IoU of a class absent from both ground truth and predictions) become ``null``."""
    import math
    os.makedirs(osp.dirname(osp.abspath(path)), exist_ok=True)

    def value(v):
        if isinstance(v, (int, float)):
            return float(v) if math.isfinite(float(v)) else None
        return v

    with open(path, 'w') as f:
        json.dump({k: value(v) for k, v in metrics.items()}, f, indent=2, allow_nan=False)
    return path


def check_checkpoint_matches(model, path: str, max_listed: int = 5) -> None:
    """Refuse to evaluate a checkpoint that does not fit the model.

    mmengine loads with ``strict=False`` and only logs missing keys and size mismatches, so a
    checkpoint from another model (or an older version of this one) would be evaluated with
    randomly initialised layers. Extra keys in the checkpoint are tolerated.

    Raises:
        ValueError: naming the checkpoint, the missing parameters and the mismatched shapes.
    """
    from mmengine.model import is_model_wrapper
    from mmengine.runner.checkpoint import _load_checkpoint

    module = model.module if is_model_wrapper(model) else model
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
        raise ValueError(f'{path}: checkpoint does not match the model of this config: '
                         + '; '.join(parts) + '. Was it trained with another config?')


def _test_loader_transform(cfg: Config, prefix: str) -> dict:
    """The first transform of the test pipeline whose type starts with ``prefix`` (or {})."""
    pipeline = cfg.test_dataloader.dataset.get('pipeline', [])
    return next((t for t in pipeline if str(t.get('type', '')).startswith(prefix)), {})


def enable_crf(cfg: Config, crf: dict, compare: bool = True) -> None:
    """Refine test predictions with ``crf`` (e.g. ``dict(type='DenseCRF')``) via ``CRFHook``.

    The image channels the CRF sees follow the test pipeline: both acquisitions for change
    detection (``LoadBiTemporalImages``), grayscale when the loader reads grayscale. With
    ``compare``, every evaluator is duplicated to score the unrefined predictions too, under the
    ``noCRF/`` prefix, so one run reports metrics with and without CRF.
    """
    pair = _test_loader_transform(cfg, 'LoadBiTemporal')
    loader = pair or _test_loader_transform(cfg, 'Load')
    hook = dict(type='CRFHook', crf=dict(crf),
                image_keys=('img_path', 'img_path2') if pair else ('img_path', ),
                color_type=loader.get('color_type', 'color'), keep_raw=compare)
    cfg.custom_hooks = list(cfg.get('custom_hooks', [])) + [hook]
    if compare:
        evaluators = cfg.test_evaluator if isinstance(cfg.test_evaluator, list) else \
            [cfg.test_evaluator]
        raw = [dict(e, pred_key='pred_sem_seg_raw', prefix='noCRF') for e in evaluators
               if e.get('type') in ('SegMetric', 'ChangeMetric')]
        cfg.test_evaluator = list(evaluators) + raw


CRF_PRESETS = {
    'dense': dict(type='DenseCRF'),
    'grid': dict(type='GridCRF'),
}


_CONFIG_ERRORS = ('is not in the', 'registry', 'unexpected keyword argument',
                  'required positional argument', 'required keyword-only argument',
                  'Non-existent key', 'Non-existent config key')


def run_tool(main: Callable[[], None], config_path: Optional[str] = None) -> None:
    """Run a tool's ``main`` and turn the errors a user can fix into one line on stderr + exit 1:
    bad input data (:class:`DataError`, naming the file), a non-finite training loss (naming the
    iteration), an unknown type or a misspelt key in the config or ``--cfg-options`` (naming the
    config and the class). Anything else keeps its traceback. ``SEG_EXT_DEBUG=1`` always shows
    tracebacks."""
    import sys

    from ..utils.errors import DataError
    from .hooks import NonFiniteLossError
    if config_path is not None and not osp.isfile(config_path) and not config_path.startswith('-'):
        raise SystemExit(f'error: {config_path}: config file not found')
    try:
        main()
    except (DataError, NonFiniteLossError) as e:
        if os.environ.get('SEG_EXT_DEBUG'):
            raise
        print(f'error: {e}', file=sys.stderr, flush=True)
        raise SystemExit(1) from None
    except (KeyError, TypeError, AssertionError) as e:  # yacs asserts on unknown keys
        msg = e.args[0] if isinstance(e, KeyError) and e.args else str(e)
        if os.environ.get('SEG_EXT_DEBUG') or not any(k in str(msg) for k in _CONFIG_ERRORS):
            raise
        hint = ('unknown type: is it spelt right, and is the module that registers it in '
                'custom_imports?') if 'registry' in str(msg) else \
            'a misspelt or unknown key in the config or --cfg-options?'
        print(f'error: {config_path or "config"}: {msg} ({hint})', file=sys.stderr, flush=True)
        raise SystemExit(1) from None

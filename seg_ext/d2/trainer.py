"""Detectron2's ``DefaultTrainer`` with seg_ext's config, datasets and evaluators; the logic
behind ``tools/d2_train_net.py`` (train / ``--eval-only`` / ``--resume``, multi-GPU and
multi-machine through Detectron2's ``launch``, CPU processes with gloo when there is no GPU)."""
import argparse
import logging
import os.path as osp
import socket
from typing import Callable, List, Optional, Sequence

import torch
import torch.distributed as dist
import torch.multiprocessing as mp
from detectron2.data import build_detection_train_loader
from detectron2.data.build import _train_loader_from_config
from detectron2.engine import DefaultTrainer, default_argument_parser, default_setup, hooks
from detectron2.engine import launch as _d2_launch
from detectron2.utils import comm

from ..core.checkpoint_files import checkpoint_problem
from ..core.errors import ConfigError, DataError, MissingDataError
from .checkpoint import ResumableCheckpointer, SkippingSampler
from .config import get_cfg
from .datasets import register_from_cfg
from .evaluation import build_evaluator


class Trainer(DefaultTrainer):
    """``DefaultTrainer`` whose evaluators follow each dataset's ``evaluator_type``, with
    checkpoints that survive a kill and a ``--resume`` that continues exactly: atomic saves, the
    newest complete checkpoint, RNG states restored and the data order continued (Detectron2 0.6
    restarts its sampler's sequence on resume). Logs every ``SEG_EXT.LOG_PERIOD`` iterations."""

    def __init__(self, cfg) -> None:
        self._skipping_sampler: Optional[SkippingSampler] = None
        super().__init__(cfg)
        self.checkpointer = ResumableCheckpointer(
            self.checkpointer.model, cfg.OUTPUT_DIR, **self.checkpointer.checkpointables)
        for hook in self._hooks:  # the periodic checkpointer saves through the new one
            if isinstance(hook, hooks.PeriodicCheckpointer):
                hook.checkpointer = self.checkpointer

    def build_train_loader(self, cfg):
        """Detectron2's train loader, its sampler wrapped to skip what was trained before."""
        kwargs = _train_loader_from_config(cfg)
        self._skipping_sampler = SkippingSampler(kwargs['sampler'])
        kwargs['sampler'] = self._skipping_sampler
        return build_detection_train_loader(**kwargs)

    def resume_or_load(self, resume: bool = True) -> None:
        super().resume_or_load(resume=resume)
        if self.start_iter > 0 and self._skipping_sampler is not None:
            per_process = self.cfg.SOLVER.IMS_PER_BATCH // comm.get_world_size()
            self._skipping_sampler.skip = self.start_iter * per_process
            self._skipping_sampler.rng_state = getattr(self.checkpointer, 'loaded_rng', None)
            self._trainer._data_loader_iter = iter(self._trainer.data_loader)
            logging.getLogger('detectron2.seg_ext').info(
                f'Resumed at iteration {self.start_iter}: skipping the '
                f'{self._skipping_sampler.skip} samples per process trained before')

    def state_dict(self) -> dict:
        """Detectron2 0.6's ``DefaultTrainer`` checkpoints only the iteration and hook states: the
        optimizer (momentum, current LR) was lost on ``--resume``. Add the inner trainer's state
        (optimizer, AMP grad scaler), as later Detectron2 versions do."""
        ret = super().state_dict()
        ret.setdefault('_trainer', self._trainer.state_dict())
        return ret

    def load_state_dict(self, state_dict: dict) -> None:
        super().load_state_dict(state_dict)
        if '_trainer' in state_dict:  # idempotent where Detectron2 already loaded it
            self._trainer.load_state_dict(state_dict['_trainer'])

    def build_hooks(self):
        ret = super().build_hooks()
        for hook in ret:
            if isinstance(hook, hooks.PeriodicWriter):
                hook._period = self.cfg.SEG_EXT.LOG_PERIOD
        return ret

    def build_writers(self):
        writers = super().build_writers()
        for writer in writers:  # losses are median-smoothed over the logging period
            if hasattr(writer, '_window_size'):
                writer._window_size = self.cfg.SEG_EXT.LOG_PERIOD
        return writers

    @classmethod
    def build_evaluator(cls, cfg, dataset_name: str, output_folder: Optional[str] = None):
        return build_evaluator(cfg, dataset_name, output_folder)


def load_config(config_file: str, opts: Sequence[str] = ()):
    """``get_cfg()`` + ``add_seg_ext_config`` + the file + ``KEY VALUE`` overrides; a key Detectron2
    does not know, a bad value or a missing base file is a :class:`ConfigError` naming the
    config."""
    cfg = get_cfg()
    try:
        cfg.merge_from_file(config_file)
        cfg.merge_from_list(list(opts))
    except (KeyError, AssertionError, ValueError, TypeError, OSError) as e:
        msg = e.args[0] if isinstance(e, KeyError) and e.args else str(e)
        raise ConfigError(config_file, str(msg)) from e
    return cfg


def setup(args: argparse.Namespace):
    """Config from ``args.config_file`` + trailing ``KEY VALUE`` opts; datasets of
    ``SEG_EXT.DATASETS`` registered; CPU when no GPU; Detectron2's logging/output setup."""
    cfg = load_config(args.config_file, args.opts)
    if not torch.cuda.is_available() and cfg.MODEL.DEVICE != 'cpu':
        cfg.MODEL.DEVICE = 'cpu'
    register_from_cfg(cfg)
    cfg.freeze()
    default_setup(cfg, args)
    return cfg


def main(args: argparse.Namespace):
    """Train (or with ``--eval-only`` evaluate ``MODEL.WEIGHTS`` / the last checkpoint)."""
    cfg = setup(args)
    check_batch_size(cfg, args.config_file)
    if args.eval_only:
        check_eval_weights(cfg, resume=args.resume)
        model = build_model(cfg, args.config_file)
        ResumableCheckpointer(model, save_dir=cfg.OUTPUT_DIR, require_complete=True).resume_or_load(
            cfg.MODEL.WEIGHTS, resume=args.resume)
        return Trainer.test(cfg, model)
    trainer = build_trainer(cfg, args.config_file)
    trainer.resume_or_load(resume=args.resume)
    return trainer.train()


def check_batch_size(cfg, config_file: str) -> None:
    """``SOLVER.IMS_PER_BATCH`` must be a positive integer (:class:`ConfigError` otherwise)."""
    size = cfg.SOLVER.IMS_PER_BATCH
    if not isinstance(size, int) or size <= 0:
        raise ConfigError(config_file, f'SOLVER.IMS_PER_BATCH (the train loader\'s batch size) '
                          f'must be a positive integer, got {size!r}')


def check_eval_weights(cfg, resume: bool = False) -> None:
    """``--eval-only`` evaluates ``MODEL.WEIGHTS`` (or with ``--resume`` the newest complete
    checkpoint of ``OUTPUT_DIR``): a local weights file must exist and, for ``.pth`` files, be a
    complete torch archive.

    Raises:
        DataError: naming ``MODEL.WEIGHTS`` (empty) or the file (missing, truncated).
    """
    if resume and ResumableCheckpointer(torch.nn.Module(), save_dir=cfg.OUTPUT_DIR,
                                        save_to_disk=False).has_checkpoint():
        return
    weights = cfg.MODEL.WEIGHTS
    if not weights:
        raise DataError('MODEL.WEIGHTS', '--eval-only needs the weights to evaluate: set '
                        'MODEL.WEIGHTS path/to/model_final.pth')
    if '://' in weights:  # detectron2://, https://, ... : Detectron2 fetches them
        return
    if not osp.isfile(weights):
        raise MissingDataError(weights, 'MODEL.WEIGHTS: checkpoint file not found')
    if weights.endswith('.pth'):
        problem = checkpoint_problem(weights)
        if problem is not None:
            raise DataError(weights, f'MODEL.WEIGHTS: cannot load this checkpoint: {problem}')


def _build_errors(config_file: str):
    """Errors while a model/trainer is built from a valid yacs config (unknown architecture,
    backbone or head names, arguments that do not fit) as :class:`ConfigError`."""
    import contextlib

    @contextlib.contextmanager
    def guard():
        try:
            yield
        except (KeyError, AssertionError, TypeError) as e:
            msg = e.args[0] if isinstance(e, KeyError) and e.args else str(e)
            raise ConfigError(config_file, str(msg)) from e

    return guard()


def build_model(cfg, config_file: str):
    """``Trainer.build_model(cfg)``, build errors as :class:`ConfigError`."""
    with _build_errors(config_file):
        return Trainer.build_model(cfg)


def build_trainer(cfg, config_file: str) -> Trainer:
    """``Trainer(cfg)`` (model, optimizer, data loader, hooks), build errors as
    :class:`ConfigError`; data problems stay :class:`DataError`."""
    with _build_errors(config_file):
        return Trainer(cfg)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def _cpu_worker(local_rank: int, main_func: Callable, world_size: int, per_machine: int,
                machine_rank: int, dist_url: str, args: Sequence) -> None:
    rank = machine_rank * per_machine + local_rank
    dist.init_process_group('gloo', init_method=dist_url, world_size=world_size, rank=rank)
    for i in range(world_size // per_machine):  # Detectron2's per-machine process group
        group = dist.new_group(list(range(i * per_machine, (i + 1) * per_machine)))
        if i == machine_rank:
            comm._LOCAL_PROCESS_GROUP = group
    comm.synchronize()
    print(f'[rank {rank}/{world_size}] detectron2 worker, gloo backend on CPU, machine '
          f'{machine_rank}, local rank {local_rank}, dist-url {dist_url}', flush=True)
    main_func(*args)
    comm.synchronize()  # a group left to interpreter shutdown can abort a finished rank
    dist.destroy_process_group()


def launch(main_func: Callable, num_gpus_per_machine: int, num_machines: int = 1,
           machine_rank: int = 0, dist_url: Optional[str] = None, args: Sequence = ()) -> None:
    """Detectron2's ``launch`` on GPUs; on CPU-only machines ``num_gpus_per_machine`` processes
    per machine joined with the gloo backend (Detectron2 0.6's own launcher requires CUDA)."""
    if torch.cuda.is_available():
        return _d2_launch(main_func, num_gpus_per_machine, num_machines, machine_rank, dist_url,
                          args=tuple(args))
    world_size = num_machines * num_gpus_per_machine
    if world_size == 1:
        return main_func(*args)
    if dist_url in (None, 'auto'):
        if num_machines != 1:
            raise ValueError('--dist-url=auto only works on one machine; pass tcp://HOST:PORT')
        dist_url = f'tcp://127.0.0.1:{_free_port()}'
    mp.start_processes(_cpu_worker, nprocs=num_gpus_per_machine, start_method='spawn',
                       args=(main_func, world_size, num_gpus_per_machine, machine_rank, dist_url,
                             tuple(args)))


def argument_parser() -> argparse.ArgumentParser:
    """Detectron2's ``default_argument_parser`` (``--config-file``, ``--resume``,
    ``--eval-only``, ``--num-gpus``, ``--num-machines``, ``--machine-rank``, ``--dist-url``,
    trailing opts); ``--num-gpus`` counts CPU processes on machines without GPUs."""
    return default_argument_parser()


def run(argv: Optional[List[str]] = None) -> None:
    """Entry point of ``tools/d2_train_net.py``."""
    args = argument_parser().parse_args(argv)
    launch(main, args.num_gpus, num_machines=args.num_machines, machine_rank=args.machine_rank,
           dist_url=args.dist_url, args=(args, ))

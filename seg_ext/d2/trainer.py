"""Detectron2's ``DefaultTrainer`` with seg_ext's config, datasets and evaluators; the logic
behind ``tools/d2_train_net.py`` (train / ``--eval-only`` / ``--resume``, multi-GPU and
multi-machine through Detectron2's ``launch``, CPU processes with gloo when there is no GPU)."""
import argparse
import socket
from typing import Callable, List, Optional, Sequence

import torch
import torch.distributed as dist
import torch.multiprocessing as mp
from detectron2.checkpoint import DetectionCheckpointer
from detectron2.engine import DefaultTrainer, default_argument_parser, default_setup
from detectron2.engine import launch as _d2_launch
from detectron2.utils import comm

from .config import get_cfg
from .datasets import register_from_cfg
from .evaluation import build_evaluator


class Trainer(DefaultTrainer):
    """``DefaultTrainer`` whose evaluators follow each dataset's ``evaluator_type``."""

    @classmethod
    def build_evaluator(cls, cfg, dataset_name: str, output_folder: Optional[str] = None):
        return build_evaluator(cfg, dataset_name, output_folder)


def setup(args: argparse.Namespace):
    """Config from ``args.config_file`` + trailing ``KEY VALUE`` opts; datasets of
    ``SEG_EXT.DATASETS`` registered; CPU when no GPU; Detectron2's logging/output setup."""
    cfg = get_cfg()
    cfg.merge_from_file(args.config_file)
    cfg.merge_from_list(args.opts)
    if not torch.cuda.is_available() and cfg.MODEL.DEVICE != 'cpu':
        cfg.MODEL.DEVICE = 'cpu'
    register_from_cfg(cfg)
    cfg.freeze()
    default_setup(cfg, args)
    return cfg


def main(args: argparse.Namespace):
    """Train (or with ``--eval-only`` evaluate ``MODEL.WEIGHTS`` / the last checkpoint)."""
    cfg = setup(args)
    if args.eval_only:
        model = Trainer.build_model(cfg)
        DetectionCheckpointer(model, save_dir=cfg.OUTPUT_DIR).resume_or_load(
            cfg.MODEL.WEIGHTS, resume=args.resume)
        return Trainer.test(cfg, model)
    trainer = Trainer(cfg)
    trainer.resume_or_load(resume=args.resume)
    return trainer.train()


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

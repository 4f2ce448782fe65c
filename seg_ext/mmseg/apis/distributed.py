"""Distributed launches of ``tools/train.py`` / ``tools/test.py`` on GPU and CPU-only nodes.

mmengine's launcher (``--launcher pytorch|slurm|mpi``) is the engine; this module only fills the
gaps it has on machines without a GPU, where mmengine 0.10.7 calls ``torch.cuda.set_device`` and
wraps the model with ``device_ids=[LOCAL_RANK]`` (both fail without CUDA):

* the process group is initialised here with the gloo backend, from the same variables mmengine
  reads (torchrun's ``RANK``/``WORLD_SIZE``/``MASTER_*``; Slurm's ``SLURM_PROCID``/``SLURM_NTASKS``/
  ``SLURM_NODELIST``; Open MPI's ``OMPI_COMM_WORLD_*``), so mmengine sees an initialised group and
  skips its own ``init_dist``;
* the model is wrapped by ``CPUDistributedDataParallel`` (:mod:`seg_ext.mmseg.engine.wrappers`):
  DDP without ``device_ids`` (CPU modules), after turning ``SyncBN`` layers (mmseg configs'
  default norm) into ``BatchNorm``, which DDP refuses on CPU; batch statistics are then per
  process, as on any CPU DDP run.

On GPUs nothing is changed except the master port under Slurm (see :func:`slurm_dist_env`).
"""
import os
import subprocess
from typing import Callable, Dict, Mapping, Optional

import torch
import torch.distributed as dist
from mmengine.config import Config
from mmengine.model import MMDistributedDataParallel

DEFAULT_PORT = 29500


def first_slurm_host(nodelist: str) -> str:
    """The first host of a Slurm node list (``node[01-04]`` -> ``node01``), as mmengine does."""
    try:
        out = subprocess.run(['scontrol', 'show', 'hostnames', nodelist], capture_output=True,
                             text=True, check=True).stdout.split()
    except (OSError, subprocess.CalledProcessError) as e:
        raise RuntimeError(f'cannot expand SLURM_NODELIST={nodelist!r} with `scontrol show '
                           f'hostnames`: {e}') from None
    if not out:
        raise RuntimeError(f'`scontrol show hostnames {nodelist}` returned no host')
    return out[0]


def slurm_dist_env(environ: Mapping[str, str],
                   first_host: Callable[[str], str] = first_slurm_host) -> Dict[str, str]:
    """torch.distributed's variables for one Slurm task (``srun --ntasks=N``, one per process).

    ``MASTER_ADDR`` is the first node of the job; ``MASTER_PORT`` is taken from the environment
    (``PORT``/``MASTER_PORT`` exported by ``tools/slurm_*.sh``) or else derived from the job id,
    so that two jobs sharing a node do not both try port 29500.

    Raises:
        KeyError: naming the missing ``SLURM_*`` variable (not inside an ``srun`` task).
    """
    missing = [k for k in ('SLURM_PROCID', 'SLURM_NTASKS', 'SLURM_NODELIST') if k not in environ]
    if missing:
        raise KeyError(f'--launcher slurm needs {", ".join(missing)}: run the script through '
                       'srun (tools/slurm_train.sh), not directly')
    if 'MASTER_PORT' in environ:
        port = environ['MASTER_PORT']
    elif 'SLURM_JOB_ID' in environ:
        port = str(20000 + int(environ['SLURM_JOB_ID']) % 20000)
    else:
        port = str(DEFAULT_PORT)
    return dict(
        RANK=environ['SLURM_PROCID'],
        WORLD_SIZE=environ['SLURM_NTASKS'],
        LOCAL_RANK=environ.get('SLURM_LOCALID', '0'),
        MASTER_ADDR=environ.get('MASTER_ADDR') or first_host(environ['SLURM_NODELIST']),
        MASTER_PORT=port)


def mpi_dist_env(environ: Mapping[str, str]) -> Dict[str, str]:
    """torch.distributed's variables for one Open MPI rank (``mpirun -np N``)."""
    if 'OMPI_COMM_WORLD_RANK' not in environ:
        raise KeyError('--launcher mpi needs OMPI_COMM_WORLD_RANK: start with mpirun')
    if 'MASTER_ADDR' not in environ:
        raise KeyError('--launcher mpi needs MASTER_ADDR (the host of rank 0) in the environment')
    return dict(RANK=environ['OMPI_COMM_WORLD_RANK'], WORLD_SIZE=environ['OMPI_COMM_WORLD_SIZE'],
                LOCAL_RANK=environ['OMPI_COMM_WORLD_LOCAL_RANK'],
                MASTER_ADDR=environ['MASTER_ADDR'],
                MASTER_PORT=environ.get('MASTER_PORT', str(DEFAULT_PORT)))


def torchrun_env(environ: Mapping[str, str]) -> Dict[str, str]:
    """The variables torchrun (``--launcher pytorch``) sets, checked."""
    missing = [k for k in ('RANK', 'WORLD_SIZE', 'MASTER_ADDR', 'MASTER_PORT') if k not in environ]
    if missing:
        raise KeyError(f'--launcher pytorch needs {", ".join(missing)}: start with torchrun '
                       '(tools/dist_train.sh)')
    return {k: environ[k] for k in ('RANK', 'WORLD_SIZE', 'MASTER_ADDR', 'MASTER_PORT')} | \
        dict(LOCAL_RANK=environ.get('LOCAL_RANK', '0'))


_ENV_READERS = dict(pytorch=torchrun_env, slurm=slurm_dist_env, mpi=mpi_dist_env)


def setup_distributed(cfg: Config, launcher: str,
                      environ: Optional[Dict[str, str]] = None) -> Optional[Dict[str, str]]:
    """Prepare ``cfg`` (and, without CUDA, the process group) for ``launcher``.

    Returns the rank variables that were exported (``None`` for ``launcher='none'``).
    """
    cfg.launcher = launcher
    if launcher == 'none':
        return None
    environ = os.environ if environ is None else environ
    if launcher not in _ENV_READERS:
        raise ValueError(f'unknown launcher {launcher!r}; use one of none, '
                         f'{", ".join(_ENV_READERS)}')
    env = _ENV_READERS[launcher](environ)
    environ.update(env)  # what mmengine (and the user's code) read later
    dist_cfg = cfg.setdefault('env_cfg', {}).setdefault('dist_cfg', {})
    device = 'GPU' if torch.cuda.is_available() else 'CPU'
    if device == 'CPU' and dist_cfg.get('backend', 'nccl') == 'nccl':
        dist_cfg['backend'] = 'gloo'
    print(f'[rank {env["RANK"]}/{env["WORLD_SIZE"]}] {launcher} launcher, '
          f'{dist_cfg.get("backend", "nccl")} backend on {device}, local rank {env["LOCAL_RANK"]}, '
          f'master {env["MASTER_ADDR"]}:{env["MASTER_PORT"]}', flush=True)
    if device == 'GPU':
        return env  # mmengine's init_dist (nccl, one GPU per local rank)
    wrapper = dict(cfg.get('model_wrapper_cfg') or dict(
        type='MMDistributedDataParallel', broadcast_buffers=False,
        find_unused_parameters=cfg.get('find_unused_parameters', False)))
    if wrapper.get('type') in ('MMDistributedDataParallel', MMDistributedDataParallel):
        wrapper['type'] = 'CPUDistributedDataParallel'
    wrapper['device_ids'] = None  # a CPU module: DDP refuses device ids
    cfg.model_wrapper_cfg = wrapper
    if not dist.is_initialized():
        timeout = dist_cfg.get('timeout')
        kwargs = {} if timeout is None else dict(timeout=_as_timedelta(timeout))
        dist.init_process_group(dist_cfg['backend'],
                                init_method=f'tcp://{env["MASTER_ADDR"]}:{env["MASTER_PORT"]}',
                                rank=int(env['RANK']), world_size=int(env['WORLD_SIZE']), **kwargs)
    return env


def _as_timedelta(seconds):
    import datetime
    return seconds if isinstance(seconds, datetime.timedelta) else \
        datetime.timedelta(seconds=float(seconds))


def cleanup_distributed() -> None:
    """Wait for every rank, then destroy the process group (call after a successful run).

    Leaving a gloo group to interpreter shutdown can abort a rank ("terminate called without an
    active exception", exit -6) while its peer already exited, failing a run that succeeded.
    """
    if dist.is_available() and dist.is_initialized():
        dist.barrier()
        dist.destroy_process_group()

"""seg_ext.mmseg.apis.distributed: rank variables from torchrun/Slurm/MPI; the CPU DDP wrapper."""
import socket

import pytest
import torch
import torch.distributed as dist
from mmengine.config import Config

from seg_ext.mmseg.apis import distributed as D

SLURM = dict(SLURM_PROCID='3', SLURM_NTASKS='8', SLURM_LOCALID='1',
             SLURM_NODELIST='node[01-02]', SLURM_JOB_ID='123456')


def test_slurm_env_from_job():
    env = D.slurm_dist_env(SLURM, first_host=lambda nodes: {'node[01-02]': 'node01'}[nodes])
    assert env == dict(RANK='3', WORLD_SIZE='8', LOCAL_RANK='1', MASTER_ADDR='node01',
                       MASTER_PORT=str(20000 + 123456 % 20000))


def test_slurm_env_port_and_addr_overrides():
    env = D.slurm_dist_env(dict(SLURM, MASTER_PORT='12345', MASTER_ADDR='10.0.0.1'),
                           first_host=lambda _: pytest.fail('must not expand the node list'))
    assert (env['MASTER_ADDR'], env['MASTER_PORT']) == ('10.0.0.1', '12345')
    no_job = {k: v for k, v in SLURM.items() if k != 'SLURM_JOB_ID'}
    assert D.slurm_dist_env(no_job, first_host=lambda _: 'n')['MASTER_PORT'] == '29500'


def test_slurm_env_outside_srun():
    with pytest.raises(KeyError, match='SLURM_PROCID, SLURM_NTASKS.*through srun'):
        D.slurm_dist_env(dict(SLURM_NODELIST='n1'))


def test_first_slurm_host_without_scontrol(monkeypatch):
    monkeypatch.setenv('PATH', '/nonexistent')
    with pytest.raises(RuntimeError, match="SLURM_NODELIST='n\\[1-2\\]'"):
        D.first_slurm_host('n[1-2]')


def test_torchrun_and_mpi_env():
    env = D.torchrun_env(dict(RANK='1', WORLD_SIZE='2', MASTER_ADDR='h', MASTER_PORT='1',
                              LOCAL_RANK='1', OTHER='x'))
    assert env == dict(RANK='1', WORLD_SIZE='2', MASTER_ADDR='h', MASTER_PORT='1', LOCAL_RANK='1')
    with pytest.raises(KeyError, match='MASTER_ADDR, MASTER_PORT.*torchrun'):
        D.torchrun_env(dict(RANK='0', WORLD_SIZE='1'))
    env = D.mpi_dist_env(dict(OMPI_COMM_WORLD_RANK='2', OMPI_COMM_WORLD_SIZE='4',
                              OMPI_COMM_WORLD_LOCAL_RANK='0', MASTER_ADDR='h'))
    assert env == dict(RANK='2', WORLD_SIZE='4', LOCAL_RANK='0', MASTER_ADDR='h',
                       MASTER_PORT='29500')
    with pytest.raises(KeyError, match='MASTER_ADDR'):
        D.mpi_dist_env(dict(OMPI_COMM_WORLD_RANK='0'))


def test_no_launcher_changes_nothing():
    cfg = Config(dict(model=dict()))
    assert D.setup_distributed(cfg, 'none', environ={}) is None
    assert cfg.launcher == 'none' and 'env_cfg' not in cfg and 'model_wrapper_cfg' not in cfg
    with pytest.raises(ValueError, match="unknown launcher 'foo'"):
        D.setup_distributed(cfg, 'foo', environ={})


@pytest.fixture
def one_process_group():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        port = s.getsockname()[1]
    environ = dict(RANK='0', WORLD_SIZE='1', LOCAL_RANK='0', MASTER_ADDR='127.0.0.1',
                   MASTER_PORT=str(port))
    yield environ
    if dist.is_initialized():
        dist.destroy_process_group()


@pytest.mark.skipif(torch.cuda.is_available(), reason='the CPU path')
def test_cpu_setup_initialises_gloo_and_cpu_wrapper(one_process_group, capsys):
    cfg = Config(dict(env_cfg=dict(dist_cfg=dict(backend='nccl')), find_unused_parameters=True))
    env = D.setup_distributed(cfg, 'pytorch', environ=one_process_group)
    assert env['RANK'] == '0' and cfg.launcher == 'pytorch'
    assert dist.is_initialized() and dist.get_backend() == 'gloo'
    assert cfg.env_cfg.dist_cfg.backend == 'gloo'
    assert cfg.model_wrapper_cfg == dict(type='CPUDistributedDataParallel', device_ids=None,
                                         broadcast_buffers=False, find_unused_parameters=True)
    assert '[rank 0/1] pytorch launcher, gloo backend on CPU' in capsys.readouterr().out

    # SyncBN (mmseg's default norm) becomes BatchNorm with the same weights; DDP then trains it
    from mmengine.registry import MODEL_WRAPPERS
    net = torch.nn.Sequential(torch.nn.Conv2d(1, 2, 1), torch.nn.SyncBatchNorm(2))
    with torch.no_grad():
        net[1].weight.copy_(torch.tensor([2., 3.]))
    wrapped = MODEL_WRAPPERS.build(cfg.model_wrapper_cfg, default_args=dict(module=net))
    bn = wrapped.module[1]
    assert not isinstance(bn, torch.nn.SyncBatchNorm)
    assert isinstance(bn, torch.nn.modules.batchnorm._BatchNorm)
    assert bn.weight.tolist() == [2., 3.]
    wrapped(torch.randn(2, 1, 4, 4)).sum().backward()
    assert wrapped.module[0].weight.grad is not None

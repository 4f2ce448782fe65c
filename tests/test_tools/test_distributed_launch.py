"""tools/dist_*.sh (torchrun) and tools/slurm_*.sh (a real Slurm) with two CPU processes each:
training runs with rank/world size in the logs, and the test-set metrics of a distributed run
equal a single-process run's on the same checkpoint, on a validation split whose size (7) is not
divisible by the world size (2)."""
import json
import os
import os.path as osp
import re
import socket
import subprocess
import sys

import pytest

from conftest import repo_path

pytestmark = pytest.mark.slow

CFG = repo_path('configs', 'unet_salt.py')
TINY = ['model.backbone.depth=18', 'model.decode_head.decoder_channels=[16,16,16,8,8]',
        'model.decode_head.channels=8']
LOADERS = ('train_dataloader', 'val_dataloader', 'test_dataloader')
# a learning rate that moves the tiny U-Net off "all background" within 8 iterations, so the
# compared metrics depend on every pixel of every image
TRAIN = TINY + [f'{loader}.{k}' for loader in LOADERS
                for k in ('num_workers=0', 'persistent_workers=False')] + [
    'train_dataloader.batch_size=4', 'val_dataloader.batch_size=2', 'train_cfg.val_interval=4',
    'default_hooks.checkpoint.interval=4', 'default_hooks.logger.interval=1',
    'randomness.seed=0', 'optim_wrapper.optimizer.lr=0.01', 'param_scheduler.0.start_factor=1.0']
# full-precision metrics, batches of 2 so that rank 1 gets a padded last batch
TEST = TINY + ['test_dataloader.batch_size=2', 'test_dataloader.num_workers=0',
               'test_dataloader.persistent_workers=False', 'test_evaluator.decimals=None']
TIMING = ('ms_per_img', 'peak_mem_MB')


def free_port() -> int:
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def run(cmd, cwd, **env) -> str:
    env = dict(os.environ, PYTHON=sys.executable, PYTHONWARNINGS='ignore',
               PATH=osp.dirname(sys.executable) + os.pathsep + os.environ['PATH'], **env)
    proc = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=600)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, f'{cmd[:2]} exit {proc.returncode}:\n{out[-4000:]}'
    return out


def data_opts(root):
    return [f'{loader}.dataset.data_root={root}' for loader in LOADERS]


@pytest.fixture(scope='module')
def odd_tgs(tmp_path_factory) -> str:
    """27 labelled images: fold 0 validates on 7."""
    from seg_ext.core.synthetic import write_tgs_dataset
    from seg_ext.core.tgs_salt import write_tgs_splits

    root = str(tmp_path_factory.mktemp('tgs_odd'))
    write_tgs_dataset(root, num_train=27, num_test=2, seed=1)
    write_tgs_splits(root, num_folds=4, seed=0)
    assert len(open(osp.join(root, 'splits', 'fold0_val.txt')).read().split()) == 7
    return root


@pytest.fixture(scope='module')
def torchrun_ckpt(odd_tgs, tmp_path_factory):
    """tools/dist_train.sh with 2 processes for 8 iterations: (checkpoint, log)."""
    work = str(tmp_path_factory.mktemp('torchrun_train'))
    out = run([repo_path('tools', 'dist_train.sh'), CFG, '2', '--work-dir', work,
               '--cfg-options', 'train_cfg.max_iters=8'] + TRAIN + data_opts(odd_tgs),
              cwd=work, PORT=str(free_port()))
    return osp.join(work, 'iter_8.pth'), out


@pytest.fixture(scope='module')
def single_metrics(odd_tgs, torchrun_ckpt, tmp_path_factory) -> dict:
    """tools/test.py in one process on the torchrun checkpoint."""
    work = str(tmp_path_factory.mktemp('single_test'))
    path = osp.join(work, 'metrics.json')
    out = run([sys.executable, repo_path('tools', 'test.py'), CFG, torchrun_ckpt[0],
               '--work-dir', work, '--json', path, '--cfg-options'] + TEST + data_opts(odd_tgs),
              cwd=work)
    assert '[rank' not in out  # not distributed
    metrics = json.load(open(path))
    assert 0 < metrics['IoU.salt'] < 100 and 0 < metrics['IoU.background'] < 100
    return metrics


def assert_same_metrics(dist: dict, single: dict) -> None:
    assert set(dist) == set(single)
    for key, value in single.items():
        if key not in TIMING:
            assert dist[key] == pytest.approx(value, abs=1e-6), key


def test_torchrun_train_logs_ranks(torchrun_ckpt):
    ckpt, out = torchrun_ckpt
    assert osp.isfile(ckpt)
    assert re.search(r'\[rank 0/2\] pytorch launcher, gloo backend on CPU', out)
    assert re.search(r'\[rank 1/2\] pytorch launcher, gloo backend on CPU', out)
    assert 'Distributed training: True' in out
    assert 'Iter(train) [8/8]' in out


def test_torchrun_test_equals_single_process(odd_tgs, torchrun_ckpt, single_metrics, tmp_path):
    path = str(tmp_path / 'metrics.json')
    out = run([repo_path('tools', 'dist_test.sh'), CFG, torchrun_ckpt[0], '2', '--work-dir',
               str(tmp_path), '--json', path, '--cfg-options'] + TEST + data_opts(odd_tgs),
              cwd=str(tmp_path), PORT=str(free_port()))
    assert '[rank 1/2] pytorch launcher' in out
    assert_same_metrics(json.load(open(path)), single_metrics)


def test_slurm_train_and_test(slurm_cluster, odd_tgs, torchrun_ckpt, single_metrics, tmp_path):
    work = str(tmp_path / 'slurm_train')
    out = run([repo_path('tools', 'slurm_train.sh'), slurm_cluster, 'seg_ext_ci', CFG, work,
               '--cfg-options', 'train_cfg.max_iters=4'] + TRAIN + data_opts(odd_tgs),
              cwd=str(tmp_path), GPUS='2', GPUS_PER_NODE='2', CPUS_PER_TASK='1',
              PORT=str(free_port()))
    assert re.search(r'srun -p debug --job-name=seg_ext_ci --gres=gpu:2 --ntasks=2', out)
    for rank in (0, 1):
        assert re.search(rf'\[rank {rank}/2\] slurm launcher, gloo backend on CPU, local rank '
                         rf'{rank}, master localhost:', out), out[-3000:]
    assert osp.isfile(osp.join(work, 'iter_4.pth'))

    # a CPU partition without GPU GRES (GRES= drops --gres), same two tasks
    path = str(tmp_path / 'metrics.json')
    out = run([repo_path('tools', 'slurm_test.sh'), slurm_cluster, 'seg_ext_ci_test', CFG,
               torchrun_ckpt[0], '--work-dir', str(tmp_path / 'slurm_test'), '--json', path,
               '--cfg-options'] + TEST + data_opts(odd_tgs), cwd=str(tmp_path), GPUS='2',
              GPUS_PER_NODE='2', CPUS_PER_TASK='1', GRES='', PORT=str(free_port()))
    assert '--gres' not in out and '[rank 1/2] slurm launcher' in out
    assert_same_metrics(json.load(open(path)), single_metrics)


def test_slurm_scripts_usage_errors(tmp_path):
    for script, nargs in (('slurm_train.sh', 3), ('slurm_test.sh', 4), ('slurm_d2_train.sh', 3),
                          ('dist_train.sh', 2), ('dist_test.sh', 3)):
        proc = subprocess.run([repo_path('tools', script)], capture_output=True, text=True,
                              cwd=str(tmp_path))
        assert proc.returncode == 2 and 'usage:' in proc.stderr, script
    proc = subprocess.run([repo_path('tools', 'slurm_d2_train.sh'), 'p', 'j', 'cfg.yaml'],
                          capture_output=True, text=True, cwd=str(tmp_path),
                          env=dict(os.environ, GPUS='3', GPUS_PER_NODE='2'))
    assert proc.returncode == 2 and 'GPUS=3 is not a multiple of GPUS_PER_NODE=2' in proc.stderr

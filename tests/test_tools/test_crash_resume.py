"""Reliability of real tools/train.py runs (CPU, seeded, deterministic mode): the same seed gives
bit-identical loss curves; a run SIGKILLed mid-training, or while writing a checkpoint, resumes
with --resume from the last complete checkpoint and logs exactly the uninterrupted run's losses."""
import glob
import json
import os
import os.path as osp
import signal
import subprocess
import sys

import pytest

from conftest import ROOT, repo_path

pytestmark = pytest.mark.slow

CFG = repo_path('configs', 'unet_salt.py')
ITERS = 12
OPTS = ['model.backbone.depth=18', 'model.decode_head.decoder_channels=[16,16,16,8,8]',
        'model.decode_head.channels=8', 'train_dataloader.batch_size=4',
        'train_dataloader.num_workers=0', 'train_dataloader.persistent_workers=False',
        f'train_cfg.max_iters={ITERS}', 'train_cfg.val_interval=1000',
        'default_hooks.checkpoint.interval=3', 'default_hooks.checkpoint.max_keep_ckpts=10',
        'default_hooks.logger.interval=1', 'randomness.seed=0', 'randomness.deterministic=True']


def train_cmd(root, work, *extra):
    return [sys.executable, repo_path('tools', 'train.py'), CFG, '--work-dir', work, *extra,
            '--cfg-options'] + [f'{loader}.dataset.data_root={root}' for loader in
                                ('train_dataloader', 'val_dataloader', 'test_dataloader')] + OPTS


def env(**kw):
    return dict(os.environ, PYTHONWARNINGS='ignore',
                PYTHONPATH=ROOT + os.pathsep + os.environ.get('PYTHONPATH', ''), **kw)


def losses(work):
    """{iteration: loss} from every run (timestamp folder) of a work dir, later runs last."""
    out = {}
    for path in sorted(glob.glob(osp.join(work, '*', 'vis_data', 'scalars.json'))):
        for line in open(path):
            rec = json.loads(line)
            if 'loss' in rec:
                out[rec['iter']] = rec['loss']
    return out


def run(cmd, **kw):
    proc = subprocess.run(cmd, env=env(**kw), capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return proc.stdout + proc.stderr


@pytest.fixture(scope='module')
def reference(tgs_root, tmp_path_factory):
    work = str(tmp_path_factory.mktemp('uninterrupted'))
    run(train_cmd(tgs_root, work))
    curve = losses(work)
    assert sorted(curve) == list(range(1, ITERS + 1))
    return curve


def test_same_seed_bit_identical_losses(tgs_root, reference, tmp_path):
    run(train_cmd(tgs_root, str(tmp_path)))
    assert losses(str(tmp_path)) == reference  # exact float equality, every iteration


def test_sigkill_mid_training_then_resume(tgs_root, reference, tmp_path):
    work = str(tmp_path)
    proc = subprocess.Popen(train_cmd(tgs_root, work), env=env(), stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    killed_after = None
    for line in proc.stdout:
        if 'Iter(train) [ 7/12]' in line:  # iteration 7 done, checkpoint 6 on disk
            proc.send_signal(signal.SIGKILL)
            killed_after = 7
            break
    proc.wait(timeout=60)
    assert killed_after and proc.returncode == -signal.SIGKILL
    assert not osp.exists(osp.join(work, 'iter_12.pth'))
    assert sorted(glob.glob(osp.join(work, 'iter_*.pth'))) == [osp.join(work, 'iter_3.pth'),
                                                               osp.join(work, 'iter_6.pth')]

    out = run(train_cmd(tgs_root, work, '--resume'))
    assert 'resumed epoch: 0, iter: 6' in out
    after = {k: v for k, v in losses(work).items()}
    resumed = {i: after[i] for i in range(7, ITERS + 1)}
    assert resumed == {i: reference[i] for i in range(7, ITERS + 1)}


def test_kill_while_writing_checkpoint_then_resume(tgs_root, reference, tmp_path):
    work = str(tmp_path)
    cmd = train_cmd(tgs_root, work)
    cmd.insert(1, repo_path('tests', 'helpers', 'kill_during_save.py'))
    proc = subprocess.run(cmd, env=env(SEG_EXT_TEST_KILL_SAVING='iter_9.pth'),
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == -signal.SIGKILL, proc.stderr[-2000:]
    # the half-written file never became iter_9.pth; the pointer still names iter_6
    assert not osp.exists(osp.join(work, 'iter_9.pth'))
    assert glob.glob(osp.join(work, '.iter_9.pth.*.tmp'))
    assert open(osp.join(work, 'last_checkpoint')).read().strip().endswith('iter_6.pth')

    out = run(train_cmd(tgs_root, work, '--resume'))
    assert 'resumed epoch: 0, iter: 6' in out
    resumed = losses(work)
    assert {i: resumed[i] for i in range(7, ITERS + 1)} == \
        {i: reference[i] for i in range(7, ITERS + 1)}
    assert osp.isfile(osp.join(work, 'iter_12.pth'))


def test_nan_loss_stops_before_saving(tgs_root, tmp_path):
    work = str(tmp_path)
    cmd = train_cmd(tgs_root, work) + ['default_hooks.checkpoint.interval=1',
                                       'optim_wrapper.optimizer.lr=1e30',
                                       'param_scheduler.0.start_factor=1.0']
    proc = subprocess.run(cmd, env=env(), capture_output=True, text=True, timeout=600)
    assert proc.returncode == 1
    err = proc.stderr.strip().splitlines()[-1]
    assert err.startswith('error: training loss is not finite at iteration ')
    bad_iter = int(err.split('iteration ')[1].split()[0])
    assert 'decode.loss_ce=nan' in err or 'inf' in err
    saved = sorted(int(p.split('_')[-1][:-4]) for p in glob.glob(osp.join(work, 'iter_*.pth')))
    assert saved == list(range(1, bad_iter))  # every good iteration saved, the broken one not

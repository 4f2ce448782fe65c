"""tools/analysis_tools/ablation.py: every arm's options build the model, the table's statistics
by hand, and a whole (tiny) run through the real tools that resumes instead of repeating."""
import json
import os
import os.path as osp
import re
import shlex
import shutil
import subprocess
import sys

import pytest

from conftest import repo_path

sys.path.insert(0, repo_path('tools', 'analysis_tools'))
import ablation  # noqa: E402


@pytest.mark.parametrize('arm', list(ablation.ARMS))
def test_every_arm_builds_the_model_it_names(arm):
    from mmseg.registry import MODELS

    from seg_ext.mmseg.apis.runner_setup import load_config
    opts = ablation.ARMS[arm] + ['model.backbone.depth=18', 'model.backbone.norm_cfg.type=BN',
                                 'model.decode_head.norm_cfg.type=BN']
    ns = type('NS', (), {})()
    from mmengine.config import DictAction
    DictAction(['--cfg-options'], 'cfg_options')(None, ns, opts)
    cfg = load_config(repo_path('configs', 'unet_salt_demo.py'), ns.cfg_options)
    head = MODELS.build(cfg.model).decode_head
    scse = any('scse' in n.lower() for n, _ in head.named_modules())
    assert scse == ('scSE' in arm or arm == 'all')
    assert hasattr(head, 'hypercolumn_fuse') == ('hypercolumn' in arm or arm == 'all')
    assert head.aux_weights == ([0.1] * 4 if 'deep supervision' in arm or arm == 'all' else [])
    assert hasattr(head, 'empty_cls') == ('empty branch' in arm or arm == 'all')
    assert (head.empty_cfg or {}).get('loss_weight') in (None, 0.05)


def test_summary_statistics_by_hand():
    runs = [dict(arm='baseline', seed=s, metrics=dict(TGS=t, mIoU=m, FWIoU=90.0))
            for s, t, m in ((0, 80.0, 90.0), (1, 82.0, 91.0), (2, 84.0, 95.0))]
    runs.append(dict(arm='all', seed=0, metrics=dict(TGS=85.5, mIoU=93.0, FWIoU=91.0)))
    rows = ablation.summarise(runs)
    assert [r['arm'] for r in rows] == ['baseline', 'all']
    base = rows[0]
    assert base['TGS']['mean'] == 82.0 and base['TGS']['std'] == 2.0  # sample sd of 80, 82, 84
    assert base['mIoU']['mean'] == 92.0 and base['mIoU']['std'] == pytest.approx(2.6457513)
    assert (base['mIoU']['min'], base['mIoU']['max']) == (90.0, 95.0)
    assert rows[1]['TGS']['std'] == 0.0  # one seed
    table = ablation.markdown(rows).splitlines()
    assert table[2] == ('| baseline | 3 | 82.00 ± 2.00 (80.00–84.00) | 92.00 ± 2.65 '
                        '(90.00–95.00) | 90.00 ± 0.00 (90.00–90.00) |')


def readme_commands():
    """The README's ablation commands (section "Ablation"), continuations joined."""
    text = open(repo_path('README.md')).read()
    part = text[text.index('### Ablation\n'):]
    block = re.search(r'```bash\n(.*?)```', part, re.S).group(1)
    return [shlex.split(c) for c in block.replace('\\\n', ' ').splitlines() if c.strip()]


@pytest.mark.slow  # 2 trainings of 2 iterations, 3 tests and a tuning, each its own process
def test_the_readme_ablation_runs_tiny_and_resumes(tgs_root, tmp_path):
    """The README's commands as written, in a folder whose data/ holds the tiny dataset (so the
    generator skips), the ablation cut to one seed, two arms and a 2-iteration schedule by
    arguments appended to the README's (argparse keeps the last)."""
    os.makedirs(tmp_path / 'data')
    for name in ('tgs_salt_demo', 'tgs_salt_tune'):
        shutil.copytree(tgs_root, tmp_path / 'data' / name)
    os.symlink(repo_path('configs'), tmp_path / 'configs')
    tiny = [f'{s}_dataloader.{k}' for s in ('train', 'val', 'test')
            for k in ('num_workers=0', 'persistent_workers=False', 'batch_size=4')]
    tiny += ['train_cfg.max_iters=2', 'train_cfg.val_interval=2',
             'default_hooks.checkpoint.interval=2', 'param_scheduler.0.end=1',
             'param_scheduler.1.begin=1', 'model.backbone.norm_cfg.type=BN',
             'model.decode_head.norm_cfg.type=BN', 'custom_hooks=[]']
    commands = readme_commands()
    assert [c[1] for c in commands] == ['tools/misc/make_demo_data.py'] * 2 + [
        'tools/analysis_tools/ablation.py']
    env = dict(os.environ, PYTHONWARNINGS='ignore')
    for argv in commands[:2]:
        proc = subprocess.run([sys.executable, repo_path(argv[1])] + argv[2:], cwd=tmp_path,
                              capture_output=True, text=True, env=env)
        assert proc.returncode == 0 and 'already present' in proc.stdout, proc.stderr
    argv = commands[2]
    assert argv[argv.index('--seeds') + 1:argv.index('--seeds') + 4] == ['0', '1', '2']
    cmd = [sys.executable, repo_path(argv[1])] + argv[2:] + [
        '--seeds', '0', '--arms', 'baseline', ablation.TUNED, '--cfg-options'] + tiny
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=tmp_path, timeout=900,
                          env=env)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    work = str(tmp_path / 'work_dirs' / 'ablation')
    result = json.load(open(osp.join(work, 'ablation.json')))
    assert [r['arm'] for r in result['rows']] == ['baseline', ablation.TUNED]
    for r in result['runs']:
        assert 0 <= r['metrics']['TGS'] <= 100
    tuned = open(osp.join(work, 'all-0', 'tune.log')).read()
    assert 'data/tgs_salt_tune' in tuned and '(all)' in tuned  # tuned on the tuning data
    assert osp.isfile(osp.join(work, 'all-0', 'postprocess.py'))
    assert osp.isfile(osp.join(work, 'ablation.png'))
    assert '| baseline | 1 |' in proc.stdout
    stamp = osp.getmtime(osp.join(work, 'baseline-0', 'metrics.json'))
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=tmp_path, timeout=300,
                          env=env)
    assert proc.returncode == 0 and '$ ' not in proc.stdout  # nothing re-run
    assert osp.getmtime(osp.join(work, 'baseline-0', 'metrics.json')) == stamp


def test_missing_tuning_data_is_one_line(tmp_path):
    proc = subprocess.run([sys.executable, repo_path('tools', 'analysis_tools', 'ablation.py'),
                           repo_path('configs', 'unet_salt_demo.py'), '--tune-root',
                           str(tmp_path / 'nope')], capture_output=True, text=True)
    assert proc.returncode != 0
    assert proc.stderr.strip() == f"error: {tmp_path / 'nope'}: not found"

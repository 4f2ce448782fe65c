"""tools/train.py -> checkpoint -> tools/test.py and --resume, as real processes (torch 2.13)."""
import json
import os
import os.path as osp
import re
import subprocess
import sys

import cv2
import numpy as np
import pytest

from seg_ext.core.confusion_report import read_confusion_csv
from seg_ext.core.metrics import change_scores

from conftest import repo_path

pytestmark = pytest.mark.slow

SMALL_RUN = [
    'train_dataloader.batch_size=4', 'train_dataloader.num_workers=0',
    'train_dataloader.persistent_workers=False',
    'val_dataloader.batch_size=4', 'val_dataloader.num_workers=0',
    'val_dataloader.persistent_workers=False',
    'test_dataloader.batch_size=4', 'test_dataloader.num_workers=0',
    'test_dataloader.persistent_workers=False',
    'train_cfg.val_interval=2', 'default_hooks.checkpoint.interval=2',
    'default_hooks.logger.interval=1', 'randomness.seed=0',
]
TINY = [
    'model.backbone.depth=18',
    'model.decode_head.decoder_channels=[16,16,16,8,8]',
    'model.decode_head.channels=8',
] + SMALL_RUN  # a small U-Net on small batches


def run(args, cwd):
    env = dict(os.environ, PYTHONWARNINGS='ignore')
    proc = subprocess.run([sys.executable] + args, cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return proc.stdout + proc.stderr


def data_opts(root):
    return [f'{loader}.dataset.data_root={root}'
            for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader')]


def test_train_checkpoint_test_resume(tgs_root, tmp_path):
    work = str(tmp_path / 'work')
    cfg = repo_path('configs', 'unet_salt.py')
    opts = TINY + data_opts(tgs_root)

    out = run([repo_path('tools', 'train.py'), cfg, '--work-dir', work, '--cfg-options',
               'train_cfg.max_iters=4'] + opts, cwd=str(tmp_path))
    assert osp.isfile(osp.join(work, 'iter_4.pth')) and osp.isfile(osp.join(work, 'iter_2.pth'))
    assert 'TGS' in out and 'FWIoU' in out

    # the checkpoint written by train.py loads in test.py (weights_only default of torch 2.13)
    json_path = str(tmp_path / 'metrics.json')
    out = run([repo_path('tools', 'test.py'), cfg, osp.join(work, 'iter_4.pth'), '--work-dir',
               work, '--json', json_path, '--out', str(tmp_path / 'preds'), '--cfg-options']
              + opts, cwd=str(tmp_path))
    metrics = json.load(open(json_path))
    for key in ('aAcc', 'mAcc', 'mIoU', 'FWIoU', 'TGS', 'IoU.salt', 'ms_per_img', 'peak_mem_MB'):
        assert key in metrics, key
    assert 0 <= metrics['mIoU'] <= 100 and metrics['ms_per_img'] > 0
    assert re.search(r'\|\s*mIoU\s*\|', out)  # the printed table
    preds = os.listdir(tmp_path / 'preds')
    assert len(preds) == 10 and all(p.endswith('.png') for p in preds)  # one per val image
    # the dataset confusion matrix next to the JSON: 10 images of 101x101, consistent with aAcc
    cm, classes = read_confusion_csv(str(tmp_path / 'confusion_matrix.csv'))
    assert classes == ['background', 'salt'] and cm.sum() == 10 * 101 * 101
    assert round(100 * np.trace(cm) / cm.sum(), 2) == metrics['aAcc']
    assert (tmp_path / 'confusion_matrix.png').is_file()
    assert f'confusion matrix written to {tmp_path / "confusion_matrix.csv"}' in out

    # the same checkpoint with the dataset's tuned dense CRF: both reports in one run; the model
    # channels-last (the config key): the unrefined numbers are those of the NCHW run above
    crf_json = str(tmp_path / 'crf.json')
    out = run([repo_path('tools', 'test.py'), cfg, osp.join(work, 'iter_4.pth'), '--work-dir',
               work, '--json', crf_json, '--crf', 'dense', '--cfg-options', 'channels_last=True']
              + opts, cwd=str(tmp_path))
    assert 'channels-last: model and input batches in torch.channels_last' in out
    crf_metrics = json.load(open(crf_json))
    assert {'mIoU', 'TGS', 'noCRF/mIoU', 'noCRF/TGS'} <= set(crf_metrics)
    assert abs(crf_metrics['noCRF/mIoU'] - metrics['mIoU']) < 0.01

    # --resume PATH continues from that checkpoint (into another work dir)
    # (channels-last: an NCHW checkpoint resumes into the channels-last model)
    out = run([repo_path('tools', 'train.py'), cfg, '--work-dir', str(tmp_path / 'w2'), '--resume',
               osp.join(work, 'iter_2.pth'), '--cfg-options', 'train_cfg.max_iters=3',
               'channels_last=True'] + opts, cwd=str(tmp_path))
    assert 'resumed epoch: 0, iter: 2' in out and 'Iter(train) [3/3]' in out
    assert 'channels-last: model and input batches in torch.channels_last' in out

    # --resume alone continues from the latest checkpoint of the work dir, with the optimizer and
    # iteration restored (max_keep_ckpts=2 then drops iter_2.pth)
    out = run([repo_path('tools', 'train.py'), cfg, '--work-dir', work, '--resume',
               '--cfg-options', 'train_cfg.max_iters=6'] + opts, cwd=str(tmp_path))
    assert 'resumed epoch: 0, iter: 4' in out
    assert 'Iter(train) [5/6]' in out and osp.isfile(osp.join(work, 'iter_6.pth'))

    # mmseg's own tools/test.py works too: custom_imports loads the plugin and its checkpoint compat
    import mmseg
    mmseg_test = osp.join(osp.dirname(mmseg.__file__), '.mim', 'tools', 'test.py')
    out = run([mmseg_test, cfg, osp.join(work, 'iter_6.pth'), '--work-dir', str(tmp_path / 'w3'),
               '--cfg-options'] + opts, cwd=str(tmp_path))
    assert re.search(r'Iter\(test\) \[3/3\].*mIoU: [0-9.]+.*TGS: [0-9.]+', out)


def test_test_refuses_checkpoint_of_another_model(tgs_root, tmp_path):
    import torch
    bad = str(tmp_path / 'other.pth')
    torch.save({'state_dict': {'backbone.stem.0.weight': torch.zeros(3)}}, bad)
    env = dict(os.environ, PYTHONWARNINGS='ignore')
    proc = subprocess.run([sys.executable, repo_path('tools', 'test.py'),
                           repo_path('configs', 'unet_salt.py'), bad, '--work-dir',
                           str(tmp_path / 'w'), '--cfg-options'] + TINY + data_opts(tgs_root),
                          capture_output=True, text=True, env=env, timeout=600)
    assert proc.returncode != 0
    assert 'other.pth: checkpoint does not match the model' in proc.stderr


@pytest.mark.parametrize('config, narrow', [
    ('segnet_salt.py', ['model.backbone.base_channels=8',
                        'model.decode_head.encoder_channels=[8,16,32,64,64]',
                        'model.decode_head.channels=8']),
    ('fcn8s_salt.py', ['model.backbone.base_channels=8', 'model.backbone.fc_channels=16',
                       'model.decode_head.in_channels=[32,64,16]']),
])
def test_vgg_models_train_and_validate_through_the_tools(tgs_root, tmp_path, config, narrow):
    work = str(tmp_path / 'work')
    out = run([repo_path('tools', 'train.py'), repo_path('configs', config), '--work-dir', work,
               '--cfg-options', 'train_cfg.max_iters=2'] + narrow + SMALL_RUN + data_opts(tgs_root),
              cwd=str(tmp_path))
    assert 'Iter(train) [2/2]' in out and re.search(r'Iter\(val\).*mIoU: [0-9.]+', out)
    assert osp.isfile(osp.join(work, 'iter_2.pth'))


def test_change_detection_through_the_tools(levir_root, tmp_path):
    work = str(tmp_path / 'work')
    cfg = repo_path('configs', 'changedet_levir.py')
    opts = [f'{loader}.dataset.data_root={levir_root}'
            for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader')] + [
        'train_dataloader.batch_size=2', 'train_dataloader.num_workers=0',
        'train_dataloader.persistent_workers=False', 'val_dataloader.num_workers=0',
        'val_dataloader.persistent_workers=False', 'test_dataloader.num_workers=0',
        'test_dataloader.persistent_workers=False', 'crop_size=(64,64)',
        'train_dataloader.dataset.pipeline.2.crop_size=(64,64)',
        'train_cfg.val_interval=2', 'default_hooks.checkpoint.interval=2']
    out = run([repo_path('tools', 'train.py'), cfg, '--work-dir', work, '--cfg-options',
               'train_cfg.max_iters=2'] + opts, cwd=str(tmp_path))
    assert re.search(r'Iter\(val\).*F1: [0-9.]+.*FWIoU', out)
    json_path = str(tmp_path / 'cd.json')
    run([repo_path('tools', 'test.py'), cfg, osp.join(work, 'iter_2.pth'), '--work-dir', work,
         '--json', json_path, '--crf', 'dense', '--cfg-options'] + opts, cwd=str(tmp_path))
    m = json.load(open(json_path))
    assert {'F1', 'Precision', 'Recall', 'IoU', 'mIoU', 'FWIoU', 'noCRF/F1'} <= set(m)
    for stem, prefix in (('confusion_matrix', ''), ('noCRF_confusion_matrix', 'noCRF/')):
        cm, _ = read_confusion_csv(str(tmp_path / f'{stem}.csv'))
        assert cm.sum() == 3 * 64 * 64 and (tmp_path / f'{stem}.png').is_file()
        assert round(100 * change_scores(cm)['F1'], 2) == m[prefix + 'F1']
    maps = sorted(os.listdir(osp.join(work, 'change_maps')))
    assert maps == ['test_1.png', 'test_2.png', 'test_3.png']
    panel = cv2.imread(osp.join(work, 'change_maps', maps[0]))
    assert panel.shape == (64, 4 * 64 + 3 * 4, 3)  # A | B | GT | prediction

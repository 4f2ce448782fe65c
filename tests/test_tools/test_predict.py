"""tools/predict.py: every README "Predict" route run as written (paths moved to a tmp copy of
the data), labels equal to mmseg's inference_model and to tools/test.py --out, the Kaggle
submission round trip, ensembles, and the one-line errors."""
import os
import os.path as osp
import re
import shlex
import shutil
import subprocess
import sys

import cv2
import numpy as np
import pytest
from helpers.run_script import run_script
from helpers.salt_checkpoint import build_salt_model, save_checkpoint

from seg_ext.core.submission import read_submission, read_submission_ids

from conftest import repo_path

CONFIG = repo_path('configs', 'unet_salt_demo.py')
PREDICT = repo_path('tools', 'predict.py')


def readme_block(lang):
    text = open(repo_path('README.md')).read()
    section = text.split('## Predict\n', 1)[1].split('\n## ', 1)[0]
    return re.findall(rf'```{lang}\n(.*?)```', section, re.S)[0]


@pytest.fixture(scope='module')
def demo(tmp_path_factory, tgs_root, levir_root):
    """A tmp folder laid out like the repo after `make demo`: data/tgs_salt_demo and
    data/levir_cd_demo (the synthetic test data), work_dirs/unet_salt_demo/
    {best_mIoU_iter_400,iter_200}.pth and work_dirs/changedet_levir_demo/best_F1_iter_600.pth."""
    import copy

    import torch
    from mmengine.config import Config
    from mmseg.registry import MODELS
    root = tmp_path_factory.mktemp('demo')
    shutil.copytree(tgs_root, root / 'data' / 'tgs_salt_demo')
    shutil.copytree(levir_root, root / 'data' / 'levir_cd_demo')
    work = root / 'work_dirs' / 'unet_salt_demo'
    work.mkdir(parents=True)
    save_checkpoint(build_salt_model(seed=0), str(work / 'best_mIoU_iter_400.pth'))
    save_checkpoint(build_salt_model(seed=1), str(work / 'iter_200.pth'))
    m = copy.deepcopy(Config.fromfile(repo_path('configs', 'changedet_levir_demo.py')).model)
    m.backbone.norm_cfg = dict(type='BN')
    torch.manual_seed(0)
    (root / 'work_dirs' / 'changedet_levir_demo').mkdir()
    save_checkpoint(MODELS.build(m), str(root / 'work_dirs' / 'changedet_levir_demo' /
                                         'best_F1_iter_600.pth'))
    return root


def in_demo(text, root):
    return text.replace('configs/', repo_path('configs') + '/') \
        .replace('tools/', repo_path('tools') + '/') \
        .replace('data/tgs_salt_demo', str(root / 'data' / 'tgs_salt_demo')) \
        .replace('data/levir_cd_demo', str(root / 'data' / 'levir_cd_demo')) \
        .replace('work_dirs/', str(root / 'work_dirs') + '/')


def labels_in(folder):
    return {osp.splitext(n)[0]: cv2.imread(osp.join(folder, n), cv2.IMREAD_UNCHANGED)
            for n in sorted(os.listdir(folder))}


@pytest.mark.slow
def test_readme_predict_commands(demo):
    script = in_demo(readme_block('bash'), demo).replace('python ', f'{sys.executable} ')
    proc = subprocess.run(['bash', '-ec', script], capture_output=True, text=True, cwd=demo,
                          timeout=900, env=dict(os.environ, PYTHONWARNINGS='ignore'))
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert 'submission (4 rows, in the order of' in proc.stdout
    work = demo / 'work_dirs' / 'unet_salt_demo'
    data = demo / 'data' / 'tgs_salt_demo'
    test_ids = sorted(osp.splitext(n)[0] for n in os.listdir(data / 'test' / 'images'))

    one = labels_in(work / 'predict_one' / 'labels')
    assert list(one) == test_ids[:1] and os.listdir(work / 'predict_one' / 'overlay')
    folder = labels_in(work / 'predict_test' / 'labels')  # rewritten by the submission run
    assert sorted(folder) == test_ids and all(v.shape == (101, 101) for v in folder.values())
    probs = np.load(work / 'predict_test' / 'probs' / f'{test_ids[0]}.npy')
    assert probs.shape == (2, 101, 101) and probs.dtype == np.float32
    assert np.allclose(probs.sum(0), 1, atol=1e-6)
    overlay = cv2.imread(str(work / 'predict_test' / 'overlay' / f'{test_ids[0]}.png'))
    assert overlay.shape == (101, 2 * 101 + 4, 3)
    val_ids = [ln.strip() for ln in open(data / 'splits' / 'fold0_val.txt') if ln.strip()]
    assert sorted(labels_in(work / 'predict_val' / 'labels')) == sorted(val_ids)
    assert sorted(labels_in(work / 'predict_ens' / 'labels')) == test_ids
    tiled = labels_in(work / 'predict_tiled' / 'labels')
    assert list(tiled) == test_ids[:1] and tiled[test_ids[0]].shape == (101, 101)
    pairs = labels_in(demo / 'work_dirs' / 'changedet_levir_demo' / 'predict_test' / 'labels')
    assert sorted(pairs) == sorted(osp.splitext(n)[0]
                                   for n in os.listdir(demo / 'data' / 'levir_cd_demo' / 'test'
                                                       / 'A'))

    # the submission: ids and order of sample_submission.csv, decoding to the written labels
    sub = read_submission(work / 'submission.csv', (101, 101))
    assert list(sub) == read_submission_ids(data / 'sample_submission.csv')
    assert list(sub) != test_ids  # the sample's order is not the folder's
    for sid, mask in sub.items():
        assert np.array_equal(mask, folder[sid])

    # the Python snippet (mmseg's APIs) runs as written, from the demo folder
    cwd = os.getcwd()
    try:
        os.chdir(demo)
        snippet = readme_block('python').replace("'configs/", f"'{repo_path('configs')}/")
        exec(compile(snippet, 'README.md', 'exec'), {})
    finally:
        os.chdir(cwd)


@pytest.mark.slow
def test_readme_tta_commands(demo):
    """The Predict section's other bash blocks (TTA on both demo checkpoints, the change demo's
    data and training), in the demo folder; data kept at the fixture's size, 2 iterations."""
    from test_tools.test_readme_export_predict import SHORTER
    text = open(repo_path('README.md')).read()
    section = text.split('## Predict\n', 1)[1].split('\n## ', 1)[0]
    shorter = SHORTER + [('tools/misc/make_demo_data.py levir',
                          ['--num-train', '6', '--num-val', '2', '--num-test', '3', '--size',
                           '64'])]
    ran = []
    for block in re.findall(r'```bash\n(.*?)```', section, re.S)[1:]:
        for cmd in block.replace('\\\n', ' ').splitlines():
            if not cmd.startswith('python '):
                continue
            argv = shlex.split(in_demo(cmd, demo))[1:]
            start = ' '.join(shlex.split(cmd)[1:])
            argv += next((extra for prefix, extra in shorter if start.startswith(prefix)), [])
            proc = subprocess.run([sys.executable] + argv, capture_output=True, text=True,
                                  cwd=demo, timeout=900,
                                  env=dict(os.environ, PYTHONWARNINGS='ignore'))
            assert proc.returncode == 0, (cmd, proc.stdout[-2000:], proc.stderr[-3000:])
            ran.append((start, proc.stdout + proc.stderr))
    tests = [out for start, out in ran if start.startswith('tools/test.py')]
    assert len(ran) == 6 and len(tests) == 4
    assert all('mIoU' in out for out in tests)
    assert sum('F1' in out for out in tests) == 2  # the change checkpoint's two runs


def predict(args, capsys):
    """Run tools/predict.py in this process; returns (exit status, stdout + stderr)."""
    return run_script(PREDICT, list(args) + ['--no-progress'], capsys)


@pytest.fixture(scope='module')
def ckpt(demo):
    return str(demo / 'work_dirs' / 'unet_salt_demo' / 'best_mIoU_iter_400.pth')


@pytest.mark.slow
def test_labels_equal_inference_model_and_ensemble_of_one(demo, ckpt, tmp_path, capsys):
    from mmseg.apis import inference_model, init_model
    images = demo / 'data' / 'tgs_salt_demo' / 'test' / 'images'
    rc, out = predict([CONFIG, ckpt, '--input', images, '--out-dir', tmp_path / 'one',
                       '--probs', '--batch-size', 3], capsys)
    assert rc == 0, out
    rc, out = predict([CONFIG, ckpt, ckpt, '--input', images, '--out-dir', tmp_path / 'two',
                       '--probs', '--batch-size', 3], capsys)  # same batches: same numerics
    assert rc == 0 and '4 image(s) predicted by 2 model(s)' in out, out
    model = init_model(CONFIG, ckpt, device='cpu')
    labels = labels_in(tmp_path / 'one' / 'labels')
    assert 0 < sum(v.sum() for v in labels.values()) < 4 * 101 * 101
    for sid, lab in labels.items():
        ref = inference_model(model, str(images / f'{sid}.png')).pred_sem_seg.data[0].numpy()
        assert np.array_equal(lab, ref)
        one = np.load(tmp_path / 'one' / 'probs' / f'{sid}.npy')
        two = np.load(tmp_path / 'two' / 'probs' / f'{sid}.npy')
        assert np.array_equal(one, two)  # the same checkpoint twice == the single model


def test_all_empty_prediction_writes_empty_strings(demo, ckpt, tmp_path, capsys):
    sub = tmp_path / 'sub.csv'
    rc, out = predict([CONFIG, ckpt, '--input', demo / 'data' / 'tgs_salt_demo' / 'test' /
                       'images', '--out-dir', tmp_path, '--threshold', '1.0',
                       '--kaggle-submission', sub], capsys)
    assert rc == 0, out
    lines = sub.read_text().splitlines()
    assert lines[0] == 'id,rle_mask' and len(lines) == 5
    assert all(ln.endswith(',') and ln.count(',') == 1 for ln in lines[1:])


def test_one_line_errors(demo, ckpt, tmp_path, capsys):
    data = demo / 'data' / 'tgs_salt_demo'
    split = tmp_path / 'ids.txt'
    split.write_text('nope\n')
    rc, out = predict([CONFIG, ckpt, '--input', split, '--img-dir', data / 'test' / 'images',
                       '--out-dir', tmp_path], capsys)
    assert rc == 1 and f'error: {data}/test/images/nope.png: image file not found' in out
    (tmp_path / 'empty').mkdir()
    rc, out = predict([CONFIG, ckpt, '--input', tmp_path / 'empty', '--out-dir', tmp_path],
                      capsys)
    assert rc == 1 and f'error: {tmp_path}/empty: no images' in out
    bad = tmp_path / 'bad.png'
    bad.write_bytes(b'not a png')
    rc, out = predict([CONFIG, ckpt, '--input', bad, '--out-dir', tmp_path], capsys)
    assert rc == 1 and f'error: {bad}: cannot be decoded as an image' in out
    other = save_checkpoint(build_salt_model('segnet_salt_demo.py'), str(tmp_path / 'segnet.pth'))
    rc, out = predict([CONFIG, other, '--input', data / 'test' / 'images', '--out-dir',
                       tmp_path], capsys)
    assert rc == 1 and f'error: {other}: checkpoint does not match the model' in out
    rc, out = predict([CONFIG, ckpt, '--model', repo_path('configs', 'unet_s5_d16_salt_demo.py'),
                       ckpt, '--input', data / 'test' / 'images', '--out-dir', tmp_path], capsys)
    assert rc == 1 and 'error: ' in out
    assert 'Traceback' not in out


@pytest.mark.slow
@pytest.mark.parametrize('tta', [False, True], ids=['plain', 'tta'])
def test_labels_equal_tools_test_out(demo, ckpt, tmp_path, tta):
    """tools/test.py --out (with and without --tta) and tools/predict.py on the val split."""
    data = demo / 'data' / 'tgs_salt_demo'
    flag = ['--tta'] if tta else []
    opts = [f'{k}_dataloader.dataset.data_root={data}' for k in ('train', 'val', 'test')] + \
        ['test_dataloader.num_workers=0', 'test_dataloader.persistent_workers=False']
    env = dict(os.environ, PYTHONWARNINGS='ignore')
    proc = subprocess.run([sys.executable, repo_path('tools', 'test.py'), CONFIG, ckpt,
                           '--work-dir', str(tmp_path / 'w'), '--out', str(tmp_path / 'test_out'),
                           '--cfg-options'] + opts + flag, capture_output=True, text=True,
                          env=env, timeout=600)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    proc = subprocess.run([sys.executable, PREDICT, CONFIG, ckpt, '--input',
                           str(data / 'splits' / 'fold0_val.txt'), '--img-dir',
                           str(data / 'train' / 'images'), '--out-dir', str(tmp_path / 'pred'),
                           '--no-progress'] + flag, capture_output=True, text=True, env=env,
                          timeout=600)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    ours, theirs = labels_in(tmp_path / 'pred' / 'labels'), labels_in(tmp_path / 'test_out')
    assert sorted(ours) == sorted(theirs) and len(ours) == 10
    for sid in ours:
        assert np.array_equal(ours[sid], theirs[sid]), sid


@pytest.mark.slow
def test_crf_equals_the_crf_refiner_of_tools_test(demo, ckpt, tmp_path, capsys):
    """--crf (the config's tuned DenseCRF) gives the labels of the CRFRefiner that
    tools/test.py --crf dense wraps around the model."""
    from mmengine.config import Config
    from mmseg.apis import inference_model, init_model

    from seg_ext.mmseg.apis import runner_setup
    from seg_ext.mmseg.models import CRFRefiner
    images = demo / 'data' / 'tgs_salt_demo' / 'test' / 'images'
    rc, out = predict([CONFIG, ckpt, '--input', images, '--out-dir', tmp_path, '--crf'], capsys)
    assert rc == 0, out
    crf = runner_setup.crf_settings(Config.fromfile(CONFIG), 'dense', CONFIG)
    segmentor = init_model(CONFIG, ckpt, device='cpu')
    model = CRFRefiner(segmentor, crf=crf, keep_raw=True)  # what enable_crf builds
    model.cfg = segmentor.cfg
    changed = 0
    for sid, lab in labels_in(tmp_path / 'labels').items():
        ref = inference_model(model, str(images / f'{sid}.png'))
        assert np.array_equal(lab, ref.pred_sem_seg.data[0].numpy()), sid
        changed += int((ref.pred_sem_seg_raw.data != ref.pred_sem_seg.data).sum())
    assert changed > 0  # the CRF did change some pixels


def test_tiles(demo, ckpt, tmp_path, capsys):
    images = demo / 'data' / 'tgs_salt_demo' / 'test' / 'images'
    first = sorted(images.iterdir())[0]
    rc, out = predict([CONFIG, ckpt, '--input', first, '--out-dir', tmp_path, '--tile', 64, 64,
                       '--overlap', 32, '--probs'], capsys)
    assert rc == 0, out
    p = np.load(tmp_path / 'probs' / f'{first.stem}.npy')
    assert p.shape == (2, 101, 101) and np.allclose(p.sum(0), 1, atol=1e-5)
    rc, out = predict([CONFIG, ckpt, '--input', first, '--out-dir', tmp_path, '--tile', 128, 64],
                      capsys)
    assert rc == 1 and f'error: {first}: the tile 128x64 is larger than the image 101x101' in out


@pytest.mark.slow
def test_change_pairs(levir_root, tmp_path, capsys):
    import copy

    import torch
    from mmengine.config import Config
    from mmseg.registry import MODELS

    from seg_ext.mmseg.apis.pair_inferencer import PairInferencer
    config = repo_path('configs', 'changedet_levir_demo.py')
    m = copy.deepcopy(Config.fromfile(config).model)
    m.backbone.norm_cfg = dict(type='BN')
    torch.manual_seed(0)
    ckpt = save_checkpoint(MODELS.build(m), str(tmp_path / 'cd.pth'))
    a_dir, b_dir = osp.join(levir_root, 'test', 'A'), osp.join(levir_root, 'test', 'B')
    rc, out = predict([config, ckpt, '--input', a_dir, '--input-b', b_dir, '--out-dir',
                       tmp_path / 'out', '--overlay'], capsys)
    assert rc == 0, out
    inferencer = PairInferencer(config, ckpt)
    for name in sorted(os.listdir(a_dir)):
        ref = inferencer(osp.join(a_dir, name), osp.join(b_dir, name))
        ours = cv2.imread(str(tmp_path / 'out' / 'labels' / name), cv2.IMREAD_UNCHANGED)
        assert np.array_equal(ours, ref.change_map), name
    b_copy = tmp_path / 'B'
    shutil.copytree(b_dir, b_copy)
    gone = sorted(os.listdir(b_copy))[0]
    os.remove(b_copy / gone)
    rc, out = predict([config, ckpt, '--input', a_dir, '--input-b', b_copy, '--out-dir',
                       tmp_path / 'out'], capsys)
    assert rc == 1 and f'error: {b_copy}/{gone}: image not found (the partner of' in out

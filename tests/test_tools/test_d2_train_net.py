"""tools/d2_train_net.py end to end on CPU: one-iteration Mask R-CNN and Panoptic FPN training
with evaluation, --eval-only from the checkpoint, --resume, and the semantic TGS dataset."""
import os
import os.path as osp
import re
import subprocess
import sys

import pytest

pytestmark = pytest.mark.slow
pytest.importorskip('detectron2', reason="detectron2 is not installed (extra 'd2')")

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
TOOL = osp.join(ROOT, 'tools', 'd2_train_net.py')
SMALL = ['SOLVER.IMS_PER_BATCH', '2', 'DATALOADER.NUM_WORKERS', '0', 'INPUT.MIN_SIZE_TRAIN',
         '(64,)', 'INPUT.MAX_SIZE_TRAIN', '64', 'INPUT.MIN_SIZE_TEST', '64',
         'INPUT.MAX_SIZE_TEST', '64', 'SOLVER.WARMUP_ITERS', '1', 'SOLVER.STEPS', '()']


def run(args, cwd):
    env = dict(os.environ, PYTHONWARNINGS='ignore')
    proc = subprocess.run([sys.executable, TOOL] + args, cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=900)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return proc.stdout + proc.stderr


def shapes_opts(root, prefix, datasets):
    opts = []
    for name, split in datasets:
        if prefix == 'mask_folder':
            opts += [f'SEG_EXT.DATASETS.{name}.IMAGE_DIR', f'{root}/{split}/PNGImages',
                     f'SEG_EXT.DATASETS.{name}.MASK_DIR', f'{root}/{split}/PedMasks']
        else:
            opts += [f'SEG_EXT.DATASETS.{name}.IMAGE_ROOT', f'{root}/{split}/PNGImages',
                     f'SEG_EXT.DATASETS.{name}.PANOPTIC_ROOT', f'{root}/panoptic_{split}',
                     f'SEG_EXT.DATASETS.{name}.PANOPTIC_JSON',
                     f'{root}/annotations/panoptic_{split}.json',
                     f'SEG_EXT.DATASETS.{name}.SEM_SEG_ROOT', f'{root}/panoptic_stuff_{split}',
                     f'SEG_EXT.DATASETS.{name}.INSTANCES_JSON',
                     f'{root}/annotations/instances_{split}.json']
    return opts


def test_mask_rcnn_train_eval_only_resume(shapes_root, tmp_path):
    out = str(tmp_path / 'out')
    cfg = osp.join(ROOT, 'configs', 'd2', 'mask_rcnn_R_18_FPN_shapes_demo.yaml')
    data = shapes_opts(shapes_root, 'mask_folder', [('shapes_train', 'train'),
                                                    ('shapes_val', 'val')])
    log = run(['--config-file', cfg, 'SOLVER.MAX_ITER', '1', 'OUTPUT_DIR', out] + SMALL + data,
              str(tmp_path))
    assert 'Starting training from iteration 0' in log
    assert re.search(r'copypaste: Task: segm\n.*\n.*copypaste: [0-9.]+,', log)
    assert osp.isfile(osp.join(out, 'model_final.pth'))
    assert osp.isfile(osp.join(out, 'inference', 'shapes_val', 'coco_instances_results.json'))

    log = run(['--config-file', cfg, '--eval-only', 'MODEL.WEIGHTS',
               osp.join(out, 'model_final.pth'), 'OUTPUT_DIR', str(tmp_path / 'eval')]
              + SMALL + data, str(tmp_path))
    assert 'Evaluation results for segm' in log and 'Starting training' not in log

    # --resume continues from the last checkpoint of OUTPUT_DIR (iteration 1) up to MAX_ITER 2
    log = run(['--config-file', cfg, '--resume', 'SOLVER.MAX_ITER', '2', 'OUTPUT_DIR', out]
              + SMALL + data, str(tmp_path))
    assert 'Starting training from iteration 1' in log


def test_panoptic_fpn_train_and_pq(shapes_root, tmp_path):
    out = str(tmp_path / 'out')
    cfg = osp.join(ROOT, 'configs', 'd2', 'panoptic_fpn_R_18_shapes_demo.yaml')
    data = shapes_opts(shapes_root, 'coco_panoptic', [('shapes_panoptic_train', 'train'),
                                                      ('shapes_panoptic_val', 'val')])
    log = run(['--config-file', cfg, 'SOLVER.MAX_ITER', '1', 'OUTPUT_DIR', out] + SMALL + data,
              str(tmp_path))
    assert 'Panoptic Evaluation Results' in log
    assert re.search(r'copypaste: PQ,SQ,RQ,PQ_th,SQ_th,RQ_th,PQ_st,SQ_st,RQ_st\n.*copypaste: '
                     r'[0-9.]+,', log)
    assert re.search(r'copypaste: mIoU,fwIoU,mACC,pACC', log)  # the stuff head's scores
    assert 'copypaste: Task: segm' in log


def test_semantic_fpn_on_tgs_salt(tgs_root, tmp_path):
    import shutil
    root = str(tmp_path / 'tgs')
    shutil.copytree(tgs_root, root)
    cfg = osp.join(ROOT, 'configs', 'd2', 'semantic_R_18_FPN_tgs_salt_demo.yaml')
    log = run(['--config-file', cfg, 'SOLVER.MAX_ITER', '1', 'OUTPUT_DIR', str(tmp_path / 'o'),
               'SEG_EXT.DATASETS.tgs_salt_demo_train.ROOT', root,
               'SEG_EXT.DATASETS.tgs_salt_demo_val.ROOT', root] + SMALL, str(tmp_path))
    assert re.search(r'copypaste: mIoU,fwIoU,mACC,pACC\n.*copypaste: [0-9.]+,', log)


def test_slurm_d2_train_and_distributed_eval(slurm_cluster, shapes_root, tmp_path):
    """tools/slurm_d2_train.sh under a real Slurm: one task per node starting 2 gloo processes;
    then --eval-only on 2 processes returns exactly the single-process predictions (3 images)."""
    import json

    out = str(tmp_path / 'out')
    cfg = osp.join(ROOT, 'configs', 'd2', 'mask_rcnn_R_18_FPN_shapes_demo.yaml')
    data = shapes_opts(shapes_root, 'mask_folder', [('shapes_train', 'train'),
                                                    ('shapes_val', 'val')])
    env = dict(os.environ, PYTHON=sys.executable, PYTHONWARNINGS='ignore', GPUS='2',
               GPUS_PER_NODE='2', CPUS_PER_TASK='2', PORT=str(29400 + os.getpid() % 500))
    proc = subprocess.run([osp.join(ROOT, 'tools', 'slurm_d2_train.sh'), slurm_cluster, 'd2_ci',
                           cfg, 'SOLVER.MAX_ITER', '2', 'OUTPUT_DIR', out] + SMALL + data,
                          cwd=str(tmp_path), env=env, capture_output=True, text=True, timeout=900)
    log = proc.stdout + proc.stderr
    assert proc.returncode == 0, log[-4000:]
    assert re.search(r'srun -p debug --job-name=d2_ci --gres=gpu:2 --nodes=1 --ntasks=1', log)
    assert re.search(r'\[node 0/1\] .*: 2 processes, dist-url tcp://localhost:\d+', log)
    for rank in (0, 1):
        assert f'[rank {rank}/2] detectron2 worker, gloo backend on CPU, machine 0' in log
    assert 'World size: 2' in log and osp.isfile(osp.join(out, 'model_final.pth'))

    results = []
    for n in ('1', '2'):
        eval_dir = str(tmp_path / f'eval{n}')
        run(['--config-file', cfg, '--num-gpus', n, '--eval-only', 'MODEL.WEIGHTS',
             osp.join(out, 'model_final.pth'), 'MODEL.ROI_HEADS.SCORE_THRESH_TEST', '0.0',
             'OUTPUT_DIR', eval_dir] + SMALL + data, str(tmp_path))
        dets = json.load(open(osp.join(eval_dir, 'inference', 'shapes_val',
                                       'coco_instances_results.json')))
        results.append(sorted(dets, key=lambda d: (d['image_id'], -d['score'], d['bbox'])))
    single, dist = results
    assert len(single) > 0 and {d['image_id'] for d in single} == {0, 1, 2}
    assert len(dist) == len(single)
    for a, b in zip(single, dist):
        assert (a['image_id'], a['category_id']) == (b['image_id'], b['category_id'])
        assert a['score'] == pytest.approx(b['score'], abs=1e-5)
        assert a['bbox'] == pytest.approx(b['bbox'], abs=1e-3)


# --- crash / resume (seeded, one CPU process) ---------------------------------------------------
RESUME = ['SEED', '0', 'SOLVER.MAX_ITER', '6', 'SOLVER.CHECKPOINT_PERIOD', '3',
          'TEST.EVAL_PERIOD', '0', 'SEG_EXT.LOG_PERIOD', '1']


def d2_losses(out):
    """{iteration: total_loss} from metrics.json (every run appends), later runs win."""
    import json
    losses = {}
    for line in open(osp.join(out, 'metrics.json')):
        rec = json.loads(line)
        if 'total_loss' in rec:
            losses[rec['iteration']] = rec['total_loss']
    return losses


@pytest.fixture(scope='module')
def d2_resume_setup(shapes_root, tmp_path_factory):
    cfg = osp.join(ROOT, 'configs', 'd2', 'mask_rcnn_R_18_FPN_shapes_demo.yaml')
    data = shapes_opts(shapes_root, 'mask_folder', [('shapes_train', 'train'),
                                                    ('shapes_val', 'val')])
    out = str(tmp_path_factory.mktemp('d2_reference'))
    run(['--config-file', cfg, 'OUTPUT_DIR', out] + SMALL + RESUME + data, out)
    reference = d2_losses(out)
    assert sorted(reference) == list(range(6))
    return cfg, data, reference


def test_d2_sigkill_and_kill_while_saving_then_resume(d2_resume_setup, tmp_path):
    import signal

    cfg, data, reference = d2_resume_setup
    env = dict(os.environ, PYTHONWARNINGS='ignore',
               PYTHONPATH=ROOT + os.pathsep + os.environ.get('PYTHONPATH', ''))

    # 1. SIGKILL after iteration 4 was logged: model_0000002.pth (3 iterations) is the latest
    out = str(tmp_path / 'killed')
    proc = subprocess.Popen([sys.executable, TOOL, '--config-file', cfg, 'OUTPUT_DIR', out]
                            + SMALL + RESUME + data, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    for line in proc.stdout:
        if re.search(r'\biter: 4\b', line):
            proc.send_signal(signal.SIGKILL)
            break
    proc.wait(timeout=60)
    assert proc.returncode == -signal.SIGKILL
    assert not osp.exists(osp.join(out, 'model_final.pth'))
    log = run(['--config-file', cfg, '--resume', 'OUTPUT_DIR', out] + SMALL + RESUME + data, out)
    assert 'Starting training from iteration 3' in log
    assert 'skipping the 6 samples per process trained before' in log
    resumed = d2_losses(out)
    assert {i: resumed[i] for i in range(3, 6)} == {i: reference[i] for i in range(3, 6)}

    # 2. killed while writing model_0000005.pth... here model_final's predecessor: iteration 5
    out = str(tmp_path / 'killed_saving')
    proc = subprocess.run([sys.executable, osp.join(ROOT, 'tests', 'helpers',
                                                    'kill_during_save.py'), TOOL,
                           '--config-file', cfg, 'OUTPUT_DIR', out] + SMALL + RESUME + data,
                          env=dict(env, SEG_EXT_TEST_KILL_SAVING='model_0000005.pth'),
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == -signal.SIGKILL, proc.stderr[-2000:]
    assert not osp.exists(osp.join(out, 'model_0000005.pth'))
    assert open(osp.join(out, 'last_checkpoint')).read().strip() == 'model_0000002.pth'
    log = run(['--config-file', cfg, '--resume', 'OUTPUT_DIR', out] + SMALL + RESUME + data, out)
    assert 'Starting training from iteration 3' in log
    resumed = d2_losses(out)
    assert {i: resumed[i] for i in range(3, 6)} == {i: reference[i] for i in range(3, 6)}
    assert osp.isfile(osp.join(out, 'model_final.pth'))


def test_d2_cli_errors_are_one_line(shapes_root, tmp_path):
    """A misspelt key, a checkpoint of another model for --eval-only, and bad data."""
    cfg = osp.join(ROOT, 'configs', 'd2', 'mask_rcnn_R_18_FPN_shapes_demo.yaml')
    data = shapes_opts(shapes_root, 'mask_folder', [('shapes_train', 'train'),
                                                    ('shapes_val', 'val')])

    def fails(args):
        proc = subprocess.run([sys.executable, TOOL] + args, cwd=str(tmp_path),
                              capture_output=True, text=True, timeout=600,
                              env=dict(os.environ, PYTHONWARNINGS='ignore'))
        out = proc.stdout + proc.stderr
        assert proc.returncode == 1 and 'Traceback' not in out, out[-3000:]
        return proc.stderr.strip().splitlines()[-1]

    err = fails(['--config-file', cfg, 'SOLVER.MAX_ITERS', '5'] + data)
    assert err.startswith(f'error: {cfg}: Non-existent key: SOLVER.MAX_ITERS')

    import torch
    other = str(tmp_path / 'other.pth')
    torch.save({'model': {'backbone.bottom_up.stem.conv1.weight': torch.zeros(3, 3, 1, 1)}},
               other)
    err = fails(['--config-file', cfg, '--eval-only', 'MODEL.WEIGHTS', other,
                 'OUTPUT_DIR', str(tmp_path / 'o')] + SMALL + data)
    assert err.startswith(f'error: {other}: checkpoint does not fit this model')

    bad = str(tmp_path / 'shapes')
    import shutil
    shutil.copytree(shapes_root, bad)
    img = sorted(os.listdir(osp.join(bad, 'train', 'PNGImages')))[0]
    open(osp.join(bad, 'train', 'PNGImages', img), 'wb').write(b'\x89PNG\r\n')
    err = fails(['--config-file', cfg, 'SOLVER.MAX_ITER', '1', 'OUTPUT_DIR', str(tmp_path / 'b')]
                + SMALL + shapes_opts(bad, 'mask_folder', [('shapes_train', 'train'),
                                                           ('shapes_val', 'val')]))
    assert err.startswith('error: ') and img in err and 'cannot be decoded' in err

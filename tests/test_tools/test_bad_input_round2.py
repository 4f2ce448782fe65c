"""Bad input, second round (issue 18): the 27 cases a new user hit with real-download quirks, one
test each (``test_w*``: were wrong -- bad data accepted, a wrong result, a documented example
failing, a crash deep in a library; ``test_u*``: were unclear -- a traceback, no file, a
misleading message). Each asserts the accepted result or the one-line ``error: <file>: ...``.

Dataset rows run ``tools/check_dataset.py``'s check in-process (one check lists every problem of
a split, so one run asserts several lines); the CLI rows run the tools."""
import os
import os.path as osp
import shutil
import subprocess
import sys

import cv2
import numpy as np
import pytest
from mmengine.config import Config
from PIL import Image

from seg_ext.core.errors import ConfigError, DataError
from seg_ext.core.reporting import run_checks
from seg_ext.mmseg.apis.dataset_check import check_mm_config

from conftest import repo_path


# --- helpers ---------------------------------------------------------------------------------
def split_ids(root, name='fold0_train.txt'):
    return [ln.strip() for ln in open(osp.join(root, 'splits', name)) if ln.strip()]


def truncate(path):
    data = open(path, 'rb').read()
    open(path, 'wb').write(data[:len(data) // 3])


def add_bom(path):
    data = open(path, 'rb').read()
    open(path, 'wb').write(b'\xef\xbb\xbf' + data)


def write_palette_png(path, indices, colours=((0, 0, 0), (255, 160, 40))):
    """A palette ("P" mode) PNG whose pixels are ``indices``: OpenCV reads it as colours."""
    img = Image.fromarray(indices.astype(np.uint8), mode='P')
    palette = [c for rgb in colours for c in rgb]
    img.putpalette(palette + [0] * (768 - len(palette)))
    img.save(path)
    assert cv2.imread(path, cv2.IMREAD_UNCHANGED).ndim == 3  # what OpenCV made of it


def check(config, root, splits=('train', ), **dataset):
    cfg = Config.fromfile(repo_path('configs', config))
    for split in splits:
        cfg[f'{split}_dataloader'].dataset.data_root = root
        cfg[f'{split}_dataloader'].dataset.update(dataset)
    return check_mm_config(cfg, splits=list(splits), progress=False)


def problems(reports):
    return [p for r in reports for p in r.problems]


def assert_lines(reports, *expected):
    """Each ``(path, text)`` is in one problem line; no other problem is reported."""
    lines = problems(reports)
    for path, text in expected:
        assert any(path in ln and text in ln for ln in lines), (path, text, lines)
    assert len(lines) == len(expected), lines


# === Wrong (12) ==============================================================================
def test_w1a_tgs_upper_case_png_is_read(tgs_copy):
    sid = split_ids(tgs_copy)[0]
    for sub in ('images', 'masks'):
        os.rename(osp.join(tgs_copy, 'train', sub, sid + '.png'),
                  osp.join(tgs_copy, 'train', sub, sid + '.PNG'))
    (report, ) = check('unet_salt.py', tgs_copy, ann_file='')
    assert report.ok and report.samples == 40, report.summary()
    from seg_ext.core.tgs_salt import write_tgs_splits
    assert write_tgs_splits(tgs_copy, 4, 0, 'splits_upper')['num_samples'] == 40


def test_w1b_change_detection_upper_case_png_is_read(levir_copy):
    name = sorted(os.listdir(osp.join(levir_copy, 'train', 'A')))[0][:-4]
    for sub in ('A', 'B', 'label'):
        os.rename(osp.join(levir_copy, 'train', sub, name + '.png'),
                  osp.join(levir_copy, 'train', sub, name + '.PNG'))
    (report, ) = check('changedet_levir.py', levir_copy)
    assert report.ok and report.samples == 6, report.summary()


def test_w2a_tgs_every_problem_listed(tgs_copy):
    ids = split_ids(tgs_copy)
    for sid in ids[:2]:
        os.remove(osp.join(tgs_copy, 'train', 'images', sid + '.png'))
    truncate(osp.join(tgs_copy, 'train', 'images', ids[2] + '.png'))
    mask = np.zeros((101, 101), np.uint8)
    mask[4, 4] = 7
    cv2.imwrite(osp.join(tgs_copy, 'train', 'masks', ids[3] + '.png'), mask)
    reports = check('unet_salt.py', tgs_copy)
    assert_lines(reports, (f'images/{ids[0]}.png', 'not found'),
                 (f'images/{ids[1]}.png', 'not found'),
                 (f'images/{ids[2]}.png', 'cannot be decoded'),
                 (f'masks/{ids[3]}.png', 'mask holds value(s) 7'))
    out = []
    assert not run_checks(reports, out.append)
    assert reports[0].samples == 28 and out[-1].startswith('4 problem(s) found')


def test_w2b_change_detection_every_problem_listed(levir_copy):
    names = sorted(os.listdir(osp.join(levir_copy, 'train', 'A')))
    for name in names[:2]:
        os.remove(osp.join(levir_copy, 'train', 'B', name))
    os.remove(osp.join(levir_copy, 'train', 'label', names[2]))
    reports = check('changedet_levir.py', levir_copy)
    assert_lines(reports, (f'B/{names[0]}', 'image B of'), (f'B/{names[1]}', 'image B of'),
                 (f'label/{names[2]}', 'change label of pair'))
    assert reports[0].samples == 3


def test_w3_rle_only_mask_of_an_image_of_another_size(tgs_copy):
    shutil.rmtree(osp.join(tgs_copy, 'train', 'masks'))
    sid = split_ids(tgs_copy)[0]
    cv2.imwrite(osp.join(tgs_copy, 'train', 'images', sid + '.png'),
                np.full((102, 101), 90, np.uint8))
    reports = check('unet_salt.py', tgs_copy)
    assert_lines(reports, (f'train.csv (id {sid})', 'is 102x101 but its only mask is an RLE, '
                           'made for 101x101 images'))
    # with a mask PNG of its size the sample is fine, and reported as of another size
    os.makedirs(osp.join(tgs_copy, 'train', 'masks'))
    cv2.imwrite(osp.join(tgs_copy, 'train', 'masks', sid + '.png'), np.zeros((102, 101), np.uint8))
    (report, ) = check('unet_salt.py', tgs_copy)
    assert report.ok and report.warnings == [
        f'1 image(s) are 102x101 while most are 101x101 (e.g. '
        f'{osp.join(tgs_copy, "train", "images", sid + ".png")})'], report.summary()


def test_w4_depth_channel_missing_from_a_pipeline_is_refused():
    """The README example had AddDepthChannel in the train pipeline only: validation fed a
    1-channel image that the 2-value mean broadcast into two identical channels. (The fixed
    example itself trains and validates in tests/test_readme.py.)"""
    import torch
    from mmseg.registry import MODELS
    pre = MODELS.build(dict(type='CheckedSegDataPreProcessor', mean=[128.0, 128.0],
                            std=[40.0, 40.0], size=(128, 128)))
    ok = pre(dict(inputs=[torch.zeros(2, 101, 101)], data_samples=None))
    assert tuple(ok['inputs'].shape[:2]) == (1, 2)
    with pytest.raises(ConfigError, match=r'model\.data_preprocessor: normalises 2 channel\(s\) '
                       r'\(mean/std\) but an input image has 1: .*AddDepthChannel in each'):
        pre(dict(inputs=[torch.zeros(1, 101, 101)], data_samples=None))


def test_w5_nan_depth_names_file_and_id(tgs_copy):
    ids = split_ids(tgs_copy)
    csv = osp.join(tgs_copy, 'depths.csv')
    rows = [f'{ln.split(",")[0]},nan\n' if ln.startswith(ids[0] + ',') else
            f'{ln.split(",")[0]},inf\n' if ln.startswith(ids[1] + ',') else ln
            for ln in open(csv)]
    open(csv, 'w').writelines(rows)
    reports = check('unet_salt.py', tgs_copy, depth_file='depths.csv')
    assert_lines(reports, ('depths.csv', f"id '{ids[0]}': depth 'nan' is not a finite number"),
                 ('depths.csv', f"id '{ids[1]}': depth 'inf' is not a finite number"))


def test_w8_readme_softmax_one_liner_trains():
    """``out_channels=2 use_sigmoid=False`` alone crashes in mmseg's binary Lovász loss; with
    ``loss_decode.1.loss_type=multi_class`` (now in the README) the losses are finite."""
    import torch
    from mmengine.structures import PixelData
    from mmseg.registry import MODELS
    from mmseg.structures import SegDataSample

    from seg_ext.mmseg.apis.runner_setup import load_config

    def losses(options):
        cfg = load_config(repo_path('configs', 'unet_salt.py'), options)
        cfg.model.backbone.depth = 18
        cfg.norm_cfg = cfg.model.backbone.norm_cfg = cfg.model.decode_head.norm_cfg = \
            dict(type='BN', requires_grad=True)
        model = MODELS.build(cfg.model)
        samples = []
        for _ in range(2):
            s = SegDataSample(gt_sem_seg=PixelData(data=torch.randint(0, 2, (1, 128, 128))))
            s.set_metainfo(dict(img_shape=(128, 128), pad_shape=(128, 128)))
            samples.append(s)
        return model.loss(torch.randn(2, 1, 128, 128), samples)

    softmax = {'model.decode_head.out_channels': 2,
               'model.decode_head.loss_decode.0.use_sigmoid': False}
    with pytest.raises(IndexError):
        losses(softmax)
    out = losses(dict(softmax, **{'model.decode_head.loss_decode.1.loss_type': 'multi_class'}))
    assert {'decode.loss_ce', 'decode.loss_lovasz'} <= set(out)
    assert all(torch.isfinite(v).all() for v in out.values())


def test_w9_reduce_zero_label_refused_by_binary_datasets_honoured_by_the_loader(tgs_copy):
    reports = check('unet_salt.py', tgs_copy, reduce_zero_label=True)
    assert_lines(reports, (tgs_copy, 'reduce_zero_label=True is not supported'))
    from mmseg.registry import TRANSFORMS
    sid = split_ids(tgs_copy)[0]
    mask = cv2.imread(osp.join(tgs_copy, 'train', 'masks', sid + '.png'), cv2.IMREAD_GRAYSCALE)
    results = dict(seg_map_path=osp.join(tgs_copy, 'train', 'masks', sid + '.png'),
                   ori_shape=(101, 101), img_path='x', reduce_zero_label=False)
    load = TRANSFORMS.build(dict(type='LoadBinaryAnnotations', reduce_zero_label=True))
    gt = load(dict(results))['gt_seg_map']
    np.testing.assert_array_equal(gt, np.where(mask > 0, 0, 255))
    from_dataset = TRANSFORMS.build(dict(type='LoadBinaryAnnotations'))
    gt = from_dataset(dict(results, reduce_zero_label=True))['gt_seg_map']
    np.testing.assert_array_equal(gt, np.where(mask > 0, 0, 255))


def test_w10_mmseg_load_annotations_on_0_255_masks_is_flagged(tgs_copy):
    cfg = Config.fromfile(repo_path('configs', 'unet_salt.py'))
    ds = cfg.train_dataloader.dataset
    ds.data_root = tgs_copy
    ds.pipeline = [dict(type='LoadCheckedImageFromFile', color_type='grayscale'),
                   dict(type='LoadAnnotations'), dict(type='PackSegInputs')]
    (report, ) = check_mm_config(cfg, splits=['train'], progress=False)
    assert_lines([report], (tgs_copy, "class 'salt' never occurs in the labels of this split; "))
    assert 'are the ignore index 255: masks stored as 0/255 read with LoadAnnotations' \
        in report.problems[0]
    assert report.notes[0].startswith('label pixels: background ') and \
        'salt 0 (0.0 %)' in report.notes[0]
    # and validation refuses such labels instead of reporting mIoU 100
    import torch
    from mmseg.registry import METRICS
    metric = METRICS.build(dict(type='SegMetric', tgs_score=True))
    metric.dataset_meta = dict(classes=('background', 'salt'))
    gt = torch.zeros(1, 8, 8, dtype=torch.long)
    gt[0, 2:5, 2:5] = 255
    metric.process({}, [dict(pred_sem_seg=dict(data=torch.zeros(1, 8, 8, dtype=torch.long)),
                             gt_sem_seg=dict(data=gt), seg_map_path='m.png', img_path='i.png')])
    with pytest.raises(DataError, match=r"m\.png: class 'salt' never occurs in the ground truth "
                       r'of the 1 evaluated image\(s\) while 9 pixels are the ignore index 255'):
        metric.compute_metrics(metric.results)


# === Unclear (15) ============================================================================
def test_u1_bom_in_train_csv_is_accepted(tgs_copy):
    shutil.rmtree(osp.join(tgs_copy, 'train', 'masks'))  # the RLEs are the only masks
    add_bom(osp.join(tgs_copy, 'train.csv'))
    (report, ) = check('unet_salt.py', tgs_copy)
    assert report.ok and report.samples == 30, report.summary()


def test_u2_bom_in_depths_csv_is_accepted(tgs_copy):
    add_bom(osp.join(tgs_copy, 'depths.csv'))
    from seg_ext.mmseg.datasets import TGSSaltDataset
    ds = TGSSaltDataset(data_root=tgs_copy, ann_file='splits/fold0_train.txt', pipeline=[],
                        depth_file='depths.csv')
    first = open(osp.join(tgs_copy, 'depths.csv'), encoding='utf-8-sig').readlines()[1]
    sid, z = first.strip().split(',')
    depths = {ds.get_data_info(i)['sample_id']: ds.get_data_info(i)['depth']
              for i in range(len(ds))}
    assert all(isinstance(d, float) for d in depths.values())
    if sid in depths:
        assert depths[sid] == float(z)


def test_u3_bom_in_split_file_is_accepted(tgs_copy):
    add_bom(osp.join(tgs_copy, 'splits', 'fold0_train.txt'))
    (report, ) = check('unet_salt.py', tgs_copy)
    assert report.ok and report.samples == 30, report.summary()


def test_u4_depths_csv_not_required_without_depth(tgs_copy):
    os.remove(osp.join(tgs_copy, 'depths.csv'))
    (report, ) = check('unet_salt.py', tgs_copy)
    assert report.ok, report.summary()


def test_u5_palette_mask_tgs_read_as_indices(tgs_copy):
    sid = split_ids(tgs_copy)[0]
    path = osp.join(tgs_copy, 'train', 'masks', sid + '.png')
    mask = cv2.imread(path, cv2.IMREAD_GRAYSCALE) > 0
    write_palette_png(path, mask)
    (report, ) = check('unet_salt.py', tgs_copy)
    assert report.ok, report.summary()
    from seg_ext.core.tgs_salt import read_record_mask
    np.testing.assert_array_equal(
        read_record_mask(dict(seg_map_path=path, img_path='x'), (101, 101)), mask)


def test_u6_palette_label_change_detection_read_as_indices(levir_copy):
    name = sorted(os.listdir(osp.join(levir_copy, 'train', 'label')))[0]
    path = osp.join(levir_copy, 'train', 'label', name)
    write_palette_png(path, cv2.imread(path, cv2.IMREAD_GRAYSCALE) > 0,
                      ((0, 0, 0), (255, 255, 255)))
    (report, ) = check('changedet_levir.py', levir_copy)
    assert report.ok, report.summary()


def test_u7_palette_instance_masks_detectron2_read_as_indices(shapes_root, tmp_path):
    pytest.importorskip('detectron2')
    from seg_ext.d2.datasets import load_mask_folder
    root = str(tmp_path / 'shapes')
    shutil.copytree(shapes_root, root)
    image_dir, mask_dir = f'{root}/train/PNGImages', f'{root}/train/PedMasks'
    before = load_mask_folder(image_dir, mask_dir, 3, 1000)
    converted = 0
    for name in sorted(os.listdir(mask_dir)):
        m = cv2.imread(osp.join(mask_dir, name), cv2.IMREAD_UNCHANGED)
        if m.dtype == np.uint8 and m.max() < 256:
            write_palette_png(osp.join(mask_dir, name), m,
                              [(i * 40 % 256, i * 90 % 256, i * 150 % 256) for i in range(256)])
            converted += 1
    if not converted:  # 16-bit class*1000+k masks cannot be palettes: use PennFudan's 8-bit ids
        name = sorted(os.listdir(mask_dir))[0]
        m = cv2.imread(osp.join(mask_dir, name), cv2.IMREAD_UNCHANGED)
        ids = np.zeros(m.shape, np.uint8)
        for k, v in enumerate(sorted(set(np.unique(m).tolist()) - {0})):
            ids[m == v] = k + 1
        cv2.imwrite(osp.join(mask_dir, name), ids)
        before = load_mask_folder(image_dir, mask_dir, 1)
        write_palette_png(osp.join(mask_dir, name), ids,
                          [(i * 40 % 256, i * 90 % 256, i * 150 % 256) for i in range(256)])
        after = load_mask_folder(image_dir, mask_dir, 1)
    else:
        after = load_mask_folder(image_dir, mask_dir, 3, 1000)
    assert [len(r['annotations']) for r in after] == [len(r['annotations']) for r in before]
    assert [a['bbox'] for r in after for a in r['annotations']] == \
        [a['bbox'] for r in before for a in r['annotations']]
    # a palette semantic map is refused with the reason: Detectron2's DatasetMapper reads
    # sem_seg_file_name as gray levels (PIL "L"), which are not the palette's indices
    from types import SimpleNamespace

    from seg_ext.d2.dataset_check import check_record
    image = after[0]['file_name']
    sem = str(tmp_path / 'sem.png')
    write_palette_png(sem, np.ones((after[0]['height'], after[0]['width']), np.uint8))
    with pytest.raises(DataError, match='sem.png: semantic map is a palette PNG: Detectron2 '
                       r'reads it as gray levels \(PIL mode "L"\)'):
        check_record(dict(file_name=image, sem_seg_file_name=sem, height=after[0]['height'],
                          width=after[0]['width']), SimpleNamespace(stuff_classes=['a', 'b']))


def test_u8_missing_depths_csv_named_when_depth_is_read(tgs_copy):
    os.remove(osp.join(tgs_copy, 'depths.csv'))
    reports = check('unet_salt.py', tgs_copy, depth_file='depths.csv')
    assert_lines(reports, ('depths.csv', 'depth file not found (depth_file is set'))


def test_u9_jpg_partner_gets_a_suffix_hint(levir_copy):
    names = sorted(os.listdir(osp.join(levir_copy, 'train', 'B')))
    for name in names:
        path = osp.join(levir_copy, 'train', 'B', name)
        cv2.imwrite(path[:-4] + '.jpg', cv2.imread(path))
        os.remove(path)
    reports = check('changedet_levir.py', levir_copy)
    assert len(problems(reports)) == len(names)
    assert_lines(reports, *[(f'B/{n}', f"{n[:-4]}.jpg exists: set img_suffix2='.jpg'")
                            for n in names])
    (report, ) = check('changedet_levir.py', levir_copy, img_suffix2='.jpg')
    assert report.ok, report.summary()


def test_u14_batch_size_zero_or_negative_names_the_loader(tmp_path):
    from seg_ext.mmseg.apis.runner_setup import load_config
    cfg = repo_path('configs', 'unet_salt.py')
    for split, size in (('train', 0), ('val', -2)):
        with pytest.raises(ConfigError, match=rf'unet_salt\.py: {split}_dataloader\.batch_size '
                           rf'must be a positive integer, got {size}'):
            load_config(cfg, {f'{split}_dataloader.batch_size': size})
    pytest.importorskip('detectron2')
    from seg_ext.d2.trainer import check_batch_size
    from seg_ext.d2.trainer import load_config as d2_config
    d2_cfg = repo_path('configs', 'd2', 'semantic_R_18_FPN_tgs_salt_demo.yaml')
    with pytest.raises(ConfigError, match=r'SOLVER\.IMS_PER_BATCH .* must be a positive '
                       'integer, got 0'):
        check_batch_size(d2_config(d2_cfg, ['SOLVER.IMS_PER_BATCH', '0']), d2_cfg)


# --- the CLIs --------------------------------------------------------------------------------
def run(args, cwd):
    proc = subprocess.run([sys.executable] + args, cwd=cwd, capture_output=True, text=True,
                          timeout=300, env=dict(os.environ, PYTHONWARNINGS='ignore'))
    return proc.returncode, proc.stdout + proc.stderr


def one_line_error(rc, out, *texts):
    assert rc == 1 and 'Traceback' not in out, out[-3000:]
    line = next(ln for ln in out.splitlines() if ln.startswith('error: '))
    for t in texts:
        assert t in line, (t, line)


MM_OPTS = ['model.backbone.depth=18', 'train_cfg.max_iters=1', 'train_dataloader.batch_size=2',
           'train_dataloader.num_workers=0', 'train_dataloader.persistent_workers=False',
           'val_dataloader.num_workers=0', 'val_dataloader.persistent_workers=False',
           'test_dataloader.num_workers=0', 'test_dataloader.persistent_workers=False']


def mm_args(root):
    return ['--cfg-options'] + MM_OPTS + [f'{k}_dataloader.dataset.data_root={root}'
                                          for k in ('train', 'val', 'test')]


@pytest.fixture(scope='module')
def segnet_checkpoint(tmp_path_factory):
    """A complete checkpoint of another model (SegNet) than the U-Net of unet_salt.py."""
    import torch
    from mmseg.registry import MODELS
    path = str(tmp_path_factory.mktemp('ckpt') / 'segnet.pth')
    model = MODELS.build(Config.fromfile(repo_path('configs', 'segnet_salt.py')).model)
    torch.save(dict(state_dict=model.state_dict(), meta={}), path)
    return path


def test_w6_resume_with_only_a_truncated_checkpoint_starts_fresh(tgs_root, segnet_checkpoint,
                                                                 tmp_path):
    """``--resume`` when the work dir's only checkpoint (named by ``last_checkpoint``) is
    truncated: warned about and passed over, and mmengine must not auto-resume it either."""
    import logging

    from mmengine.logging import MMLogger

    from seg_ext.mmseg.apis import runner_setup
    from seg_ext.mmseg.apis.resume import configure_resume
    work = tmp_path / 'work'
    work.mkdir()
    shutil.copy(segnet_checkpoint, work / 'iter_2.pth')
    truncate(str(work / 'iter_2.pth'))
    (work / 'last_checkpoint').write_text(str(work / 'iter_2.pth'))
    config = repo_path('configs', 'unet_salt.py')
    cfg = runner_setup.load_config(config, {'model.backbone.depth': 18,
                                            'train_dataloader.batch_size': 2})
    for split in ('train', 'val', 'test'):
        cfg[f'{split}_dataloader'].dataset.data_root = tgs_root
        cfg[f'{split}_dataloader'].num_workers = 0
        cfg[f'{split}_dataloader'].persistent_workers = False
    cfg.work_dir = str(work)
    logged = []

    class Keep(logging.Handler):
        def emit(self, record):
            logged.append(record.getMessage())

    for flag, in_config in (('auto', False), (None, True)):  # --resume, or resume=True
        logged.clear()
        MMLogger.get_current_instance().addHandler(Keep())
        cfg.resume = in_config
        configure_resume(cfg, flag)
        cfg.experiment_name = f'w6_resume_{in_config}'
        runner = runner_setup.build_runner(cfg, config, 'train')
        runner.load_or_resume()  # what runner.train() does first
        text = '\n'.join(logged)
        assert 'iter_2.pth: skipped for --resume' in text, text
        assert 'no complete checkpoint' in text and 'training from the start' in text
        assert runner.iter == 0 and not cfg.resume and cfg.load_from is None


@pytest.mark.slow
def test_w7_resume_from_another_models_checkpoint(tgs_root, segnet_checkpoint, tmp_path):
    rc, out = run([repo_path('tools', 'train.py'), repo_path('configs', 'unet_salt.py'),
                   '--work-dir', str(tmp_path / 'work'), '--resume', segnet_checkpoint]
                  + mm_args(tgs_root), str(tmp_path))
    one_line_error(rc, out, f'error: {segnet_checkpoint}: checkpoint does not match the model')


@pytest.mark.slow
def test_u10_u12_test_py_truncated_or_other_models_checkpoint(tgs_root, segnet_checkpoint,
                                                              tmp_path):
    """u10: a truncated checkpoint; u12: another model's checkpoint (both one line)."""
    tool, cfg = repo_path('tools', 'test.py'), repo_path('configs', 'unet_salt.py')
    rc, out = run([tool, cfg, segnet_checkpoint, '--work-dir', str(tmp_path / 'w')]
                  + mm_args(tgs_root), str(tmp_path))
    one_line_error(rc, out, f'error: {segnet_checkpoint}: checkpoint does not match the model')
    truncated = str(tmp_path / 'truncated.pth')
    shutil.copy(segnet_checkpoint, truncated)
    truncate(truncated)
    rc, out = run([tool, cfg, truncated, '--work-dir', str(tmp_path / 'w')] + mm_args(tgs_root),
                  str(tmp_path))
    one_line_error(rc, out, f'error: {truncated}: cannot load this checkpoint', 'truncated')


def test_u13_d2_eval_only_missing_or_empty_weights(tmp_path):
    pytest.importorskip('detectron2')
    from seg_ext.core.errors import MissingDataError
    from seg_ext.d2.trainer import check_eval_weights, load_config
    cfg = load_config(repo_path('configs', 'd2', 'semantic_R_18_FPN_tgs_salt_demo.yaml'),
                      ['OUTPUT_DIR', str(tmp_path / 'out')])
    missing = str(tmp_path / 'model_final.pth')
    cfg.MODEL.WEIGHTS = missing
    with pytest.raises(MissingDataError, match=f'{missing}: MODEL.WEIGHTS: checkpoint file not '
                       'found'):
        check_eval_weights(cfg)
    cfg.MODEL.WEIGHTS = ''
    with pytest.raises(DataError, match='MODEL.WEIGHTS: --eval-only needs the weights'):
        check_eval_weights(cfg)


@pytest.mark.slow
def test_u11_d2_eval_only_truncated_weights(tgs_root, tmp_path):
    pytest.importorskip('detectron2')
    truncated = str(tmp_path / 'model_final.pth')
    open(truncated, 'wb').write(b'PK\x03\x04' + b'\0' * 100)
    rc, out = run([repo_path('tools', 'd2_train_net.py'), '--config-file',
                   repo_path('configs', 'd2', 'semantic_R_18_FPN_tgs_salt_demo.yaml'),
                   '--eval-only', 'OUTPUT_DIR', str(tmp_path / 'out'), 'MODEL.WEIGHTS', truncated,
                   'SEG_EXT.DATASETS.tgs_salt_demo_train.ROOT', tgs_root,
                   'SEG_EXT.DATASETS.tgs_salt_demo_val.ROOT', tgs_root], str(tmp_path))
    one_line_error(rc, out, f'error: {truncated}: MODEL.WEIGHTS: cannot load this checkpoint')


@pytest.mark.slow
def test_u15_tgs_salt_splits_bad_mask_one_line(tgs_copy, tmp_path):
    sid = split_ids(tgs_copy)[0]
    mask = np.zeros((101, 101), np.uint8)
    mask[1, 1] = 9
    cv2.imwrite(osp.join(tgs_copy, 'train', 'masks', sid + '.png'), mask)
    rc, out = run([repo_path('tools', 'dataset_converters', 'tgs_salt_splits.py'), tgs_copy,
                   '--folds', '4'], str(tmp_path))
    one_line_error(rc, out, f'masks/{sid}.png: mask holds value(s) 9')

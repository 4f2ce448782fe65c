"""The bad-input matrix: every dataset (TGS, bi-temporal LEVIR-CD, PennFudan layout, COCO
instances, COCO panoptic) x every way users' folders go wrong, through the up-front check of
``tools/check_dataset.py`` (which reads every sample like training does); every row asserts that
the reported problem names the damaged file. Then the CLIs: unknown config type/key, missing
config, checkpoint of another model."""
import json
import os
import os.path as osp
import shutil
import subprocess
import sys

import cv2
import numpy as np
import pytest
from mmengine.config import Config

from seg_ext.mmseg.apis.dataset_check import check_mm_config

from conftest import repo_path


# --- helpers that damage a copy of a dataset ------------------------------------------------
def truncate(path):
    data = open(path, 'rb').read()
    open(path, 'wb').write(data[:len(data) // 3])
    return path


def first_line(path):
    return open(path).readline().strip()


def write_png(path, array):
    cv2.imwrite(path, array)
    return path


# --- TGS Salt (mmseg TGSSaltDataset) ---------------------------------------------------------
def tgs_sid(root):
    return first_line(osp.join(root, 'splits', 'fold0_train.txt'))


def tgs_missing_folder(root):
    shutil.rmtree(osp.join(root, 'train', 'images'))
    return osp.join('train', 'images'), 'image folder not found'


def tgs_empty_split(root):
    open(osp.join(root, 'splits', 'fold0_train.txt'), 'w').write('\n')
    return 'splits/fold0_train.txt', 'no samples'


def tgs_missing_split(root):
    os.remove(osp.join(root, 'splits', 'fold0_train.txt'))
    return 'splits/fold0_train.txt', 'split file not found'


def tgs_truncated_image(root):
    truncate(osp.join(root, 'train', 'images', tgs_sid(root) + '.png'))
    return f'train/images/{tgs_sid(root)}.png', 'cannot be decoded as an image'


def tgs_colour_image(root):
    path = osp.join(root, 'train', 'images', tgs_sid(root) + '.png')
    img = cv2.imread(path)
    img[..., 2] = 255 - img[..., 0]
    write_png(path, img)
    return f'train/images/{tgs_sid(root)}.png', 'channels with different values'


def tgs_mask_size(root):
    write_png(osp.join(root, 'train', 'masks', tgs_sid(root) + '.png'),
              np.zeros((100, 101), np.uint8))
    return f'train/masks/{tgs_sid(root)}.png', 'mask is 100x101 but its image'


def tgs_mask_value(root):
    mask = np.zeros((101, 101), np.uint8)
    mask[5, 5] = 7
    write_png(osp.join(root, 'train', 'masks', tgs_sid(root) + '.png'), mask)
    return f'train/masks/{tgs_sid(root)}.png', 'mask holds value(s) 7'


def tgs_duplicate_id(root):
    split = osp.join(root, 'splits', 'fold0_train.txt')
    open(split, 'a').write(tgs_sid(root) + '\n')
    return 'splits/fold0_train.txt', 'duplicate id'


def tgs_rle_too_long(root):
    shutil.rmtree(osp.join(root, 'train', 'masks'))
    sid = tgs_sid(root)
    csv = osp.join(root, 'train.csv')
    lines = [f'{sid},10200 5\n' if ln.startswith(sid + ',') else ln for ln in open(csv)]
    open(csv, 'w').writelines(lines)
    return f'train.csv (id {sid})', 'RLE run ends at pixel 10204'


def tgs_missing_mask(root):
    sid = tgs_sid(root)
    os.remove(osp.join(root, 'train', 'masks', sid + '.png'))
    csv = osp.join(root, 'train.csv')
    lines = [ln for ln in open(csv) if not ln.startswith(sid)]
    open(csv, 'w').writelines(lines)
    return f'train/masks/{sid}.png', 'train.csv has no row for it'


TGS_ROWS = [tgs_missing_folder, tgs_missing_split, tgs_empty_split, tgs_truncated_image,
            tgs_colour_image, tgs_mask_size, tgs_mask_value, tgs_duplicate_id, tgs_rle_too_long,
            tgs_missing_mask]


@pytest.mark.parametrize('damage', TGS_ROWS, ids=lambda f: f.__name__)
def test_tgs_matrix(tgs_copy, damage):
    rel, problem = damage(tgs_copy)
    cfg = Config.fromfile(repo_path('configs', 'unet_salt.py'))
    cfg.train_dataloader.dataset.data_root = tgs_copy
    reports = check_mm_config(cfg, splits=['train'], progress=False)
    assert_reported(reports, osp.join(tgs_copy, rel), problem)


def assert_reported(reports, path, problem):
    lines = [p for r in reports for p in r.problems]
    assert any(path in p and problem in p for p in lines), (path, problem, lines)


# --- bi-temporal change detection (LEVIR-CD layout) ----------------------------------------
def levir_name(root):
    return sorted(os.listdir(osp.join(root, 'train', 'A')))[0]


def cd_missing_folder(root):
    shutil.rmtree(osp.join(root, 'train', 'B'))
    return 'train/B', 'not found'


def cd_empty(root):
    for sub in ('A', 'B', 'label'):
        for f in os.listdir(osp.join(root, 'train', sub)):
            os.remove(osp.join(root, 'train', sub, f))
    return 'train/A', 'no image pairs'


def cd_truncated(root):
    truncate(osp.join(root, 'train', 'A', levir_name(root)))
    return f'train/A/{levir_name(root)}', 'cannot be decoded'


def cd_channels(root):
    path = osp.join(root, 'train', 'B', levir_name(root))
    write_png(path, cv2.imread(path, cv2.IMREAD_GRAYSCALE))
    return f'train/B/{levir_name(root)}', 'image B has 1 channel(s) but its partner'


def cd_size(root):
    path = osp.join(root, 'train', 'label', levir_name(root))
    write_png(path, np.zeros((60, 64), np.uint8))
    return f'train/label/{levir_name(root)}', 'mask is 60x64'


def cd_label_value(root):
    path = osp.join(root, 'train', 'label', levir_name(root))
    label = np.zeros((64, 64), np.uint8)
    label[3, 3] = 128
    write_png(path, label)
    return f'train/label/{levir_name(root)}', '128'


CD_ROWS = [cd_missing_folder, cd_empty, cd_truncated, cd_channels, cd_size, cd_label_value]


@pytest.mark.parametrize('damage', CD_ROWS, ids=lambda f: f.__name__)
def test_change_detection_matrix(levir_copy, damage):
    rel, problem = damage(levir_copy)
    cfg = Config.fromfile(repo_path('configs', 'changedet_levir.py'))
    cfg.train_dataloader.dataset.data_root = levir_copy
    reports = check_mm_config(cfg, splits=['train'], progress=False)
    assert_reported(reports, osp.join(levir_copy, rel), problem)


# --- Detectron2: PennFudan layout, COCO instances, COCO panoptic ------------------------------
d2 = pytest.importorskip('detectron2', reason="detectron2 is not installed (extra 'd2')")


@pytest.fixture
def shapes_copy(shapes_root, tmp_path):
    dst = str(tmp_path / 'shapes')
    shutil.copytree(shapes_root, dst)
    return dst


def d2_check(kind, root, tmp_name):
    import seg_ext.d2  # noqa: F401
    from seg_ext.d2.config import get_cfg
    from seg_ext.d2.dataset_check import check_d2_config
    from seg_ext.d2.datasets import register_from_cfg
    cfg = get_cfg()
    name = f'matrix_{tmp_name}'
    if kind == 'mask_folder':
        spec = dict(TYPE='mask_folder', IMAGE_DIR=f'{root}/train/PNGImages',
                    MASK_DIR=f'{root}/train/PedMasks', DIVISOR=1000,
                    THING_CLASSES=['circle', 'square', 'triangle'])
    elif kind == 'coco':
        spec = dict(TYPE='coco', JSON_FILE=f'{root}/annotations/instances_train.json',
                    IMAGE_ROOT=f'{root}/train/PNGImages')
    else:
        spec = dict(TYPE='coco_panoptic', IMAGE_ROOT=f'{root}/train/PNGImages',
                    PANOPTIC_ROOT=f'{root}/panoptic_train',
                    PANOPTIC_JSON=f'{root}/annotations/panoptic_train.json',
                    SEM_SEG_ROOT=f'{root}/panoptic_stuff_train',
                    INSTANCES_JSON=f'{root}/annotations/instances_train.json')
    cfg.SEG_EXT.DATASETS[name] = spec
    cfg.DATASETS.TRAIN = (name, )
    cfg.DATASETS.TEST = ()
    try:
        register_from_cfg(cfg)
    except Exception as e:  # registration-time check (missing folders)
        from seg_ext.core.reporting import CheckReport
        return [CheckReport(name, problems=[str(e)])]
    return check_d2_config(cfg, progress=False)


def pf_name(root):
    return sorted(os.listdir(osp.join(root, 'train', 'PNGImages')))[0]


def pf_missing_folder(root):
    shutil.rmtree(osp.join(root, 'train', 'PedMasks'))
    return 'train/PedMasks', 'not found'


def pf_empty(root):
    for f in os.listdir(osp.join(root, 'train', 'PNGImages')):
        os.remove(osp.join(root, 'train', 'PNGImages', f))
    return 'train/PNGImages', 'no images'


def pf_truncated(root):
    truncate(osp.join(root, 'train', 'PNGImages', pf_name(root)))
    return f'train/PNGImages/{pf_name(root)}', 'cannot be decoded'


def pf_mask_size(root):
    mask_dir = osp.join(root, 'train', 'PedMasks')
    mask = sorted(os.listdir(mask_dir))[0]
    write_png(osp.join(mask_dir, mask), np.zeros((50, 64), np.uint8))
    return f'train/PedMasks/{mask}', 'mask is 64x50'


def pf_mask_channels(root):
    mask_dir = osp.join(root, 'train', 'PedMasks')
    mask = sorted(os.listdir(mask_dir))[0]
    rgb = np.zeros((64, 64, 3), np.uint8)
    rgb[5:9, 5:9] = (1, 2, 3)
    write_png(osp.join(mask_dir, mask), rgb)
    return f'train/PedMasks/{mask}', 'differing channels'


def pf_mask_value(root):
    mask_dir = osp.join(root, 'train', 'PedMasks')
    mask = sorted(os.listdir(mask_dir))[0]
    m = cv2.imread(osp.join(mask_dir, mask), cv2.IMREAD_UNCHANGED)
    m[0:3, 0:3] = 9000 if m.dtype == np.uint16 else 250
    write_png(osp.join(mask_dir, mask), m)
    return f'train/PedMasks/{mask}', 'class'


def coco_edit(root, fn, which='instances_train.json'):
    path = osp.join(root, 'annotations', which)
    data = json.load(open(path))
    fn(data)
    json.dump(data, open(path, 'w'))
    return f'annotations/{which}'


def coco_dup_image_id(root):
    def f(d):
        d['images'][1]['id'] = d['images'][0]['id']
    return coco_edit(root, f), 'image id(s)'


def coco_dup_ann_id(root):
    def f(d):
        d['annotations'][1]['id'] = d['annotations'][0]['id']
    return coco_edit(root, f), 'annotation id(s)'


def coco_category(root):
    def f(d):
        d['annotations'][0]['category_id'] = 77
    return coco_edit(root, f), 'category_id 77, not one of the categories'


def coco_rle_too_long(root):
    def f(d):
        a = d['annotations'][0]
        img = next(i for i in d['images'] if i['id'] == a['image_id'])
        a['segmentation'] = dict(size=[img['height'], img['width']],
                                 counts=[img['height'] * img['width'], 50])
    return coco_edit(root, f), 'RLE covers'


def coco_missing_image(root):
    name = pf_name(root)
    os.remove(osp.join(root, 'train', 'PNGImages', name))
    return f'train/PNGImages/{name}', 'not found'


def coco_image_size(root):
    path = osp.join(root, 'train', 'PNGImages', pf_name(root))
    write_png(path, np.zeros((40, 64, 3), np.uint8))
    return f'train/PNGImages/{pf_name(root)}', 'image is 64x40 but its annotation says 64x64'


def pan_missing_png(root):
    pan_dir = osp.join(root, 'panoptic_train')
    name = sorted(os.listdir(pan_dir))[0]
    os.remove(osp.join(pan_dir, name))
    return f'panoptic_train/{name}', 'not found'


def pan_unknown_segment(root):
    pan_dir = osp.join(root, 'panoptic_train')
    name = sorted(os.listdir(pan_dir))[0]
    png = cv2.imread(osp.join(pan_dir, name))
    png[0:2, 0:2] = (7, 7, 7)  # id 7*256*256+7*256+7, listed nowhere
    write_png(osp.join(pan_dir, name), png)
    return f'panoptic_train/{name}', 'not in its segments_info'


def pan_dup_segment(root):
    def f(d):
        segs = d['annotations'][0]['segments_info']
        segs[1]['id'] = segs[0]['id']
    return coco_edit(root, f, 'panoptic_train.json'), 'segment id(s)'


def pan_unknown_category(root):
    def f(d):
        d['annotations'][0]['segments_info'][0]['category_id'] = 99
    return coco_edit(root, f, 'panoptic_train.json'), 'category_id 99'


D2_ROWS = [('mask_folder', f) for f in (pf_missing_folder, pf_empty, pf_truncated, pf_mask_size,
                                          pf_mask_channels, pf_mask_value)] + \
          [('coco', f) for f in (coco_dup_image_id, coco_dup_ann_id, coco_category,
                                 coco_rle_too_long, coco_missing_image, coco_image_size,
                                 pf_truncated)] + \
          [('coco_panoptic', f) for f in (pan_missing_png, pan_unknown_segment, pan_dup_segment,
                                          pan_unknown_category)]


@pytest.mark.parametrize('kind, damage', D2_ROWS, ids=lambda x: getattr(x, '__name__', x))
def test_detectron2_matrix(shapes_copy, kind, damage, request):
    rel, problem = damage(shapes_copy)
    reports = d2_check(kind, shapes_copy, request.node.name.replace('[', '_').strip(']'))
    assert_reported(reports, osp.join(shapes_copy, rel), problem)


# --- the CLIs --------------------------------------------------------------------------------
def run_tool(args, cwd):
    proc = subprocess.run([sys.executable] + args, cwd=cwd, capture_output=True, text=True,
                          timeout=300, env=dict(os.environ, PYTHONWARNINGS='ignore'))
    return proc.returncode, proc.stdout + proc.stderr


def test_check_dataset_cli_exit_status(tgs_copy, tmp_path):
    tool = repo_path('tools', 'check_dataset.py')
    cfg = repo_path('configs', 'unet_salt.py')
    opts = ['--cfg-options'] + [f'{k}_dataloader.dataset.data_root={tgs_copy}'
                                for k in ('train', 'val', 'test')]
    rc, out = run_tool([tool, cfg, '--no-progress'] + opts, str(tmp_path))
    assert rc == 0 and 'all datasets OK' in out
    tgs_truncated_image(tgs_copy)
    rc, out = run_tool([tool, cfg, '--no-progress'] + opts, str(tmp_path))
    assert rc == 1 and 'cannot be decoded as an image' in out and tgs_sid(tgs_copy) in out
    assert 'Traceback' not in out


@pytest.mark.parametrize('opt, message', [
    ('model.decode_head.type=UNetHeadd', 'UNetHeadd is not in the mmseg::model registry'),
    ('train_cfg.max_iter=5', "unexpected keyword argument 'max_iter'"),
])
def test_train_cli_config_errors(tgs_root, tmp_path, opt, message):
    cfg = repo_path('configs', 'unet_salt.py')
    rc, out = run_tool([repo_path('tools', 'train.py'), cfg, '--work-dir', str(tmp_path),
                        '--cfg-options', opt, 'model.backbone.depth=18',
                        'train_dataloader.num_workers=0',
                        'train_dataloader.persistent_workers=False'] +
                       [f'{k}_dataloader.dataset.data_root={tgs_root}'
                        for k in ('train', 'val', 'test')], str(tmp_path))
    assert rc == 1 and f'error: {cfg}: ' in out and message in out, out[-2000:]
    assert 'Traceback' not in out


def test_cli_bad_data_and_missing_config(tgs_copy, tmp_path):
    rc, out = run_tool([repo_path('tools', 'train.py'), 'configs/nope.py'], str(tmp_path))
    assert rc == 1 and 'error: configs/nope.py: config file not found' in out
    tgs_mask_value(tgs_copy)
    cfg = repo_path('configs', 'unet_salt.py')
    rc, out = run_tool([repo_path('tools', 'train.py'), cfg, '--work-dir', str(tmp_path),
                        '--cfg-options', 'model.backbone.depth=18', 'train_cfg.max_iters=1',
                        'train_dataloader.batch_size=40', 'train_dataloader.num_workers=0',
                        'train_dataloader.persistent_workers=False'] +
                       [f'{k}_dataloader.dataset.data_root={tgs_copy}'
                        for k in ('train', 'val', 'test')], str(tmp_path))
    assert rc == 1 and 'mask holds value(s) 7' in out and tgs_sid(tgs_copy) in out
    assert 'Traceback' not in out


def test_checkpoint_of_another_model_is_refused(tmp_path):
    import torch
    from mmseg.registry import MODELS

    from seg_ext.mmseg.apis.runner_setup import check_checkpoint_matches
    unet = Config.fromfile(repo_path('configs', 'unet_salt.py')).model
    unet.backbone.depth = 18
    segnet = Config.fromfile(repo_path('configs', 'segnet_salt.py')).model
    path = str(tmp_path / 'segnet.pth')
    torch.save(dict(state_dict=MODELS.build(segnet).state_dict(), meta={}), path)
    with pytest.raises(ValueError, match='segnet.pth'):
        check_checkpoint_matches(MODELS.build(unet), path)

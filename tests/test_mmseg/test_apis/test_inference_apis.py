"""mmseg's own inference APIs on seg_ext's salt configs: ``init_model`` + ``inference_model``
(path and array), ``MMSegInferencer`` and ``show_result_pyplot`` predict an unlabelled 101x101
image at its original size, identically to a hand-made forward pass."""
import os
import os.path as osp

import cv2
import numpy as np
import pytest
import torch
from helpers.salt_checkpoint import build_salt_model, save_checkpoint
from mmseg.apis import MMSegInferencer, inference_model, init_model, show_result_pyplot

from seg_ext.mmseg.visualization import as_three_channels
from seg_ext.mmseg.visualization import show_result_pyplot as gray_show_result_pyplot

from conftest import repo_path

# the full-size models (mmseg's U-Net, ResNetV1c-34, full-width VGG16) take 10-25 s here
SALT_CONFIGS = ['unet_salt_demo.py', 'segnet_salt_demo.py', 'fcn8s_salt_demo.py'] + [
    pytest.param(c, marks=pytest.mark.slow)
    for c in ('unet_s5_d16_salt_demo.py', 'unet_salt.py', 'segnet_salt.py', 'fcn8s_salt.py')]


def unlabelled_image(tgs_root):
    folder = osp.join(tgs_root, 'test', 'images')
    return osp.join(folder, sorted(os.listdir(folder))[0])


def by_hand(model, img):
    """ReflectPad 101 -> 128 (13 | 14), normalise, forward, crop, sigmoid > 0.5 (or arg-max)."""
    x = np.pad(img.astype(np.float32), ((13, 14), (13, 14)), mode='reflect')
    x = torch.from_numpy((x - 128.0) / 40.0)[None, None]
    meta = dict(img_shape=(128, 128), pad_shape=(128, 128), ori_shape=(101, 101))
    with torch.no_grad():
        logits = model.encode_decode(x, [meta])[0, :, 13:114, 13:114]
    labels = logits[0].sigmoid() > 0.5 if logits.shape[0] == 1 else logits.argmax(0)
    return labels.numpy().astype(np.uint8)


@pytest.mark.parametrize('config', SALT_CONFIGS)
def test_mmseg_apis_predict_unlabelled_images(config, tgs_root, tmp_path):
    model = build_salt_model(config)
    ckpt = save_checkpoint(model, str(tmp_path / 'model.pth'))
    path = unlabelled_image(tgs_root)
    img = cv2.imread(path, cv2.IMREAD_GRAYSCALE)
    expected = by_hand(model, img)
    assert 0 < expected.sum() < expected.size  # not a constant prediction

    m = init_model(repo_path('configs', config), ckpt, device='cpu')
    from_path = inference_model(m, path)
    assert from_path.pred_sem_seg.shape == (101, 101)
    assert 'gt_sem_seg' not in from_path  # nothing was loaded for an unlabelled image
    assert np.array_equal(from_path.pred_sem_seg.data[0].numpy(), expected)
    from_array = inference_model(m, img)
    assert np.array_equal(from_array.pred_sem_seg.data[0].numpy(), expected)

    inferencer = MMSegInferencer(model=repo_path('configs', config), weights=ckpt, device='cpu')
    out = inferencer(path, out_dir=str(tmp_path / 'inf'))
    assert np.array_equal(out['predictions'], expected)
    assert np.array_equal(cv2.imread(str(tmp_path / 'inf' / 'pred' / '00000000_pred.png'),
                                     cv2.IMREAD_UNCHANGED), expected)
    vis = cv2.imread(str(tmp_path / 'inf' / 'vis' / osp.basename(path)))
    assert vis.shape == (101, 101, 3)


def test_visualisation_of_one_channel_images(tgs_root, tmp_path):
    ckpt = save_checkpoint(build_salt_model(), str(tmp_path / 'model.pth'))
    cfg = repo_path('configs', 'unet_salt_demo.py')
    path = unlabelled_image(tgs_root)
    m = init_model(cfg, ckpt, device='cpu')
    result = inference_model(m, path)
    drawn = show_result_pyplot(m, path, result, show=False, out_file=str(tmp_path / 'r.png'))
    assert drawn.shape == (101, 101, 3) and osp.isfile(tmp_path / 'r.png')
    salt = result.pred_sem_seg.data[0].numpy() == 1
    # salt painted in the palette's orange (R >> B), background blended with black (gray)
    rgb = drawn.astype(np.float32)
    assert (rgb[salt][:, 0] - rgb[salt][:, 2]).mean() > 50
    assert abs(rgb[~salt][:, 0] - rgb[~salt][:, 2]).mean() < 5
    # upstream's show_result_pyplot draws with a plain SegLocalVisualizer: a 1-channel array
    # goes in as 3 channels (a path is read as 3 channels by mmcv.imread anyway)
    img = cv2.imread(path, cv2.IMREAD_GRAYSCALE)
    from_array = show_result_pyplot(m, as_three_channels(img), result, show=False)
    assert np.array_equal(from_array, drawn)
    # seg_ext's show_result_pyplot takes the (H, W) array itself, same arguments, same drawing
    with pytest.raises(IndexError, match='array is 2-dimensional'):  # upstream's, as it is
        show_result_pyplot(m, img, result, show=False)
    for gray in (img, img[..., None]):
        assert np.array_equal(gray_show_result_pyplot(m, gray, result, show=False), drawn)

    # the config's GraySegLocalVisualizer draws a 1-channel array (SegLocalVisualizer fails)
    inferencer = MMSegInferencer(model=cfg, weights=ckpt, device='cpu')
    out = inferencer(img, return_vis=True)
    assert out['visualization'].shape == (101, 101, 3)
    assert np.array_equal(out['predictions'], result.pred_sem_seg.data[0].numpy())


def test_labelled_dataset_samples_still_need_their_mask(tgs_copy):
    from mmengine.config import Config
    from mmseg.registry import DATASETS

    from seg_ext.core.errors import DataError

    cfg = Config.fromfile(repo_path('configs', 'unet_salt_demo.py'))
    ds_cfg = cfg.val_dataloader.dataset
    ds_cfg.data_root = tgs_copy
    dataset = DATASETS.build(ds_cfg)
    # the test pipeline's LoadImageFromFile runs as the checked loader inside the dataset
    assert type(dataset.pipeline.transforms[0]).__name__ == 'LoadCheckedImageFromFile'
    sample = dataset[0]
    assert sample['data_samples'].gt_sem_seg.shape == (101, 101)
    info = dataset.get_data_info(0)
    data = open(info['img_path'], 'rb').read()
    open(info['img_path'], 'wb').write(data[:50])
    with pytest.raises(DataError, match='cannot be decoded as an image'):
        dataset[0]
    info = dataset.get_data_info(1)
    os.remove(info['seg_map_path'])
    with pytest.raises(DataError, match='not found'):
        dataset.pipeline(info)

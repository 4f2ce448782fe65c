"""ValLossLoop: the decode head's loss on validation batches (padding cropped), logged with the
metrics; early stopping on it keeps the best checkpoint; the curves image shows it."""
import glob
import json
import os.path as osp

import pytest
import torch
from mmengine.config import Config
from mmengine.structures import PixelData
from mmseg.registry import MODELS
from mmseg.structures import SegDataSample

from seg_ext.core.curves import plot_curves, read_scalars
from seg_ext.mmseg.engine.loops import predict_with_loss

from conftest import repo_path

TINY = dict(depth=18)


def tiny_unet_cfg():
    cfg = Config.fromfile(repo_path('configs', 'unet_salt_demo.py'))
    cfg.model.backbone.norm_cfg = cfg.model.decode_head.norm_cfg = dict(type='BN')
    cfg.model.decode_head.decoder_channels = [16, 16, 16, 8, 8]
    cfg.model.decode_head.channels = 8
    return cfg


def padded_sample(gt):
    s = SegDataSample()
    s.gt_sem_seg = PixelData(data=gt[None].long())
    s.set_metainfo(dict(img_shape=(128, 128), pad_shape=(128, 128), ori_shape=(101, 101),
                        img_padding_size=[13, 14, 13, 14]))
    return s


def test_loss_is_on_the_cropped_logits_against_unpadded_labels():
    torch.manual_seed(0)
    model = MODELS.build(tiny_unet_cfg().model).eval()
    with torch.no_grad():  # logits that vary over the image, so that alignment matters
        model.decode_head.conv_seg.weight.normal_(0, 3)
        model.decode_head.conv_seg.bias.zero_()
    x = torch.randn(2, 1, 128, 128)
    gts = [(torch.rand(101, 101) > 0.5), torch.zeros(101, 101)]
    samples = [padded_sample(g) for g in gts]
    with torch.no_grad():
        outputs, loss = predict_with_loss(model, x, samples)
        logits = model.inference(x, [s.metainfo for s in samples])
    assert set(loss) == {'loss_ce', 'loss_lovasz'}
    crop = logits[:, :, 13:114, 13:114]  # the 101x101 the labels describe
    head = model.decode_head
    for k in loss:
        expected = sum(head.loss_by_feat(crop[i:i + 1], [padded_sample(gts[i])])[k]
                       for i in range(2)) / 2
        assert torch.allclose(loss[k], expected, atol=1e-6), k
    # what loss_by_feat alone would do (resize 128 -> 101 onto the labels) is another number
    wrong = head.loss_by_feat(logits, [padded_sample(g) for g in gts])['loss_ce']
    assert not torch.allclose(wrong, loss['loss_ce'], atol=1e-4)
    # and the predictions are predict()'s
    with torch.no_grad():
        ref = model.predict(x, [padded_sample(g) for g in gts])
    assert torch.equal(outputs[0].pred_sem_seg.data, ref[0].pred_sem_seg.data)


@pytest.mark.slow
def test_val_loss_logged_early_stopping_best_checkpoint_and_curves(tgs_root, tmp_path):
    from mmengine.runner import Runner

    cfg = tiny_unet_cfg()
    cfg.work_dir = str(tmp_path)
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        cfg[loader].dataset.data_root = tgs_root
        cfg[loader].batch_size = 4
        cfg[loader].num_workers = 0
        cfg[loader].persistent_workers = False
    cfg.train_cfg.max_iters = 12
    cfg.param_scheduler = [dict(type='ConstantLR', factor=1.0, by_epoch=False)]
    cfg.train_cfg.val_interval = 2
    cfg.val_cfg = dict(type='ValLossLoop')
    cfg.default_hooks.checkpoint = dict(type='CheckpointHook', by_epoch=False, interval=100,
                                        save_best='val_loss',
                                        rule='less')
    cfg.default_hooks.logger.interval = 1
    # a name of its own: mmengine returns an existing visualizer of the same name (mmseg's
    # default 'visualizer'), which would write the scalars into an earlier runner's work dir
    cfg.visualizer.name = f'val_loss_{tmp_path.name}'
    # min_delta so large that no validation counts as an improvement: stops after patience 2
    cfg.custom_hooks = [dict(type='EarlyStoppingHook', monitor='val_loss', patience=2,
                             min_delta=1e6)]
    runner = Runner.from_cfg(cfg)
    runner.train()
    assert runner.iter == 6  # validations at 2, 4, 6: no improvement twice -> stop
    train, val = read_scalars(glob.glob(osp.join(str(tmp_path), '*', 'vis_data',
                                                 'scalars.json')))
    assert [s for s, _ in train['val_loss']] == [2, 4, 6]
    assert all(v > 0 for _, v in train['val_loss'])
    records = [json.loads(line) for line in open(glob.glob(osp.join(
        str(tmp_path), '*', 'vis_data', 'scalars.json'))[0]) if 'val_loss' in line]
    for r in records:  # the total is the sum of the terms, logged next to the metrics
        assert r['val_loss'] == pytest.approx(r['loss_ce'] + r['loss_lovasz'], rel=1e-5)
        assert 'mIoU' in r and 'TGS' in r
    best = glob.glob(osp.join(str(tmp_path), 'best_val_loss_iter_*.pth'))
    assert len(best) == 1
    png = plot_curves(str(tmp_path), str(tmp_path / 'curves.png'))
    assert osp.getsize(png) > 0

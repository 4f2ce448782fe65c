# Baseline for the README: mmseg's own U-Net (`unet-s5-d16`, model section unchanged but for one
# input channel, two classes and whole-image testing) trained exactly like unet_salt_demo.py: the
# same demo data, pipeline, AdamW schedule (400 x 16) and metrics.
#   python tools/train.py configs/unet_s5_d16_salt_demo.py
_base_ = [
    'mmseg::_base_/models/fcn_unet_s5-d16.py',
    './_base_/datasets/tgs_salt.py',
    './_base_/schedules/adamw_20k.py',
    'mmseg::_base_/default_runtime.py',
]
custom_imports = dict(imports=['seg_ext'], allow_failed_imports=False)

data_preprocessor = dict(mean=[128.0], std=[40.0], bgr_to_rgb=False, size=(128, 128))
model = dict(
    data_preprocessor=data_preprocessor,
    backbone=dict(in_channels=1),
    test_cfg=dict(mode='whole', _delete_=True))

data_root = 'data/tgs_salt_demo'
train_dataloader = dict(dataset=dict(data_root=data_root))
val_dataloader = dict(dataset=dict(data_root=data_root))
test_dataloader = val_dataloader

max_iters = 400
train_cfg = dict(max_iters=max_iters, val_interval=200)
param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, by_epoch=False, begin=0, end=50),
    dict(type='PolyLR', eta_min=1e-5, power=0.9, begin=50, end=max_iters, by_epoch=False),
]
default_hooks = dict(logger=dict(interval=20), checkpoint=dict(interval=200))

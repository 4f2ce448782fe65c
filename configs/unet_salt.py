# U-Net (ResNetV1c-34 encoder) on TGS Salt: python tools/train.py configs/unet_salt.py
_base_ = [
    './_base_/models/unet_r34.py',
    './_base_/datasets/tgs_salt.py',
    'mmseg::_base_/default_runtime.py',
    'mmseg::_base_/schedules/schedule_20k.py',
]
custom_imports = dict(imports=['seg_ext'], allow_failed_imports=False)

# from-scratch friendly optimiser; 20k iterations x 16 images = 100 epochs of the 3200-image fold
optim_wrapper = dict(
    _delete_=True,
    type='OptimWrapper',
    optimizer=dict(type='AdamW', lr=1e-3, weight_decay=1e-4))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, by_epoch=False, begin=0, end=200),
    dict(type='PolyLR', eta_min=1e-5, power=0.9, begin=200, end=20000, by_epoch=False),
]
default_hooks = dict(checkpoint=dict(save_best='mIoU', rule='greater', max_keep_ckpts=2))
custom_hooks = [dict(type='InferenceStatsHook')]

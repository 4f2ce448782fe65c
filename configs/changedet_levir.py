# Siamese U-Net change detection on LEVIR-CD: python tools/train.py configs/changedet_levir.py
_base_ = [
    './_base_/models/siamese_unet_r18.py',
    './_base_/datasets/levir_cd.py',
    './_base_/schedules/adamw_20k.py',
    'mmseg::_base_/default_runtime.py',
]
custom_imports = dict(imports=['seg_ext.mmseg'], allow_failed_imports=False)
# flip TTA (both flips: change is orientation-free), averaged in probability space
tta_model = dict(type='SegProbTTAModel', flips=['horizontal', 'vertical'])
default_hooks = dict(checkpoint=dict(save_best='F1'))

# Early-fusion (6-channel input) baseline for changedet_levir.py, same data and schedule.
_base_ = [
    './_base_/models/early_fusion_unet_r18.py',
    './_base_/datasets/levir_cd.py',
    './_base_/schedules/adamw_20k.py',
    'mmseg::_base_/default_runtime.py',
]
custom_imports = dict(imports=['seg_ext.mmseg'], allow_failed_imports=False)
# flip TTA (both flips: change is orientation-free), averaged in probability space
tta_model = dict(type='SegProbTTAModel', flips=['horizontal', 'vertical'])
default_hooks = dict(checkpoint=dict(save_best='F1'))

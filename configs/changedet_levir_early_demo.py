# The CPU demo/benchmark run of changedet_levir_early.py: the same data and schedule as
# changedet_levir_demo.py.
_base_ = [
    './_base_/models/early_fusion_unet_r18.py',
    './_base_/datasets/levir_cd_demo.py',
    './_base_/schedules/demo.py',
    'mmseg::_base_/default_runtime.py',
]
custom_imports = dict(imports=['seg_ext.mmseg'], allow_failed_imports=False)
# flip TTA (both flips: change is orientation-free), averaged in probability space
tta_model = dict(type='SegProbTTAModel', flips=['horizontal', 'vertical'])
train_cfg = dict(max_iters=600)
default_hooks = dict(logger=dict(interval=25), checkpoint=dict(save_best='F1'))

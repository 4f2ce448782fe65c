# U-Net (ResNetV1c-34 encoder) on TGS Salt: python tools/train.py configs/unet_salt.py
_base_ = [
    './_base_/models/unet_r34.py',
    './_base_/datasets/tgs_salt.py',
    './_base_/schedules/adamw_20k.py',
    'mmseg::_base_/default_runtime.py',
]
custom_imports = dict(imports=['seg_ext.mmseg'], allow_failed_imports=False)
# flip TTA averaged in probability space (mmseg's SegTTAModel sigmoids a sigmoid head twice)
tta_model = dict(type='SegProbTTAModel', flips=['horizontal'])
# draws 1-channel images too (MMSegInferencer on a grayscale array, --show-dir)
visualizer = dict(type='GraySegLocalVisualizer')

# Baseline for the README: mmseg's own U-Net (`unet-s5-d16`, model section unchanged but for one
# input channel, two classes and whole-image testing) trained exactly like unet_salt_demo.py: the
# same demo data, pipeline, AdamW schedule (400 x 16) and metrics.
#   python tools/train.py configs/unet_s5_d16_salt_demo.py
_base_ = [
    'mmseg::_base_/models/fcn_unet_s5-d16.py',
    './_base_/datasets/tgs_salt_demo.py',
    './_base_/schedules/demo.py',
    'mmseg::_base_/default_runtime.py',
]
custom_imports = dict(imports=['seg_ext.mmseg'], allow_failed_imports=False)
# flip TTA averaged in probability space (mmseg's SegTTAModel sigmoids a sigmoid head twice)
tta_model = dict(type='SegProbTTAModel', flips=['horizontal'])
# draws 1-channel images too (MMSegInferencer on a grayscale array, --show-dir)
visualizer = dict(type='GraySegLocalVisualizer')

data_preprocessor = dict(mean=[128.0], std=[40.0], bgr_to_rgb=False, size=(128, 128))
model = dict(
    data_preprocessor=data_preprocessor,
    backbone=dict(in_channels=1),
    test_cfg=dict(mode='whole', _delete_=True))

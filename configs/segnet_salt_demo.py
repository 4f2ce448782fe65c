# The CPU demo/benchmark run of segnet_salt.py: VGG16-BN at half width (32..256 channels, ~4x
# fewer FLOPs) on the demo data, 500 iterations (fits 15 minutes on 2 cores).
_base_ = [
    './_base_/models/segnet_vgg16_salt.py',
    './_base_/datasets/tgs_salt_demo.py',
    './_base_/schedules/demo.py',
    'mmseg::_base_/default_runtime.py',
]
custom_imports = dict(imports=['seg_ext.mmseg'], allow_failed_imports=False)
# flip TTA averaged in probability space (mmseg's SegTTAModel sigmoids a sigmoid head twice)
tta_model = dict(type='SegProbTTAModel', flips=['horizontal'])
# draws 1-channel images too (MMSegInferencer on a grayscale array, --show-dir)
visualizer = dict(type='GraySegLocalVisualizer')
model = dict(
    backbone=dict(base_channels=32),
    decode_head=dict(encoder_channels=(32, 64, 128, 256, 256), channels=32))
train_cfg = dict(max_iters=500, val_interval=250)
default_hooks = dict(logger=dict(interval=25), checkpoint=dict(interval=250))

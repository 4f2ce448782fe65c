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
# Pretrained encoder: an ImageNet ResNetV1c-34 checkpoint (3-channel) loads into this 1-channel
# encoder, its stem kernels summed over RGB (seg_ext's 'Pretrained' loader in the mmseg scope; a
# layer that does not fit is an error naming it). Uncomment with a local file (or
# 'open-mmlab://resnet34_v1c' where downloads work); the demo data train from scratch:
# model = dict(backbone=dict(init_cfg=dict(type='Pretrained', checkpoint='checkpoints/resnet34_v1c.pth')))  # noqa: E501

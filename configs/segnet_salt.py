# SegNet (VGG16-BN encoder, index unpooling) on TGS Salt: 1-channel input, sigmoid output.
_base_ = [
    './_base_/models/segnet_vgg16_salt.py',
    './_base_/datasets/tgs_salt.py',
    './_base_/schedules/adamw_20k.py',
    'mmseg::_base_/default_runtime.py',
]
custom_imports = dict(imports=['seg_ext.mmseg'], allow_failed_imports=False)
# flip TTA averaged in probability space (mmseg's SegTTAModel sigmoids a sigmoid head twice)
tta_model = dict(type='SegProbTTAModel', flips=['horizontal'])
# draws 1-channel images too (MMSegInferencer on a grayscale array, --show-dir)
visualizer = dict(type='GraySegLocalVisualizer')

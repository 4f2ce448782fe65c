# FCN-8s (VGG16-BN, trained from scratch) on TGS Salt: 1-channel input, sigmoid output.
_base_ = [
    './_base_/models/fcn8s_vgg16_salt.py',
    './_base_/datasets/tgs_salt.py',
    './_base_/schedules/adamw_20k.py',
    'mmseg::_base_/default_runtime.py',
]
custom_imports = dict(imports=['seg_ext.mmseg'], allow_failed_imports=False)
# flip TTA averaged in probability space (mmseg's SegTTAModel sigmoids a sigmoid head twice)
tta_model = dict(type='SegProbTTAModel', flips=['horizontal'])
# draws 1-channel images too (MMSegInferencer on a grayscale array, --show-dir)
visualizer = dict(type='GraySegLocalVisualizer')

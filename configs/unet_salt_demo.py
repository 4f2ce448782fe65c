# The `make demo` run: unet_salt.py with a ResNetV1c-18 encoder on the generated demo data
# (tools/misc/make_demo_data.py) and the CPU demo schedule (400 iterations).
_base_ = [
    './_base_/models/unet_r34.py',
    './_base_/datasets/tgs_salt_demo.py',
    './_base_/schedules/demo.py',
    'mmseg::_base_/default_runtime.py',
]
custom_imports = dict(imports=['seg_ext.mmseg'], allow_failed_imports=False)
# flip TTA averaged in probability space (mmseg's SegTTAModel sigmoids a sigmoid head twice)
tta_model = dict(type='SegProbTTAModel', flips=['horizontal'])
# draws 1-channel images too (MMSegInferencer on a grayscale array, --show-dir)
visualizer = dict(type='GraySegLocalVisualizer')
model = dict(backbone=dict(depth=18))

# The `make demo` run: unet_salt.py with a ResNetV1c-18 encoder on the generated demo data
# (tools/misc/make_demo_data.py) and the CPU demo schedule (400 iterations).
_base_ = [
    './_base_/models/unet_r34.py',
    './_base_/datasets/tgs_salt_demo.py',
    './_base_/schedules/demo.py',
    'mmseg::_base_/default_runtime.py',
]
custom_imports = dict(imports=['seg_ext.mmseg'], allow_failed_imports=False)
model = dict(backbone=dict(depth=18))

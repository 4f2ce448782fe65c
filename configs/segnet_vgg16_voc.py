# SegNet on PASCAL VOC 2012 (+ SBD aug), mmseg's dataset config: data not shipped, see mmseg's
# docs/en/user_guides/2_dataset_prepare.md. 512x512 crops, 20k iterations, ImageNet VGG16-BN.
_base_ = [
    './_base_/models/segnet_vgg16.py',
    'mmseg::_base_/datasets/pascal_voc12_aug.py',
    'mmseg::_base_/default_runtime.py',
    'mmseg::_base_/schedules/schedule_20k.py',
]
custom_imports = dict(imports=['seg_ext.mmseg'], allow_failed_imports=False)

crop_size = (512, 512)
model = dict(
    data_preprocessor=dict(size=crop_size),
    backbone=dict(init_cfg=dict(type='Pretrained', checkpoint='torchvision://vgg16_bn')),
    decode_head=dict(num_classes=21))
val_evaluator = dict(type='SegMetric')
test_evaluator = val_evaluator

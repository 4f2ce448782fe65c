# SegNet (VGG16-BN encoder, index unpooling) on TGS Salt: 1-channel input, sigmoid output.
_base_ = [
    './_base_/models/segnet_vgg16.py',
    './_base_/datasets/tgs_salt.py',
    './_base_/schedules/adamw_20k.py',
    'mmseg::_base_/default_runtime.py',
]
custom_imports = dict(imports=['seg_ext'], allow_failed_imports=False)

model = dict(
    data_preprocessor=dict(mean=[128.0], std=[40.0], bgr_to_rgb=False, size=(128, 128)),
    backbone=dict(in_channels=1),
    decode_head=dict(
        num_classes=2,
        out_channels=1,
        threshold=0.5,
        # classifier bias at the salt prior, see _base_/models/unet_r34.py
        init_cfg=dict(type='Normal', std=0.01, bias=-2.0, override=dict(name='conv_seg')),
        loss_decode=[
            dict(type='CrossEntropyLoss', use_sigmoid=True, loss_weight=1.0),
            dict(type='LovaszLoss', loss_type='binary', per_image=True, reduction='mean',
                 loss_weight=0.5),
        ]))

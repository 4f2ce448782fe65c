# segnet_vgg16.py for TGS Salt: 1-channel input, one sigmoid output (BCE + Lovasz), from scratch.
_base_ = './segnet_vgg16.py'
model = dict(
    data_preprocessor=dict(mean=[128.0], std=[40.0], bgr_to_rgb=False, size=(128, 128)),
    backbone=dict(in_channels=1),
    decode_head=dict(
        num_classes=2,
        out_channels=1,
        threshold=0.5,
        # classifier bias at the salt prior, see unet_r34.py
        init_cfg=dict(type='Normal', std=0.01, bias=-2.0, override=dict(name='conv_seg')),
        loss_decode=[
            dict(type='CrossEntropyLoss', use_sigmoid=True, loss_weight=1.0),
            dict(type='LovaszLoss', loss_type='binary', per_image=True, reduction='mean',
                 loss_weight=0.5),
        ]))

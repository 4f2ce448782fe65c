# fcn8s_vgg16.py for TGS Salt: VGG16-BN from scratch, 1-channel input, one sigmoid output. The
# fc6/fc7 convolutions are narrowed (1024 channels, 3x3 fc6): at 128x128 input pool5 is only 4x4.
_base_ = './fcn8s_vgg16.py'
norm_cfg = dict(type='SyncBN', requires_grad=True)
model = dict(
    data_preprocessor=dict(mean=[128.0], std=[40.0], bgr_to_rgb=False, size=(128, 128)),
    backbone=dict(
        in_channels=1,
        with_bn=True,
        norm_cfg=norm_cfg,
        fc_channels=1024,
        fc_kernel=3,
        fc_dropout=0.1,
        init_cfg=None),
    decode_head=dict(
        in_channels=[256, 512, 1024],
        num_classes=2,
        out_channels=1,
        threshold=0.5,
        init_cfg=dict(type='Normal', std=0.01, bias=-2.0, override=dict(name='conv_seg')),
        loss_decode=[
            dict(type='CrossEntropyLoss', use_sigmoid=True, loss_weight=1.0),
            dict(type='LovaszLoss', loss_type='binary', per_image=True, reduction='mean',
                 loss_weight=0.5),
        ]))

# Early-fusion change detector (the baseline): A and B stacked into one 6-channel input of a
# ResNetV1c-18, U-Net decoder, 1 output channel (change) + sigmoid.
# (Needs `import seg_ext.mmseg`: top-level configs set custom_imports.) siamese_unet_r18.py is
# the same network with one 3-channel encoder shared by A and B.
norm_cfg = dict(type='SyncBN', requires_grad=True)
data_preprocessor = dict(
    type='MultiImageSegDataPreProcessor',
    num_images=2,
    mean=[123.675, 116.28, 103.53],  # per image; repeated for A and B
    std=[58.395, 57.12, 57.375],
    bgr_to_rgb=True,
    pad_val=0,
    seg_pad_val=255,
    size_divisor=32)
model = dict(
    type='EncoderDecoder',
    data_preprocessor=data_preprocessor,
    backbone=dict(
        type='ResNetV1c',
        depth=18,
        in_channels=6,  # A and B stacked
        num_stages=4,
        out_indices=(0, 1, 2, 3),
        dilations=(1, 1, 1, 1),
        strides=(1, 2, 2, 2),
        norm_cfg=norm_cfg,
        norm_eval=False,
        style='pytorch',
        contract_dilation=True),
    decode_head=dict(
        type='UNetHead',
        in_channels=[64, 128, 256, 512],
        in_index=[0, 1, 2, 3],
        channels=16,
        decoder_channels=[128, 64, 32, 32, 16],
        extra_upsamples=2,
        upsample='deconv',
        dropout_ratio=0.0,
        num_classes=2,
        out_channels=1,
        threshold=0.5,
        norm_cfg=norm_cfg,
        align_corners=False,
        # classifier bias at the change prior (~5 % of pixels), see models/unet_r34.py
        init_cfg=dict(type='Normal', std=0.01, bias=-3.0, override=dict(name='conv_seg')),
        loss_decode=[
            dict(type='CrossEntropyLoss', use_sigmoid=True, loss_weight=1.0),
            dict(type='LovaszLoss', loss_type='binary', per_image=True, reduction='mean',
                 loss_weight=0.5),
        ]),
    train_cfg=dict(),
    test_cfg=dict(mode='whole'))

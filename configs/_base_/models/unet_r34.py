# U-Net decoder (seg_ext UNetHead) on a ResNetV1c-34 encoder, binary output (1 channel + sigmoid),
# (needs `import seg_ext.mmseg`: the configs that use this file set custom_imports)
# as the TGS Salt winning solutions used. 1-channel (grayscale) input.

norm_cfg = dict(type='SyncBN', requires_grad=True)  # reverted to BN when not distributed
data_preprocessor = dict(
    type='CheckedSegDataPreProcessor',
    mean=[128.0],
    std=[40.0],
    bgr_to_rgb=False,
    pad_val=0,
    seg_pad_val=255,
    size=(128, 128))
model = dict(
    type='EncoderDecoder',
    data_preprocessor=data_preprocessor,
    pretrained=None,
    backbone=dict(
        type='ResNetV1c',
        depth=34,
        in_channels=1,
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
        extra_upsamples=2,  # ResNet's finest feature has stride 4: two more x2 blocks
        upsample='deconv',
        num_convs=2,
        dropout_ratio=0.0,
        num_classes=2,
        out_channels=1,
        threshold=0.5,
        norm_cfg=norm_cfg,
        align_corners=False,
        # classifier bias at the foreground prior (sigmoid(-2) ~ 12%): with bias 0 on post-ReLU
        # features every weight first turns negative and no pixel can reach 0.5 for hundreds of
        # iterations (RetinaNet's prior initialisation)
        init_cfg=dict(type='Normal', std=0.01, bias=-2.0, override=dict(name='conv_seg')),
        loss_decode=[
            dict(type='CrossEntropyLoss', use_sigmoid=True, loss_weight=1.0),
            dict(type='LovaszLoss', loss_type='binary', per_image=True, reduction='mean',
                 loss_weight=0.5),
        ]),
    train_cfg=dict(),
    test_cfg=dict(mode='whole'))

# SegNet (Badrinarayanan et al.): VGG16-BN encoder that hands its max-pooling indices to a mirrored
# decoder upsampling with MaxUnpool2d. RGB input, 21 classes (PASCAL VOC); the salt config
# overrides channels and classes.
# (Needs `import seg_ext.mmseg`: top-level configs set custom_imports.)
norm_cfg = dict(type='SyncBN', requires_grad=True)
data_preprocessor = dict(
    type='CheckedSegDataPreProcessor',
    mean=[123.675, 116.28, 103.53],
    std=[58.395, 57.12, 57.375],
    bgr_to_rgb=True,
    pad_val=0,
    seg_pad_val=255)
model = dict(
    type='SegNet',  # EncoderDecoder that checks the index wiring when it is built
    data_preprocessor=data_preprocessor,
    backbone=dict(
        type='VGG',
        depth=16,
        in_channels=3,
        with_bn=True,
        norm_cfg=norm_cfg,
        return_indices=True,
        out_indices=(4, ),
        # ImageNet weights: init_cfg=dict(type='Pretrained', checkpoint='torchvision://vgg16_bn')
    ),
    decode_head=dict(
        type='SegNetHead',
        encoder_channels=(64, 128, 256, 512, 512),
        encoder_convs=(2, 2, 3, 3, 3),
        channels=64,
        in_index=-1,
        dropout_ratio=0.0,
        num_classes=21,
        norm_cfg=norm_cfg,
        align_corners=False,
        loss_decode=dict(type='CrossEntropyLoss', use_sigmoid=False, loss_weight=1.0)),
    train_cfg=dict(),
    test_cfg=dict(mode='whole'))

# FCN-8s (Long et al., 2015): VGG16 with fc6/fc7 as convolutions, scores of conv7, pool4 and pool3
# fused by learned x2, x2, x8 upsampling (bilinear-initialised). RGB input, 21 classes (PASCAL VOC).
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
    type='EncoderDecoder',
    data_preprocessor=data_preprocessor,
    backbone=dict(
        type='VGG',
        depth=16,
        in_channels=3,
        with_bn=False,
        with_fc=True,  # fc6 (7x7, 4096) and fc7 (1x1, 4096) as convolutions, ImageNet-loadable
        fc_channels=4096,
        fc_kernel=7,
        fc_dropout=0.5,
        out_indices=(2, 3, 5),  # pool3, pool4, conv7
        init_cfg=dict(type='Pretrained', checkpoint='torchvision://vgg16')),
    decode_head=dict(
        type='FCNSkipHead',
        variant='8s',  # or '16s' (in_channels=[512, 4096], in_index=[1, 2]) / '32s'
        in_channels=[256, 512, 4096],
        in_index=[0, 1, 2],
        num_classes=21,
        align_corners=False,
        loss_decode=dict(type='CrossEntropyLoss', use_sigmoid=False, loss_weight=1.0)),
    train_cfg=dict(),
    test_cfg=dict(mode='whole'))

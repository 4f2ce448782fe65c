# Siamese change detector: early_fusion_unet_r18.py with one ResNetV1c-18 applied to A and B
# (shared weights, 3 channels each) and |A-B| feature fusion at every scale before the U-Net
# decoder; 1 output channel (change) + sigmoid.
_base_ = './early_fusion_unet_r18.py'
model = dict(
    type='SiameseEncoderDecoder',
    fusion='abs_diff',  # or 'diff', 'sum', 'concat' (then double the head's in_channels)
    backbone=dict(in_channels=3))

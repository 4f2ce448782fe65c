# The CPU demo/benchmark run of fcn8s_salt.py on the generated demo data: VGG16-BN at half width
# (32..256 channels, ~4x fewer FLOPs) and a schedule that fits 15 minutes on 2 cores.
_base_ = './fcn8s_salt.py'

data_root = 'data/tgs_salt_demo'
model = dict(
    backbone=dict(base_channels=32, fc_channels=512),
    decode_head=dict(in_channels=[128, 256, 512]))
train_dataloader = dict(dataset=dict(data_root=data_root))
val_dataloader = dict(dataset=dict(data_root=data_root))
test_dataloader = val_dataloader

max_iters = 500
train_cfg = dict(max_iters=max_iters, val_interval=250)
param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, by_epoch=False, begin=0, end=50),
    dict(type='PolyLR', eta_min=1e-5, power=0.9, begin=50, end=max_iters, by_epoch=False),
]
default_hooks = dict(logger=dict(interval=25), checkpoint=dict(interval=250))

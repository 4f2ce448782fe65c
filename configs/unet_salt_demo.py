# The `make demo` run: unet_salt.py on the generated demo data (tools/misc/make_demo_data.py) with a
# ResNetV1c-18 encoder and a schedule short enough for 2 CPU cores.
_base_ = './unet_salt.py'

data_root = 'data/tgs_salt_demo'
model = dict(backbone=dict(depth=18))
train_dataloader = dict(dataset=dict(data_root=data_root))
val_dataloader = dict(dataset=dict(data_root=data_root))
test_dataloader = val_dataloader

max_iters = 400
train_cfg = dict(max_iters=max_iters, val_interval=200)
param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, by_epoch=False, begin=0, end=50),
    dict(type='PolyLR', eta_min=1e-5, power=0.9, begin=50, end=max_iters, by_epoch=False),
]
default_hooks = dict(
    logger=dict(interval=20),
    checkpoint=dict(interval=200))

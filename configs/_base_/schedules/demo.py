# The CPU demo schedule (`*_demo.py` configs): adamw_20k.py with a 50-iteration warm-up and poly
# decay to the end of train_cfg.max_iters (mmengine ends a scheduler without `end` there), 400
# iterations validated and checkpointed every 200, logs every 20. A demo config sets max_iters /
# val_interval / checkpoint interval where it needs others.
_base_ = './adamw_20k.py'
param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, by_epoch=False, begin=0, end=50),
    dict(type='PolyLR', eta_min=1e-5, power=0.9, begin=50, by_epoch=False),
]
train_cfg = dict(max_iters=400, val_interval=200)
default_hooks = dict(logger=dict(interval=20), checkpoint=dict(interval=200))

# levir_cd.py on the generated demo data (python tools/misc/make_demo_data.py levir
# data/levir_cd_demo): 256x256 pairs, 128x128 training crops.
_base_ = './levir_cd.py'
data_root = 'data/levir_cd_demo'
crop_size = (128, 128)
train_pipeline = [
    dict(type='LoadBiTemporalImages'),
    dict(type='LoadBinaryAnnotations'),
    dict(type='RandomCrop', crop_size=crop_size),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='RandomRotate90', prob=0.75),
    dict(type='PairwisePhotoMetricDistortion'),
    dict(type='RandomTimeExchange', prob=0.5),
    dict(type='PackSegInputs'),
]
train_dataloader = dict(batch_size=16, dataset=dict(data_root=data_root, pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(data_root=data_root))
test_dataloader = dict(dataset=dict(data_root=data_root))

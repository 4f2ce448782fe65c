# LEVIR-CD layout: {train,val,test}/{A,B,label}/*.png (labels 0/255), read with OpenCV (no GDAL).
# A and B are stacked along channels at load time, so every geometric transform moves both images
# and the label identically; photometric distortion draws separately for A and B.
# (Needs `import seg_ext.mmseg`: top-level configs set custom_imports.)
dataset_type = 'BiTemporalCDDataset'
data_root = 'data/levir_cd'
crop_size = (256, 256)
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
test_pipeline = [
    dict(type='LoadBiTemporalImages'),
    dict(type='LoadBinaryAnnotations'),
    dict(
        type='PackSegInputs',
        meta_keys=('img_path', 'img_path2', 'seg_map_path', 'ori_shape', 'img_shape',
                   'pad_shape', 'scale_factor', 'flip', 'flip_direction', 'reduce_zero_label')),
]
# `--tta`: flips of the stacked A|B input by SegProbTTAModel (leaf configs set `tta_model`)
tta_pipeline = test_pipeline

train_dataloader = dict(
    batch_size=8,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        data_prefix=dict(img_path='train/A', img_path2='train/B', seg_map_path='train/label'),
        pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=4,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        data_prefix=dict(img_path='val/A', img_path2='val/B', seg_map_path='val/label'),
        pipeline=test_pipeline))
test_dataloader = dict(
    batch_size=4,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        data_prefix=dict(img_path='test/A', img_path2='test/B', seg_map_path='test/label'),
        pipeline=test_pipeline))
val_evaluator = dict(type='ChangeMetric')
test_evaluator = val_evaluator
custom_hooks = [dict(type='InferenceStatsHook'), dict(type='ChangeMapHook', max_images=16)]
# Dense CRF refinement, off by default (`tools/test.py --crf dense` or `--cfg-options
# crf.enabled=True`). Its bilateral kernel sees both acquisitions (6 channels): a change edge is
# where A and B differ. Tuned with tools/analysis_tools/tune_crf.py on the val split.
crf = dict(type='DenseCRF', enabled=False, iterations=5, gaussian=dict(sxy=1.0, compat=3.0),
           bilateral=dict(sxy=30.0, srgb=20.0, compat=3.0))

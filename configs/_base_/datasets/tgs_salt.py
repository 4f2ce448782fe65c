# TGS Salt Identification Challenge (Kaggle layout), fold 0 of the coverage-stratified splits
# (needs `import seg_ext.mmseg`: the configs that use this file set custom_imports)
# made by tools/dataset_converters/tgs_salt_splits.py. Images are read as 1-channel grayscale,
# reflect-padded 101->128 for the network; predictions and metrics are at 101x101.

dataset_type = 'TGSSaltDataset'
data_root = 'data/tgs_salt'
crop_size = (128, 128)
train_pipeline = [
    dict(type='LoadCheckedImageFromFile', color_type='grayscale'),
    dict(type='LoadBinaryAnnotations'),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='ReflectPad', size=crop_size),
    dict(type='PackSegInputs'),
]
# `LoadImageFromFile` is the name mmseg's inference_model/MMSegInferencer look for; inside
# TGSSaltDataset it runs as the checked LoadCheckedImageFromFile (errors name the file).
# LoadBinaryAnnotations passes an unlabelled image (no mask, no RLE) through.
test_pipeline = [
    dict(type='LoadImageFromFile', color_type='grayscale'),
    dict(type='ReflectPad', size=crop_size),
    # loaded after padding, so the ground truth stays at the original 101x101
    dict(type='LoadBinaryAnnotations'),
    dict(
        type='PackSegInputs',
        meta_keys=('img_path', 'seg_map_path', 'ori_shape', 'img_shape', 'pad_shape',
                   'scale_factor', 'flip', 'flip_direction', 'reduce_zero_label',
                   'img_padding_size')),
]
# `tools/test.py --tta` / `tools/predict.py --tta`: the test pipeline as it is; the flips are done
# by SegProbTTAModel on the padded network input (exact with the asymmetric 13|14 reflect padding)
# and averaged in probability space. Leaf configs set `tta_model` (mmseg's default_runtime.py
# defines one too, and _base_ files may not repeat a key).
tta_pipeline = test_pipeline
train_dataloader = dict(
    batch_size=16,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        ann_file='splits/fold0_train.txt',
        data_prefix=dict(img_path='train/images', seg_map_path='train/masks'),
        pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=16,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        ann_file='splits/fold0_val.txt',
        data_prefix=dict(img_path='train/images', seg_map_path='train/masks'),
        pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(type='SegMetric', tgs_score=True)
test_evaluator = val_evaluator
# report inference time per image and peak memory next to the metrics
custom_hooks = [dict(type='InferenceStatsHook')]
# Dense CRF refinement, off by default; `tools/test.py --crf dense` (or `--cfg-options
# crf.enabled=True`) turns it on and reports metrics with and without it. The settings were tuned
# with tools/analysis_tools/tune_crf.py on a separate synthetic split (data/tgs_salt_tune): salt
# boundaries follow no intensity edge in seismic, so the bilateral kernel only hurts and a weak,
# short-range Gaussian smoothing is all that helps.
crf = dict(type='DenseCRF', enabled=False, iterations=5, gaussian=dict(sxy=0.5, compat=0.25),
           bilateral=None)

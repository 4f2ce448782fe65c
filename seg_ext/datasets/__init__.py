from .bitemporal_cd import BiTemporalCDDataset
from .rle import rle_decode, rle_encode
from .splits import coverage_class, fold_ids, stratified_kfold, write_tgs_splits
from .tgs_salt import TGSSaltDataset, read_csv_column
from .transforms import AddDepthChannel, LoadBinaryAnnotations, LoadCheckedImageFromFile, ReflectPad

__all__ = [
    'TGSSaltDataset', 'read_csv_column', 'rle_decode', 'rle_encode', 'coverage_class',
    'stratified_kfold', 'fold_ids', 'write_tgs_splits', 'AddDepthChannel',
    'LoadBinaryAnnotations', 'LoadCheckedImageFromFile', 'ReflectPad', 'BiTemporalCDDataset',
    'LoadBiTemporalImages', 'PairwisePhotoMetricDistortion', 'RandomRotate90', 'RandomTimeExchange'
]

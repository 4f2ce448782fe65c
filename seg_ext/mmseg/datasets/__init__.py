from .bitemporal_cd import BiTemporalCDDataset
from .tgs_salt import TGSSaltDataset
from .transforms import (
    AddDepthChannel,
    LoadBinaryAnnotations,
    LoadBiTemporalImages,
    LoadCheckedImageFromFile,
    PairwisePhotoMetricDistortion,
    RandomRotate90,
    RandomTimeExchange,
    ReflectPad,
)

__all__ = [
    'TGSSaltDataset', 'BiTemporalCDDataset', 'AddDepthChannel', 'LoadBinaryAnnotations',
    'LoadCheckedImageFromFile', 'ReflectPad', 'LoadBiTemporalImages',
    'PairwisePhotoMetricDistortion', 'RandomRotate90', 'RandomTimeExchange'
]

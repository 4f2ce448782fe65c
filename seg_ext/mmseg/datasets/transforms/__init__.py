from .bitemporal import (
    LoadBiTemporalImages,
    PairwisePhotoMetricDistortion,
    RandomRotate90,
    RandomTimeExchange,
)
from .depth_channel import AddDepthChannel
from .loading import LoadBinaryAnnotations, LoadCheckedImageFromFile
from .reflect_pad import ReflectPad, centered_padding

__all__ = [
    'AddDepthChannel', 'LoadBinaryAnnotations', 'LoadCheckedImageFromFile', 'ReflectPad',
    'centered_padding', 'LoadBiTemporalImages', 'PairwisePhotoMetricDistortion', 'RandomRotate90',
    'RandomTimeExchange'
]

from .backbones import VGG, VGGFeatures
from .data_preprocessors import MultiImageSegDataPreProcessor
from .decode_heads import FCNSkipHead, SegNetHead, UNetHead
from .segmentors import CRFRefiner, SegNet, SegProbTTAModel, SiameseEncoderDecoder

__all__ = [
    'UNetHead', 'SegNetHead', 'FCNSkipHead', 'VGG', 'VGGFeatures', 'SegNet',
    'SiameseEncoderDecoder', 'MultiImageSegDataPreProcessor', 'CRFRefiner', 'SegProbTTAModel'
]

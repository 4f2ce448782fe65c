from .backbones import VGG, VGGFeatures
from .decode_heads import FCNSkipHead, SegNetHead, UNetHead
from .segmentors import SegNet

__all__ = ['UNetHead', 'SegNetHead', 'FCNSkipHead', 'VGG', 'VGGFeatures', 'SegNet']

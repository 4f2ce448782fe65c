from .vgg import VGG, VGGFeatures, convert_torchvision_vgg

__all__ = ['VGG', 'VGGFeatures', 'convert_torchvision_vgg']

from .fcn8s_head import FCNSkipHead, bilinear_kernel
from .segnet_head import SegNetHead
from .unet_head import UNetHead

__all__ = ['UNetHead', 'SegNetHead', 'FCNSkipHead', 'bilinear_kernel']

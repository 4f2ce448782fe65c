from .checkpoint_compat import allow_mmengine_checkpoints, mmengine_safe_globals
from .errors import DataError, MissingDataError
from .image_io import read_image

__all__ = ['DataError', 'MissingDataError', 'read_image', 'allow_mmengine_checkpoints',
           'mmengine_safe_globals']

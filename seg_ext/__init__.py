"""seg_ext: segmentation plugin for mmsegmentation (and Detectron2, in ``seg_ext.d2``).

``import seg_ext`` registers every dataset, transform, model, metric, hook and optimizer wrapper
into mmseg's registries (``default_scope='mmseg'``); configs load it with
``custom_imports = dict(imports=['seg_ext'], allow_failed_imports=False)``.
"""
from .utils.checkpoint_compat import allow_mmengine_checkpoints
from .version import __version__

allow_mmengine_checkpoints()

from . import datasets, engine, evaluation, models, postprocessing  # noqa: E402,F401

# (importing them registers their modules)

__all__ = ['__version__', 'datasets', 'engine', 'evaluation', 'models', 'postprocessing']

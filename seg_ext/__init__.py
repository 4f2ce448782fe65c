"""seg_ext: image segmentation for mmsegmentation and Detectron2 users, in three layers.

* :mod:`seg_ext.core` -- framework-free: data formats (Kaggle RLE, splits, COCO / COCO panoptic),
  image reading with errors that name the file, metric math, the dense-CRF math and synthetic
  data generators. Imports neither OpenMMLab nor Detectron2.
* :mod:`seg_ext.mmseg` -- the mmsegmentation plugin (datasets, transforms, models, metrics, runner
  components); configs load it with ``custom_imports = dict(imports=['seg_ext.mmseg'])``.
* :mod:`seg_ext.d2` -- the Detectron2 plugin (datasets, ``add_seg_ext_config``, trainer,
  evaluators, checkpointer); works without any OpenMMLab package installed.

Importing this package (or the core) registers nothing and changes no other library.
"""
from .version import __version__

__all__ = ['__version__']

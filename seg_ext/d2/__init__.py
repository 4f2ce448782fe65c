"""The Detectron2 plugin of seg_ext: config keys, datasets, evaluators, trainer, checkpointer.

``import seg_ext.d2`` first applies the compatibility shims detectron2 0.6 needs on the installed
stack (:mod:`seg_ext.d2.compat`, each only where needed), so it must come before other detectron2
imports in scripts -- including Detectron2's own ``demo/demo.py`` and ``DefaultPredictor`` users.
Needs no OpenMMLab package.
"""
from . import compat

compat.apply()

from .config import add_seg_ext_config, get_cfg  # noqa: E402
from .datasets import (  # noqa: E402
    load_mask_folder,
    register_coco_instances,
    register_coco_panoptic,
    register_from_cfg,
    register_mask_folder,
    register_tgs_salt,
)
from .evaluation import build_evaluator  # noqa: E402

__all__ = [
    'compat', 'add_seg_ext_config', 'get_cfg', 'build_evaluator', 'load_mask_folder',
    'register_mask_folder', 'register_coco_instances', 'register_coco_panoptic',
    'register_tgs_salt', 'register_from_cfg'
]

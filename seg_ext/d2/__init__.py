"""Detectron2 side of seg_ext: compat fixes, model-zoo configs, datasets, evaluators, trainer.

``import seg_ext.d2`` applies :mod:`seg_ext.d2.compat` before anything imports detectron2's
layers, so it must come before other detectron2 imports in scripts.
"""
from . import compat

compat.apply()

from .config import get_cfg  # noqa: E402
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
    'compat', 'get_cfg', 'build_evaluator', 'load_mask_folder', 'register_mask_folder',
    'register_coco_instances', 'register_coco_panoptic', 'register_tgs_salt', 'register_from_cfg'
]

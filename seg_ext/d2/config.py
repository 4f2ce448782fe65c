"""seg_ext's Detectron2 config keys, added Detectron2's way: ``add_seg_ext_config(cfg)``.

Works on the stock ``detectron2.config.get_cfg()`` -- the configs of ``configs/d2/`` inherit the
model-zoo files copied under ``configs/d2/_base_/`` with plain relative ``_BASE_`` paths, so
Detectron2's own tools and demo load them after::

    from detectron2.config import get_cfg
    from seg_ext.d2 import add_seg_ext_config
    cfg = get_cfg()
    add_seg_ext_config(cfg)
    cfg.merge_from_file('configs/d2/mask_rcnn_R_18_FPN_shapes_demo.yaml')
"""
from detectron2.config import CfgNode
from detectron2.config import get_cfg as _d2_get_cfg


def add_seg_ext_config(cfg: CfgNode) -> CfgNode:
    """Add the ``SEG_EXT`` keys to ``cfg`` (in place; returns it):

    * ``SEG_EXT.DATASETS``: ``name -> {TYPE: mask_folder|coco|coco_panoptic|tgs_salt, ...}``,
      registered by :func:`seg_ext.d2.datasets.register_from_cfg` (the trainer does it);
    * ``SEG_EXT.LOG_PERIOD``: write metrics (console, ``metrics.json``) every N iterations, losses
      median-smoothed over N (Detectron2's fixed value: 20);
    * ``SEG_EXT.VAL_LOSS.PERIOD`` (0: off): every N iterations the loss on ``DATASETS.TEST[0]``
      is written as ``validation_loss``; ``PATIENCE`` > 0 keeps ``model_best.pth`` and stops
      after that many validations without an improvement larger than ``MIN_DELTA``
      (:class:`seg_ext.d2.val_loss.ValLossHook`).
    """
    cfg.SEG_EXT = CfgNode()
    cfg.SEG_EXT.DATASETS = CfgNode(new_allowed=True)
    cfg.SEG_EXT.LOG_PERIOD = 20
    cfg.SEG_EXT.VAL_LOSS = CfgNode()
    cfg.SEG_EXT.VAL_LOSS.PERIOD = 0
    cfg.SEG_EXT.VAL_LOSS.PATIENCE = 0
    cfg.SEG_EXT.VAL_LOSS.MIN_DELTA = 0.0
    return cfg


def get_cfg() -> CfgNode:
    """Detectron2's defaults with the ``SEG_EXT`` keys (``get_cfg()`` + ``add_seg_ext_config``)."""
    return add_seg_ext_config(_d2_get_cfg())

"""Detectron2 configs that inherit the installed model zoo: ``_BASE_: model_zoo://<path>``.

``_BASE_: "model_zoo://COCO-InstanceSegmentation/mask_rcnn_R_50_FPN_3x.yaml"`` resolves to
``detectron2/model_zoo/configs/...`` of whichever detectron2 is installed (no copies in this
repository). Everything else is Detectron2's own ``CfgNode`` behaviour, plus a ``SEG_EXT`` node:
``SEG_EXT.DATASETS`` registers datasets by config (see :mod:`seg_ext.d2.datasets`).
"""
from detectron2 import model_zoo
from detectron2.config import CfgNode as _CfgNode
from detectron2.config import get_cfg as _d2_get_cfg

MODEL_ZOO_PREFIX = 'model_zoo://'


def resolve_base(path: str) -> str:
    """Map ``.../model_zoo://X.yaml`` (fvcore joins relative bases to the including file's
    folder) to the installed model-zoo file; other paths are returned unchanged."""
    if MODEL_ZOO_PREFIX not in path:
        return path
    name = path.split(MODEL_ZOO_PREFIX, 1)[1]
    try:
        return model_zoo.get_config_file(name)
    except RuntimeError as e:
        raise FileNotFoundError(f'_BASE_ {MODEL_ZOO_PREFIX}{name}: not in the installed '
                                f'detectron2 model zoo ({e})') from None


class CfgNode(_CfgNode):
    """Detectron2's ``CfgNode`` whose ``_BASE_`` may name a model-zoo config."""

    @classmethod
    def load_yaml_with_base(cls, filename: str, allow_unsafe: bool = False):
        return super().load_yaml_with_base(resolve_base(filename), allow_unsafe=allow_unsafe)


def get_cfg() -> CfgNode:
    """Detectron2's defaults + ``SEG_EXT`` keys, as a model-zoo-aware :class:`CfgNode`."""
    cfg = CfgNode(_d2_get_cfg())
    cfg.SEG_EXT = CfgNode()
    # name -> dict(TYPE=mask_folder|coco|coco_panoptic|tgs_salt, ...): registered on setup
    cfg.SEG_EXT.DATASETS = CfgNode(new_allowed=True)
    # write metrics (console, metrics.json) every N iterations, losses median-smoothed over N
    cfg.SEG_EXT.LOG_PERIOD = 20
    return cfg

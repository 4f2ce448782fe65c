"""Pick Detectron2's evaluators from a dataset's ``evaluator_type`` metadata."""
import os.path as osp
from typing import Optional

from detectron2.data import MetadataCatalog
from detectron2.evaluation import (
    COCOEvaluator,
    COCOPanopticEvaluator,
    DatasetEvaluator,
    DatasetEvaluators,
    SemSegEvaluator,
)

from .compat import has_cpp_ops


def build_evaluator(cfg, dataset_name: str, output_folder: Optional[str] = None
                    ) -> DatasetEvaluator:
    """``coco``: COCO bbox/segm AP; ``sem_seg``: mIoU, fwIoU, mACC, pACC; ``coco_panoptic_seg``:
    PQ/SQ/RQ (things/stuff) + COCO AP + semantic scores of the stuff head.

    COCO AP uses pycocotools' COCOeval when detectron2's C++ fast COCOeval is not built
    (same numbers, slower).
    """
    output_folder = output_folder or osp.join(cfg.OUTPUT_DIR, 'inference', dataset_name)
    kind = MetadataCatalog.get(dataset_name).get('evaluator_type')
    evaluators = []
    if kind in ('sem_seg', 'coco_panoptic_seg'):
        evaluators.append(SemSegEvaluator(dataset_name, distributed=True,
                                          output_dir=output_folder))
    if kind in ('coco', 'coco_panoptic_seg'):
        evaluators.append(COCOEvaluator(dataset_name, output_dir=output_folder,
                                        use_fast_impl=has_cpp_ops(),
                                        max_dets_per_image=cfg.TEST.DETECTIONS_PER_IMAGE))
    if kind == 'coco_panoptic_seg':
        evaluators.append(COCOPanopticEvaluator(dataset_name, output_folder))
    if not evaluators:
        raise NotImplementedError(f'no evaluator for dataset {dataset_name!r} with '
                                  f'evaluator_type {kind!r} (register it with seg_ext.d2.datasets)')
    return evaluators[0] if len(evaluators) == 1 else DatasetEvaluators(evaluators)

"""Predict images with a trained Detectron2 model (Mask R-CNN, Panoptic FPN, semantic FPN).

    python tools/d2_predict.py --config-file configs/d2/mask_rcnn_R_18_FPN_shapes_demo.yaml \
        --input data/shapes_demo/val/PNGImages --output work_dirs/d2_predict \
        MODEL.WEIGHTS work_dirs/d2/mask_rcnn_R_18_FPN_shapes_demo/model_final.pth

Writes ``vis/`` overlays, ``instances/`` instance-id PNGs, ``coco_instances_results.json`` and,
for Panoptic FPN, ``panoptic/`` PNGs + ``panoptic_predictions.json`` (see
``seg_ext/d2/predict.py`` for the options: --device, --batch-size, --confidence-threshold,
--dataset).
"""
import os.path as osp
import sys

sys.path.insert(0, osp.join(osp.dirname(osp.abspath(__file__)), '..'))

import seg_ext.d2  # noqa: E402,F401  (compat fixes before detectron2's layers are imported)
from seg_ext.core.cli import option_value, run_tool  # noqa: E402
from seg_ext.d2.predict import run  # noqa: E402

if __name__ == '__main__':
    run_tool(run, option_value(sys.argv[1:], '--config-file'))

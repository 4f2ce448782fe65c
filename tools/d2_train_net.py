"""Train / evaluate Detectron2 models (Mask R-CNN, Panoptic FPN, ...) on your own data.

    python tools/d2_train_net.py --config-file configs/d2/mask_rcnn_R_18_FPN_shapes_demo.yaml
    python tools/d2_train_net.py --config-file CFG --eval-only MODEL.WEIGHTS OUT/model_final.pth
    python tools/d2_train_net.py --config-file CFG --resume
    python tools/d2_train_net.py --config-file CFG --num-gpus 8 [--num-machines 2 --machine-rank 0 \
        --dist-url tcp://HOST:PORT] [KEY VALUE ...]

Configs inherit Detectron2's model zoo (``_BASE_: model_zoo://...``); datasets are registered from
the config's ``SEG_EXT.DATASETS``; evaluators follow the dataset type (COCO AP, PQ, mIoU). Without
a GPU it runs on CPU (``--num-gpus N`` then starts N gloo processes). All logic is in
``seg_ext.d2.trainer``.
"""
import os.path as osp
import sys

sys.path.insert(0, osp.join(osp.dirname(osp.abspath(__file__)), '..'))

import seg_ext.d2  # noqa: E402,F401  (compat fixes before detectron2's layers are imported)
from seg_ext.core.cli import option_value, run_tool  # noqa: E402
from seg_ext.d2.trainer import run  # noqa: E402

if __name__ == '__main__':
    run_tool(run, option_value(sys.argv[1:], '--config-file'))

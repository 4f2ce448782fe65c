"""Export a trained Detectron2 R-CNN (Mask R-CNN) to TorchScript with Detectron2's
``TracingAdapter`` (its ``tools/deploy/export_model.py --export-method tracing``).

    python tools/deployment/d2_export_torchscript.py \
        --config-file configs/d2/mask_rcnn_R_18_FPN_shapes_demo.yaml \
        --sample-image data/shapes_demo/val/PNGImages/000000.png \
        --output work_dirs/d2/mask_rcnn_R_18_FPN_shapes_demo/model.ts \
        MODEL.WEIGHTS work_dirs/d2/mask_rcnn_R_18_FPN_shapes_demo/model_final.pth

Writes ``model.ts`` and ``model.json`` (output fields, preprocessing); run it with
``seg_ext.d2.torchscript.TorchScriptDetector`` (DefaultPredictor's pre/post-processing).
"""
import argparse
import os
import os.path as osp
import sys

sys.path.insert(0, osp.join(osp.dirname(osp.abspath(__file__)), '..', '..'))

import seg_ext.d2  # noqa: E402,F401  (compat fixes before detectron2's layers are imported)
from seg_ext.core.cli import run_tool  # noqa: E402


def main(argv=None):
    p = argparse.ArgumentParser(description='TorchScript export of a Detectron2 R-CNN')
    p.add_argument('--config-file', required=True)
    p.add_argument('--sample-image', required=True, help='an image to trace with')
    p.add_argument('--output', required=True, help='the .ts file to write')
    p.add_argument('opts', nargs=argparse.REMAINDER, default=[])
    args = p.parse_args(argv)
    from seg_ext.d2.predictor import BatchPredictor, read_bgr
    from seg_ext.d2.torchscript import export_torchscript
    from seg_ext.d2.trainer import load_config
    cfg = load_config(args.config_file, args.opts + ['MODEL.DEVICE', 'cpu'])
    cfg.freeze()
    model = BatchPredictor(cfg).model
    os.makedirs(osp.dirname(osp.abspath(args.output)), exist_ok=True)
    out = export_torchscript(cfg, model, read_bgr(args.sample_image), args.output,
                             args.config_file)
    print(f"exported {out['file']} (outputs {out['fields']}); sidecar {out['sidecar']}")
    return out


if __name__ == '__main__':
    argv = sys.argv[1:]
    config = next((argv[i + 1] for i, a in enumerate(argv[:-1]) if a == '--config-file'), None)
    run_tool(main, config)

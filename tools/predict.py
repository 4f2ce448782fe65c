"""Predict new images with one or several checkpoints (averaged): label PNGs, probabilities,
overlays and the Kaggle submission. See the README's "Predict" section."""
import argparse
import os
import os.path as osp
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..'))
from mmengine.config import DictAction  # noqa: E402

from seg_ext.core.cli import run_tool  # noqa: E402
from seg_ext.core.errors import ConfigError  # noqa: E402
from seg_ext.core.image_inputs import collect_images, collect_pairs  # noqa: E402
from seg_ext.core.submission import (  # noqa: E402
    read_submission_ids,
    submission_rows,
    write_submission,
)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Predict images with a segmentor (or the '
                                     'average of several) and write labels, probabilities, '
                                     'overlays and a Kaggle submission')
    parser.add_argument('config', help='config file')
    parser.add_argument('checkpoints', nargs='+', help='checkpoint(s); several are averaged in '
                        'probability space (a k-fold ensemble); an .onnx exported by '
                        'tools/deployment/pytorch2onnx.py runs in onnxruntime instead')
    parser.add_argument('--model', nargs=2, action='append', default=[],
                        metavar=('CONFIG', 'CKPT'), help='another ensemble member with its own '
                        'config (same number of classes); repeatable')
    parser.add_argument('--input', required=True, help='an image, a folder of images, or a '
                        '.txt split file of ids (with --img-dir)')
    parser.add_argument('--input-b', help='change detection: the folder of the B images, '
                        'matched to the A images of --input by file name')
    parser.add_argument('--img-dir', help='folder of the images of a split file')
    parser.add_argument('--img-suffix', default='.png', help='image suffix for split-file ids')
    parser.add_argument('--out-dir', required=True, help='where labels/, probs/, overlay/ go')
    parser.add_argument('--probs', action='store_true', help='also write float32 class '
                        'probabilities as probs/<id>.npy, shape (num_classes, H, W)')
    parser.add_argument('--overlay', action='store_true', help='also write image | prediction '
                        'panels as overlay/<id>.png')
    parser.add_argument('--tta', action='store_true', help='flip test-time augmentation '
                        '(the config\'s tta_model flips; probabilities averaged)')
    parser.add_argument('--threshold', type=float, help='foreground threshold of a binary '
                        'model (default: the decode head\'s, arg-max for softmax models)')
    parser.add_argument('--min-area', type=int, default=0, help='remove predicted connected '
                        'components smaller than this many pixels')
    parser.add_argument('--crf', nargs='?', const='config', choices=['config', 'dense', 'grid'],
                        help='refine with a CRF: the config\'s `crf` settings (default), or a '
                        'dense/grid CRF (the config\'s settings when of that type)')
    parser.add_argument('--kaggle-submission', metavar='FILE', help='write id,rle_mask rows '
                        '(binary models), in the order of --sample-submission')
    parser.add_argument('--sample-submission', help='ids and order of the submission (default: '
                        'sample_submission.csv up to two folders above --input, else in the '
                        'config\'s test data_root, if present)')
    parser.add_argument('--tile', nargs=2, type=int, metavar=('H', 'W'), help='predict '
                        'window by window (sliding, blended overlaps): memory bounded by the tile')
    parser.add_argument('--overlap', type=int, default=0, help='pixels shared by neighbouring '
                        'tiles (with --tile)')
    parser.add_argument('--batch-size', type=int, default=8, help='images (or tiles) per '
                        'forward pass')
    parser.add_argument('--device', default='cpu', help='cpu, cuda, cuda:1, ...')
    parser.add_argument('--no-progress', action='store_true', help='no progress bar')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override config settings (all models), key=value')
    return parser.parse_args()


def crf_postprocessor(cfg, choice, config_path):
    if choice is None:
        return None
    from seg_ext.mmseg.apis.runner_setup import crf_settings
    from seg_ext.mmseg.registry import build_postprocessor
    preset = _config_preset(cfg, config_path) if choice == 'config' else choice
    return build_postprocessor(crf_settings(cfg, preset, config_path))


def _config_preset(cfg, config_path):
    crf_type = (cfg.get('crf') or {}).get('type')
    presets = {'DenseCRF': 'dense', 'GridCRF': 'grid'}
    if crf_type not in presets:
        raise ConfigError(config_path, '--crf needs a `crf` dict in the config '
                          "(e.g. crf=dict(type='DenseCRF', ...)), or use --crf dense|grid")
    return presets[crf_type]


def submission_order(args, cfg):
    """Ids/order of the submission: --sample-submission, else sample_submission.csv next to
    the input or up to two folders above it (Kaggle's test/images), else in the config's test
    data_root."""
    path = args.sample_submission
    if path is None:
        root = cfg.get('test_dataloader', {}).get('dataset', {}).get('data_root')
        folder = args.input if osp.isdir(args.input) else osp.dirname(args.input)
        candidates = [folder, osp.join(folder, '..'), osp.join(folder, '..', '..')] + \
            ([root] if root else [])
        found = [osp.normpath(osp.join(c, 'sample_submission.csv')) for c in candidates
                 if osp.isfile(osp.join(c, 'sample_submission.csv'))]
        path = found[0] if found else None
    return (read_submission_ids(path), path) if path else (None, None)


def onnx_predictor(config, onnx_file, args):
    """An exported graph in onnxruntime (CPU) with ``config`` for the CRF and submission
    settings; flip TTA needs the PyTorch model (the graph bakes one pass in)."""
    from seg_ext.mmseg.apis.onnx_predictor import OnnxPredictor
    from seg_ext.mmseg.apis.runner_setup import load_config
    if args.tta:
        raise ConfigError(onnx_file, '--tta is not available for an .onnx model (the exported '
                          'graph is one forward pass): predict with the checkpoint')
    predictor = OnnxPredictor(onnx_file, batch_size=args.batch_size)
    predictor.cfg = load_config(config, args.cfg_options)
    return predictor


def main() -> None:
    args = parse_args()
    from seg_ext.mmseg.apis.mmseg_predictor import MMSegPredictor
    from seg_ext.mmseg.apis.predict_images import PostProcess, predict_images
    from seg_ext.mmseg.apis.predictors import EnsemblePredictor

    members = [(args.config, c) for c in args.checkpoints] + [tuple(m) for m in args.model]
    if args.input_b:
        from seg_ext.mmseg.apis.pair_inferencer import PairInferencer
        if args.tta:
            raise ConfigError(args.config, '--tta is for single images; pairs are predicted '
                              'by PairInferencer without TTA')
        onnx = [ckpt for _, ckpt in members if ckpt.endswith('.onnx')]
        if onnx:
            raise ConfigError(onnx[0], 'pairs (--input-b) are predicted with the checkpoint; '
                              'check an exported change model with --verify of '
                              'tools/deployment/pytorch2onnx.py')
        items = collect_pairs(args.input, args.input_b)
        predictors = [PairInferencer(cfg, ckpt, device=args.device,
                                     cfg_options=args.cfg_options) for cfg, ckpt in members]
    else:
        items = collect_images(args.input, args.img_dir, args.img_suffix)
        predictors = [onnx_predictor(cfg, ckpt, args) if ckpt.endswith('.onnx') else
                      MMSegPredictor(cfg, ckpt, device=args.device, tta=args.tta,
                                     cfg_options=args.cfg_options) for cfg, ckpt in members]
    predictor = predictors[0] if len(predictors) == 1 else EnsemblePredictor(predictors)
    predictor.palette = getattr(predictors[0], 'palette', None)
    cfg = predictors[0].cfg
    threshold = args.threshold if args.threshold is not None else predictor.threshold
    if args.threshold is not None and predictor.num_classes != 2:
        raise ConfigError(args.config, f'--threshold needs a binary model; this one predicts '
                          f'{predictor.num_classes} classes')
    if args.kaggle_submission and predictor.num_classes != 2:
        raise ConfigError(args.config, '--kaggle-submission needs a binary model; this one '
                          f'predicts {predictor.num_classes} classes')
    order, order_path = submission_order(args, cfg) if args.kaggle_submission else (None, None)
    post = PostProcess(crf=crf_postprocessor(cfg, args.crf, args.config), threshold=threshold,
                       min_area=args.min_area)
    rles = predict_images(predictor, items, args.out_dir, post, batch_size=args.batch_size,
                          probs=args.probs, overlay=args.overlay,
                          progress=not args.no_progress, tile=args.tile, overlap=args.overlap)
    print(f'{len(items)} image(s) predicted by {len(predictors)} model(s)'
          + (' with flip TTA' if args.tta else '') + f': labels in {args.out_dir}/labels'
          + (f', probabilities in {args.out_dir}/probs' if args.probs else '')
          + (f', overlays in {args.out_dir}/overlay' if args.overlay else ''), flush=True)
    if args.kaggle_submission:
        if order is not None:
            extra = [sid for sid in rles if sid not in set(order)]
            if extra:
                print(f'note: {len(extra)} predicted image(s) are not in {order_path} and are '
                      'left out of the submission', flush=True)
        rows = submission_rows(rles, order, order_path or args.input)
        out = osp.dirname(args.kaggle_submission)
        if out:
            os.makedirs(out, exist_ok=True)
        write_submission(args.kaggle_submission, rows)
        print(f'submission ({len(rows)} rows'
              + (f', in the order of {order_path}' if order_path else '')
              + f'): {args.kaggle_submission}', flush=True)


if __name__ == '__main__':
    run_tool(main, sys.argv[1] if len(sys.argv) > 1 else None)

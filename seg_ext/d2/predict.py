"""The logic of ``tools/d2_predict.py``: a Detectron2 config + weights + images → overlays,
instance-id PNGs, COCO results json, COCO panoptic PNGs + json (see
:mod:`seg_ext.d2.prediction_writer`).

    python tools/d2_predict.py --config-file CFG --input IMG_OR_FOLDER [...] --output OUT \
        [--device cpu|cuda] [--batch-size N] [--confidence-threshold T] [--dataset NAME] \
        MODEL.WEIGHTS model_final.pth [KEY VALUE ...]

``--dataset NAME`` (a ``SEG_EXT.DATASETS`` entry or a registered dataset) takes class names and
ids from that dataset and numbers the images with its ``image_id``\\ s, so that the json files
can be scored against its annotations (pycocotools' ``COCOeval``, ``pq_compute``); without
``--input`` its images are predicted. Otherwise class names come from the first
``DATASETS.TEST`` entry where it can be registered, and images are numbered from 0.
"""
import argparse
import logging
import os.path as osp
import re
import sys
from typing import Dict, List, Optional

import torch
from detectron2.data import DatasetCatalog, MetadataCatalog
from tqdm import tqdm

from ..core.errors import ConfigError, DataError
from .datasets import register_from_cfg
from .prediction_writer import PredictionWriter
from .predictor import BatchPredictor, batches, list_inputs
from .trainer import load_config

logger = logging.getLogger(__name__)
#: a Detectron2 config key (``MODEL.WEIGHTS``): where ``--input``'s paths end and opts begin
CONFIG_KEY = re.compile(r'^[A-Z][A-Z0-9_]*(\.[A-Z0-9_]+)+$')


def argument_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description='Predict images with a Detectron2 model (Mask R-CNN, '
                                'Panoptic FPN, semantic FPN) and write overlays, instance masks, '
                                'COCO results / COCO panoptic files.')
    p.add_argument('--config-file', required=True, metavar='FILE')
    p.add_argument('--input', nargs='+', metavar='PATH',
                   help='image files and/or folders of images')
    p.add_argument('--output', required=True, metavar='DIR', help='output folder')
    p.add_argument('--device', default=None,
                   help="'cpu', 'cuda' or 'cuda:N' (default: cuda when available)")
    p.add_argument('--batch-size', type=int, default=1)
    p.add_argument('--confidence-threshold', type=float, default=None,
                   help='minimum detection score (default: the config\'s SCORE_THRESH_TEST); '
                   "also Panoptic FPN's instance threshold")
    p.add_argument('--dataset', default=None, metavar='NAME',
                   help='take class names/ids and image ids from this dataset')
    p.add_argument('--no-vis', action='store_true', help='do not write vis/ overlays')
    p.add_argument('opts', nargs=argparse.REMAINDER, default=[],
                   help='KEY VALUE config overrides, e.g. MODEL.WEIGHTS model_final.pth (may '
                   'follow --input: its paths end at the first KEY)')
    return p


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    """Parse; ``--input a b MODEL.WEIGHTS w`` gives inputs ``a b`` and opts
    ``MODEL.WEIGHTS w``."""
    args = argument_parser().parse_args(argv)
    for i, path in enumerate(args.input or []):
        if CONFIG_KEY.match(path):
            args.opts = args.input[i:] + list(args.opts)
            args.input = args.input[:i]
            break
    return args


def setup_cfg(args: argparse.Namespace):
    """The config with the command line applied (device, threshold, overrides), frozen."""
    cfg = load_config(args.config_file, args.opts)
    device = args.device or ('cuda' if torch.cuda.is_available() else 'cpu')
    if device.startswith('cuda') and not torch.cuda.is_available():
        raise ConfigError(args.config_file, f'--device {device}: no CUDA device is available')
    cfg.MODEL.DEVICE = device
    if args.confidence_threshold is not None:
        t = args.confidence_threshold
        if not 0 <= t <= 1:
            raise ConfigError(args.config_file, f'--confidence-threshold {t} is not in [0, 1]')
        cfg.MODEL.ROI_HEADS.SCORE_THRESH_TEST = t
        cfg.MODEL.RETINANET.SCORE_THRESH_TEST = t
        cfg.MODEL.PANOPTIC_FPN.COMBINE.INSTANCES_CONFIDENCE_THRESH = t
    cfg.freeze()
    return cfg


def dataset_info(cfg, name: Optional[str], config_file: str):
    """``(metadata, {realpath: image_id} or None, image paths or None)`` of ``--dataset`` (or
    the metadata only of the first test dataset that can be registered)."""
    if name is not None:
        if name not in DatasetCatalog.list():
            try:
                register_from_cfg(cfg, [name])
            except KeyError as e:
                raise ConfigError(config_file, f'--dataset {name}: {e.args[0]}') from None
        records = DatasetCatalog.get(name)
        ids = {osp.realpath(r['file_name']): r['image_id'] for r in records}
        return MetadataCatalog.get(name), ids, [r['file_name'] for r in records]
    for test in cfg.DATASETS.TEST:
        try:
            if test not in DatasetCatalog.list():
                register_from_cfg(cfg, [test])
            return MetadataCatalog.get(test), None, None
        except (KeyError, DataError) as e:
            logger.warning(f'class names of {test!r} unavailable ({e}); numbered classes')
    return None, None, None


def predict(args: argparse.Namespace) -> Dict[str, str]:
    """Run the prediction; returns the json files written."""
    cfg = setup_cfg(args)
    metadata, image_ids, dataset_images = dataset_info(cfg, args.dataset, args.config_file)
    if args.input:
        paths = list_inputs(args.input)
    elif dataset_images is not None:
        paths = dataset_images
    else:
        raise ConfigError(args.config_file, 'nothing to predict: give --input (or --dataset)')
    if args.batch_size < 1:
        raise ConfigError(args.config_file, f'--batch-size must be >= 1, got {args.batch_size}')
    predictor = BatchPredictor(cfg)
    writer = PredictionWriter(args.output, metadata, image_ids, overlays=not args.no_vis)
    with tqdm(total=len(paths), desc='predict', unit='img', file=sys.stderr) as bar:
        for chunk, images in batches(paths, args.batch_size):
            for path, img, pred in zip(chunk, images, predictor(images)):
                writer.write(path, img, pred)
            bar.update(len(chunk))
    written = writer.close()
    print(f'{len(paths)} images predicted on {cfg.MODEL.DEVICE}; outputs in {args.output}: '
          + ', '.join(osp.basename(p) for p in written.values()), flush=True)
    return written


def run(argv: Optional[List[str]] = None) -> Dict[str, str]:
    """Entry point of ``tools/d2_predict.py``."""
    return predict(parse_args(argv))

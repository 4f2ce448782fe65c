"""Draw a dataset's samples with their ground truth, as the pipeline delivers them to the model.

mmseg's ``tools/analysis_tools/browse_dataset.py`` with the same flags, for every channel count
seg_ext's configs produce: mmseg's tool indexes ``img[..., [2, 1, 0]]``, which fails on 1-channel
salt images and keeps only date A of a 6-channel change pair. Here a 1- or
2-channel image (seismic, seismic + depth) is drawn from its first channel in gray, a 3-channel
one as BGR, a 6-channel change pair as an ``A | B`` panel with the change mask drawn on B.

    python tools/analysis_tools/browse_dataset.py CONFIG [--split train] [--output-dir DIR]
        [--not-show] [--show-interval 2] [--max-samples N] [--cfg-options k=v ...]
"""
import argparse
import os
import os.path as osp
import sys

import numpy as np
from mmengine.config import DictAction

sys.path.insert(0, osp.join(osp.dirname(osp.abspath(__file__)), '..', '..'))
import seg_ext.mmseg  # noqa: E402,F401
from seg_ext.core.cli import run_tool  # noqa: E402
from seg_ext.core.errors import ConfigError  # noqa: E402
from seg_ext.mmseg.apis.runner_setup import config_errors, load_config  # noqa: E402


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Browse a dataset')
    parser.add_argument('config', help='config file path')
    parser.add_argument('--split', default='train', choices=['train', 'val', 'test'],
                        help='which dataloader\'s dataset (default: train, as mmseg)')
    parser.add_argument('--output-dir', default=None, help='save the drawings here')
    parser.add_argument('--not-show', action='store_true', help='do not open a window')
    parser.add_argument('--show-interval', type=float, default=2, help='seconds per image')
    parser.add_argument('--max-samples', type=int, default=None, help='the first N samples only')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override config settings, key=value')
    return parser.parse_args(argv)


def display_images(img: np.ndarray, config: str):
    """``(before, image)`` as RGB uint8 for drawing: ``before`` is date A of a change pair (None
    otherwise), ``image`` the one the mask is drawn on."""
    img = np.clip(img, 0, 255).astype(np.uint8)
    channels = img.shape[2]
    rgb = np.ascontiguousarray  # OpenCV draws only on contiguous arrays
    if channels in (1, 2):
        return None, np.repeat(img[..., :1], 3, axis=2)
    if channels == 3:
        return None, rgb(img[..., ::-1])
    if channels == 6:
        return rgb(img[..., 2::-1]), rgb(img[..., 5:2:-1])
    raise ConfigError(config, f'the pipeline gives {channels}-channel images; this tool draws '
                      '1, 2 (first channel), 3 (BGR) or 6 (a BGR change pair) channels')


def main(argv=None) -> int:
    args = parse_args(argv)
    cfg = load_config(args.config, args.cfg_options)
    from mmengine.registry import init_default_scope
    from mmengine.utils import ProgressBar
    from mmseg.registry import DATASETS, VISUALIZERS
    init_default_scope(cfg.get('default_scope', 'mmseg'))
    with config_errors(args.config):
        dataset = DATASETS.build(cfg[f'{args.split}_dataloader'].dataset)
        visualizer = VISUALIZERS.build(cfg.visualizer)
    visualizer.dataset_meta = dataset.metainfo
    count = len(dataset) if args.max_samples is None else min(args.max_samples, len(dataset))
    if args.output_dir:
        os.makedirs(args.output_dir, exist_ok=True)
    progress = ProgressBar(count)
    for i in range(count):
        item = dataset[i]
        before, image = display_images(item['inputs'].permute(1, 2, 0).numpy(), args.config)
        sample = item['data_samples'].numpy()
        name = osp.basename(sample.img_path if isinstance(sample.img_path, str)
                            else sample.img_path[-1])
        out_file = osp.join(args.output_dir, osp.splitext(name)[0] + '.png') \
            if args.output_dir else None
        if before is None:
            visualizer.add_datasample(name, image, sample, draw_gt=True, draw_pred=False,
                                      wait_time=args.show_interval, out_file=out_file,
                                      show=not args.not_show)
        else:  # A | B with the change drawn on B
            visualizer.add_datasample(name, image, sample, draw_gt=True, draw_pred=False,
                                      show=False)
            panel = np.concatenate([before, visualizer.get_image()], axis=1)
            if not args.not_show:
                visualizer.show(panel, win_name=name, wait_time=args.show_interval)
            if out_file:
                import mmcv
                mmcv.imwrite(panel[..., ::-1], out_file)
        progress.update()
    print(f'\n{count} sample(s) drawn' + (f' into {args.output_dir}' if args.output_dir else ''))
    return 0


if __name__ == '__main__':
    run_tool(main, sys.argv[1] if len(sys.argv) > 1 else None)

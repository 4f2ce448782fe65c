"""Check a config's datasets before training: every sample read once, every problem listed with
the file it is in (missing/corrupt images, mask size or value problems, broken split files, COCO
json errors, ...). Exit status 1 when anything is wrong.

    python tools/check_dataset.py configs/unet_salt.py [--splits train val] [--cfg-options k=v]
    python tools/check_dataset.py configs/d2/mask_rcnn_R_50_FPN_pennfudan.yaml [KEY VALUE ...]
"""
import argparse
import os
import os.path as osp
import sys

from mmengine.config import DictAction

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..'))


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Check the datasets of a config')
    parser.add_argument('config', help='mmseg config (.py) or Detectron2 config (.yaml)')
    parser.add_argument('--splits', nargs='+', default=['train', 'val', 'test'],
                        help='mmseg: which dataloaders to check')
    parser.add_argument('--max-errors', type=int, default=20,
                        help='stop a dataset after this many problems')
    parser.add_argument('--no-progress', action='store_true')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='mmseg: key=value overrides')
    args, opts = parser.parse_known_args(argv)  # Detectron2: trailing KEY VALUE overrides
    if opts and not args.config.endswith(('.yaml', '.yml')):
        parser.error(f'unrecognized arguments: {" ".join(opts)} (mmseg configs take '
                     '--cfg-options key=value)')
    args.opts = opts
    return args


def main(argv=None) -> int:
    args = parse_args(argv)
    if not osp.isfile(args.config):
        raise SystemExit(f'{args.config}: config file not found')
    if args.config.endswith(('.yaml', '.yml')):
        import seg_ext.d2  # noqa: F401
        from seg_ext.d2.config import get_cfg
        from seg_ext.d2.dataset_check import check_d2_config
        from seg_ext.d2.datasets import register_from_cfg
        cfg = get_cfg()
        cfg.merge_from_file(args.config)
        cfg.merge_from_list(args.opts)
        register_from_cfg(cfg)
        reports = check_d2_config(cfg, args.max_errors, not args.no_progress)
    else:
        from mmengine.config import Config
        from mmseg.utils import register_all_modules

        import seg_ext  # noqa: F401
        from seg_ext.engine.dataset_check import check_mm_config
        register_all_modules(init_default_scope=True)
        cfg = Config.fromfile(args.config)
        if args.cfg_options:
            cfg.merge_from_dict(args.cfg_options)
        reports = check_mm_config(cfg, args.splits, args.max_errors, not args.no_progress)
    from seg_ext.engine.dataset_check import run_checks
    return 0 if run_checks(reports) else 1


if __name__ == '__main__':
    sys.exit(main())

"""Check a config's datasets before training: every sample read once, every problem listed with
the file it is in (missing/corrupt images, mask size or value problems, broken split files, COCO
json errors, ...). Exit status 1 when anything is wrong.

    python tools/check_dataset.py configs/unet_salt.py [--splits train val] [--cfg-options k=v]
    python tools/check_dataset.py configs/d2/mask_rcnn_R_50_FPN_pennfudan.yaml [KEY VALUE ...]
"""
import argparse
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..'))


class KeyValues(argparse.Action):
    """``--cfg-options k=v ...`` as a dict (mmengine's ``DictAction``, imported only for mmseg
    configs so that Detectron2 users need no OpenMMLab package)."""

    def __call__(self, parser, namespace, values, option_string=None):
        from mmengine.config import DictAction
        DictAction(self.option_strings, self.dest)(parser, namespace, values, option_string)


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Check the datasets of a config')
    parser.add_argument('config', help='mmseg config (.py) or Detectron2 config (.yaml)')
    parser.add_argument('--splits', nargs='+', default=['train', 'val', 'test'],
                        help='mmseg: which dataloaders to check')
    parser.add_argument('--max-errors', type=int, default=20,
                        help='stop a dataset after this many problems')
    parser.add_argument('--no-progress', action='store_true')
    parser.add_argument('--cfg-options', nargs='+', action=KeyValues,
                        help='mmseg: key=value overrides')
    args, opts = parser.parse_known_args(argv)  # Detectron2: trailing KEY VALUE overrides
    if opts and not args.config.endswith(('.yaml', '.yml')):
        parser.error(f'unrecognized arguments: {" ".join(opts)} (mmseg configs take '
                     '--cfg-options key=value)')
    args.opts = opts
    return args


def check_d2(args: argparse.Namespace) -> list:
    """Detectron2 side: no OpenMMLab import."""
    import seg_ext.d2  # noqa: F401  (compat shims first)
    from seg_ext.d2.dataset_check import check_d2_config
    from seg_ext.d2.datasets import register_from_cfg
    from seg_ext.d2.trainer import load_config
    cfg = load_config(args.config, args.opts)
    register_from_cfg(cfg)
    return check_d2_config(cfg, args.max_errors, not args.no_progress)


def check_mm(args: argparse.Namespace) -> list:
    from mmseg.utils import register_all_modules

    import seg_ext.mmseg  # noqa: F401
    from seg_ext.mmseg.apis.dataset_check import check_mm_config
    from seg_ext.mmseg.apis.runner_setup import load_config
    register_all_modules(init_default_scope=True)
    cfg = load_config(args.config, args.cfg_options)
    return check_mm_config(cfg, args.splits, args.max_errors, not args.no_progress)


def main(argv=None) -> int:
    from seg_ext.core.reporting import run_checks
    args = parse_args(argv)
    reports = check_d2(args) if args.config.endswith(('.yaml', '.yml')) else check_mm(args)
    return 0 if run_checks(reports) else 1


if __name__ == '__main__':
    from seg_ext.core.cli import run_tool
    sys.exit(run_tool(main, sys.argv[1] if len(sys.argv) > 1 else None))

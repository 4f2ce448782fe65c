"""Train a segmentor with mmengine's Runner: mmseg's CLI, ``--resume PATH``, CPU ``--amp``."""
import argparse
import os
import sys

from mmengine.config import DictAction

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..'))
import seg_ext.mmseg  # noqa: E402,F401  (registers modules even if the config has no custom_imports)
from seg_ext.core.cli import run_tool  # noqa: E402
from seg_ext.mmseg.apis import distributed, runner_setup  # noqa: E402
from seg_ext.mmseg.apis.resume import configure_resume  # noqa: E402


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Train a segmentor')
    parser.add_argument('config', help='train config file path')
    parser.add_argument('--work-dir', help='the dir to save logs and models')
    parser.add_argument(
        '--resume', nargs='?', const='auto', default=None, metavar='CHECKPOINT',
        help='resume from the latest checkpoint in the work dir, or from CHECKPOINT if given')
    parser.add_argument('--amp', action='store_true',
                        help='mixed precision: fp16 with loss scaling on GPU, bfloat16 on CPU')
    parser.add_argument(
        '--cfg-options', nargs='+', action=DictAction,
        help='override config settings, key=value (e.g. train_cfg.max_iters=1000); lists as '
        'key="[a,b]" or key=a,b')
    parser.add_argument('--launcher', choices=['none', 'pytorch', 'slurm', 'mpi'],
                        default='none', help='job launcher')
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    args = parser.parse_args()
    if 'LOCAL_RANK' not in os.environ:
        os.environ['LOCAL_RANK'] = str(args.local_rank)
    return args


def main() -> None:
    args = parse_args()
    cfg = runner_setup.load_config(args.config, args.cfg_options)
    runner_setup.resolve_work_dir(cfg, args.work_dir, args.config)
    runner_setup.enable_channels_last(cfg)
    distributed.setup_distributed(cfg, args.launcher)
    if args.amp:
        runner_setup.enable_amp(cfg, args.config)
    configure_resume(cfg, args.resume)
    runner_setup.add_reliability_defaults(cfg)
    runner = runner_setup.build_runner(cfg, args.config, 'train')
    if cfg.get('resume') and cfg.get('load_from'):  # another model's checkpoint: one line
        runner_setup.check_checkpoint_matches(runner.model, cfg.load_from)
    runner.train()
    distributed.cleanup_distributed()


if __name__ == '__main__':
    run_tool(main, sys.argv[1] if len(sys.argv) > 1 else None)

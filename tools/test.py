"""Test (and evaluate) a segmentor: mmseg's CLI, plus a printed metric table and a JSON dump."""
import argparse
import os
import os.path as osp
import sys

from mmengine.config import Config, DictAction
from mmengine.dist import is_main_process
from mmengine.runner import Runner
from mmseg.registry import RUNNERS

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..'))
import seg_ext  # noqa: E402,F401  (registers modules even if the config has no custom_imports)
from seg_ext.engine import cli, distributed  # noqa: E402


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Test (and eval) a segmentor')
    parser.add_argument('config', help='test config file path')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument('--work-dir', help='the dir to save logs and the metrics JSON')
    parser.add_argument('--out', help='directory to save predicted label maps (PNG)')
    parser.add_argument('--json', dest='json_out',
                        help='where to write the metrics JSON (default: '
                        '<work_dir>/<timestamp>/metrics.json)')
    parser.add_argument('--show', action='store_true', help='show prediction results')
    parser.add_argument('--show-dir', help='directory (under work_dir/timestamp) where painted '
                        'predictions are saved')
    parser.add_argument('--wait-time', type=float, default=2, help='the interval of show (s)')
    parser.add_argument(
        '--cfg-options', nargs='+', action=DictAction,
        help='override config settings, key=value; lists as key="[a,b]" or key=a,b')
    parser.add_argument('--launcher', choices=['none', 'pytorch', 'slurm', 'mpi'],
                        default='none', help='job launcher')
    parser.add_argument('--tta', action='store_true', help='test time augmentation')
    parser.add_argument('--crf', choices=sorted(cli.CRF_PRESETS),
                        help='refine predictions with a dense or grid CRF (settings: the config\'s '
                        'top-level `crf` dict when it is of that type, else defaults) and report '
                        'metrics with and without it (noCRF/ prefix)')
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    args = parser.parse_args()
    if 'LOCAL_RANK' not in os.environ:
        os.environ['LOCAL_RANK'] = str(args.local_rank)
    return args


def main() -> None:
    args = parse_args()
    if not osp.isfile(args.checkpoint):
        raise SystemExit(f'{args.checkpoint}: checkpoint file not found')
    cfg = Config.fromfile(args.config)
    if args.cfg_options is not None:
        cfg.merge_from_dict(args.cfg_options)
    cli.resolve_work_dir(cfg, args.work_dir, args.config)
    distributed.setup_distributed(cfg, args.launcher)
    cfg.load_from = args.checkpoint
    if args.show or args.show_dir:
        cli.enable_visualization(cfg, args.show, args.show_dir, args.wait_time)
    if args.tta:
        cfg.test_dataloader.dataset.pipeline = cfg.tta_pipeline
        cfg.tta_model.module = cfg.model
        cfg.model = cfg.tta_model
    if args.out is not None:
        cfg.test_evaluator['output_dir'] = args.out
        cfg.test_evaluator['keep_results'] = True
    # `crf = dict(type=..., enabled=False, ...)` in a config carries tuned settings that stay off
    # until enabled (by `--crf` or `--cfg-options crf.enabled=True`); without `enabled` it is on
    crf = dict(cfg.get('crf') or {})
    enabled = crf.pop('enabled', bool(crf.get('type')))
    if args.crf:  # the config's own settings when they are for the same CRF, else defaults
        preset = cli.CRF_PRESETS[args.crf]
        crf = crf if crf.get('type') == preset['type'] else dict(preset)
        enabled = True
    if enabled and not crf.get('type'):
        raise SystemExit(f'{args.config}: crf is enabled but has no type; use --crf dense|grid '
                         "or set crf=dict(type='DenseCRF', ...) in the config")
    if enabled:
        cli.enable_crf(cfg, crf, compare=cfg.get('crf_compare', True))

    runner = Runner.from_cfg(cfg) if 'runner_type' not in cfg else RUNNERS.build(cfg)
    cli.check_checkpoint_matches(runner.model, args.checkpoint)
    metrics = runner.test()
    if is_main_process() and metrics:
        print(cli.metrics_table(metrics), flush=True)
        path = cli.dump_metrics(metrics, args.json_out or osp.join(runner.log_dir, 'metrics.json'))
        print(f'metrics written to {path}', flush=True)
    distributed.cleanup_distributed()


if __name__ == '__main__':
    cli.run_tool(main, sys.argv[1] if len(sys.argv) > 1 else None)

"""Test (and evaluate) a segmentor: mmseg's CLI, plus a printed metric table and a JSON dump."""
import argparse
import os
import os.path as osp
import sys

from mmengine.config import DictAction
from mmengine.dist import is_main_process

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..'))
import seg_ext.mmseg  # noqa: E402,F401  (registers modules even if the config has no custom_imports)
from seg_ext.core.checkpoint_files import checkpoint_problem  # noqa: E402
from seg_ext.core.cli import run_tool  # noqa: E402
from seg_ext.core.errors import DataError  # noqa: E402
from seg_ext.core.reporting import dump_metrics, metrics_table  # noqa: E402
from seg_ext.mmseg.apis import distributed, runner_setup  # noqa: E402
from seg_ext.mmseg.apis.confusion_export import save_confusion_matrices  # noqa: E402


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Test (and eval) a segmentor')
    parser.add_argument('config', help='test config file path')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument('--work-dir', help='the dir to save logs and the metrics JSON')
    parser.add_argument('--out', help='directory to save predicted label maps (PNG)')
    parser.add_argument('--json', dest='json_out',
                        help='where to write the metrics JSON (default: '
                        '<work_dir>/<timestamp>/metrics.json); the confusion matrix '
                        '(confusion_matrix.csv/.png) is written next to it')
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
    parser.add_argument('--crf', choices=sorted(runner_setup.CRF_PRESETS),
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
    problem = checkpoint_problem(args.checkpoint)
    if problem is not None:
        raise DataError(args.checkpoint, f'cannot load this checkpoint: {problem}')
    cfg = runner_setup.load_config(args.config, args.cfg_options)
    runner_setup.resolve_work_dir(cfg, args.work_dir, args.config)
    runner_setup.enable_channels_last(cfg)
    distributed.setup_distributed(cfg, args.launcher)
    cfg.load_from = args.checkpoint
    runner_setup.drop_training_hooks(cfg)
    if args.show or args.show_dir:
        runner_setup.enable_visualization(cfg, args.show, args.show_dir, args.wait_time,
                                          args.config)
    if args.tta:
        runner_setup.enable_tta(cfg, args.config)
    if args.out is not None:
        cfg.test_evaluator['output_dir'] = args.out
        cfg.test_evaluator['keep_results'] = True
    crf = runner_setup.crf_settings(cfg, args.crf, args.config)
    min_area = runner_setup.min_area_setting(cfg, args.config)
    if crf is not None or min_area > 1:
        runner_setup.enable_crf(cfg, crf, compare=cfg.get('crf_compare', True), min_area=min_area)

    runner = runner_setup.build_runner(cfg, args.config, 'test')
    runner_setup.check_checkpoint_matches(runner.model, args.checkpoint)
    metrics = runner.test()
    if is_main_process() and metrics:
        print(metrics_table(metrics), flush=True)
        path = dump_metrics(metrics, args.json_out or osp.join(runner.log_dir, 'metrics.json'))
        print(f'metrics written to {path}', flush=True)
        for cm_path in save_confusion_matrices(runner.test_evaluator, osp.dirname(path)):
            print(f'confusion matrix written to {cm_path}', flush=True)
    distributed.cleanup_distributed()


if __name__ == '__main__':
    run_tool(main, sys.argv[1] if len(sys.argv) > 1 else None)

"""Tune the test-time post-processing of a trained model on a tuning split, jointly: sigmoid
threshold, minimum component area, empty-gate threshold (UNetHead ``empty_branch``) and CRF.

    python tools/analysis_tools/tune_postprocess.py configs/unet_salt_demo.py CKPT --metric TGS \
        --cfg-options test_dataloader.dataset.ann_file=splits/fold0_val.txt \
        --out-config work_dirs/unet_salt_demo/postprocess.py
    python tools/test.py work_dirs/unet_salt_demo/postprocess.py CKPT   # on another split

The model runs once over the test dataloader (point it at data that is *not* your reporting
split); every combination is applied to the cached logits as ``tools/test.py`` applies it and
scored. Prints the best rows, writes them as JSON and the winner as a config that inherits CONFIG
(``--out-config``), which ``tools/test.py`` runs as it is.
"""
import argparse
import json
import os
import os.path as osp
import sys

from mmengine.config import DictAction

sys.path.insert(0, osp.join(osp.dirname(osp.abspath(__file__)), '..', '..'))
import seg_ext.mmseg  # noqa: E402,F401
from seg_ext.core.cli import run_tool  # noqa: E402


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('config')
    parser.add_argument('checkpoint')
    parser.add_argument('--metric', default='TGS', choices=['TGS', 'mIoU', 'F1'],
                        help='what to maximise (F1: the change class of change detection)')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    parser.add_argument('--thresholds', type=float, nargs='+',
                        default=[0.3, 0.4, 0.45, 0.5, 0.55, 0.6, 0.7])
    parser.add_argument('--min-areas', type=int, nargs='+', default=[0, 10, 20, 50, 100])
    parser.add_argument('--empty-thresholds', type=float, nargs='+',
                        default=[0.3, 0.5, 0.7, 0.9, 1.01],
                        help='gate images whose empty probability is >= this (1.01: off)')
    parser.add_argument('--crf-gaussian', type=float, nargs='*', default=[0.5, 1.0],
                        metavar='SXY', help='DenseCRF Gaussian sxy values tried (with '
                        '--crf-compat; none: no CRF candidates)')
    parser.add_argument('--crf-compat', type=float, nargs='+', default=[0.25, 1.0])
    parser.add_argument('--crf-iterations', type=int, default=5)
    parser.add_argument('--out', default=None, help='JSON of all rows (default: next to '
                        '--out-config)')
    parser.add_argument('--out-config', default='work_dirs/postprocess_tuned.py')
    parser.add_argument('--top', type=int, default=10)
    return parser.parse_args(argv)


def main(argv=None) -> None:
    import torch
    from mmengine.registry import init_default_scope
    from mmengine.runner import Runner

    from seg_ext.mmseg.apis import postprocess_tuning as pt
    from seg_ext.mmseg.apis.model_stats import build_eval_model
    from seg_ext.mmseg.apis.runner_setup import check_checkpoint_matches, load_config

    args = parse_args(argv)
    cfg = load_config(args.config, args.cfg_options)
    init_default_scope(cfg.get('default_scope', 'mmseg'))
    model = build_eval_model(cfg)
    check_checkpoint_matches(model, args.checkpoint)
    from mmengine.runner import load_checkpoint
    load_checkpoint(model, args.checkpoint, map_location='cpu', logger='silent')
    loader = Runner.build_dataloader(cfg.test_dataloader)
    samples = pt.collect(model, loader)
    num_classes = len(loader.dataset.metainfo['classes'])
    crfs = [None] + [dict(type='DenseCRF', iterations=args.crf_iterations,
                          gaussian=dict(sxy=s, compat=c), bilateral=None)
                     for s in args.crf_gaussian for c in args.crf_compat]
    torch.set_grad_enabled(False)
    rows = pt.search(samples, num_classes, args.metric, args.thresholds, args.min_areas,
                     args.empty_thresholds, crfs,
                     ignore_index=cfg.test_evaluator.get('ignore_index', 255)
                     if isinstance(cfg.test_evaluator, dict) else 255)
    split = (f"{cfg.test_dataloader.dataset.get('data_root', '')} "
             f"{cfg.test_dataloader.dataset.get('ann_file', '') or '(all)'} "
             f'({len(samples)} images)')
    print(f'{len(samples)} images cached; {len(rows)} settings scored on {split}')
    print('| TGS | mIoU | F1 | threshold | min_area | empty_threshold | crf |')
    print('|---|---|---|---|---|---|---|')
    for r in rows[:args.top]:
        crf = 'none' if r['crf'] is None else \
            f"gaussian sxy {r['crf']['gaussian']['sxy']} compat {r['crf']['gaussian']['compat']}"
        print(f"| {r['TGS']} | {r['mIoU']} | {r['F1']} | {r['threshold']} | {r['min_area']} | "
              f"{r['empty_threshold']} | {crf} |")
    default = next((r for r in rows if r['crf'] is None and r['min_area'] == 0
                   and r['threshold'] in (None, cfg.model.decode_head.get('threshold'))
                   and r['empty_threshold'] == pt.GATE_OFF), None)
    if default is not None:
        print('without post-processing:', {k: default[k] for k in pt.METRICS})
    with_empty = samples[0].p_empty is not None
    path = pt.write_snippet(args.out_config, args.config, rows[0], args.metric, split, with_empty)
    out = args.out or osp.splitext(args.out_config)[0] + '.json'
    os.makedirs(osp.dirname(osp.abspath(out)), exist_ok=True)
    json.dump(dict(split=split, metric=args.metric, best=rows[0], rows=rows), open(out, 'w'),
              indent=1)
    print(f'best ({args.metric} {rows[0][args.metric]}) written to {path}; all rows to {out}')


if __name__ == '__main__':
    run_tool(main, sys.argv[1] if len(sys.argv) > 1 else None)

"""Compare models side by side: parameters, FLOPs, CPU/GPU inference speed and (optionally) mIoU.

    python tools/analysis_tools/model_table.py configs/unet_salt_demo.py \
        configs/segnet_salt_demo.py configs/fcn8s_salt_demo.py \
        --shape 1 128 128 --ori-shape 101 101 \
        --metrics work_dirs/unet_salt_demo/metrics.json ... --out work_dirs/model_table.json

Prints a Markdown table (for the README) and writes it as JSON. FLOPs are mmengine's complexity
analysis (one multiply-add = one FLOP); speed is ``model.predict`` on random batches.
"""
import argparse
import json
import os
import os.path as osp

import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope

import seg_ext.mmseg  # noqa: F401
from seg_ext.mmseg.apis.model_stats import build_eval_model, complexity, inference_throughput


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('configs', nargs='+')
    parser.add_argument('--shape', type=int, nargs=3, default=[1, 128, 128], help='C H W')
    parser.add_argument('--ori-shape', type=int, nargs=2, default=None,
                        help='size predictions are cropped back to (default: H W)')
    parser.add_argument('--batch-size', type=int, default=16)
    parser.add_argument('--iters', type=int, default=5)
    parser.add_argument('--metrics', nargs='*', default=[],
                        help='metrics JSON per config (tools/test.py --json), same order; '
                        '- for none')
    parser.add_argument('--device', default='cuda' if torch.cuda.is_available() else 'cpu')
    parser.add_argument('--out', default='work_dirs/model_table.json')
    args = parser.parse_args()
    if args.metrics and len(args.metrics) != len(args.configs):
        parser.error('give one --metrics file per config')

    rows = []
    for i, path in enumerate(args.configs):
        cfg = Config.fromfile(path)
        init_default_scope(cfg.get('default_scope', 'mmseg'))
        model = build_eval_model(cfg, args.device)
        row = dict(config=osp.basename(path), **complexity(model, tuple(args.shape)))
        row.update(inference_throughput(model, tuple(args.shape), args.batch_size, args.iters,
                                        ori_shape=args.ori_shape))
        if args.metrics and args.metrics[i] != '-':
            m = json.load(open(args.metrics[i]))
            row.update({k: m[k] for k in ('mIoU', 'FWIoU', 'TGS') if k in m})
        rows.append(row)

    head = ['config', 'params (M)', 'GFLOPs', f'img/s ({args.device})', 'mIoU', 'TGS']
    print('| ' + ' | '.join(head) + ' |\n|' + '---|' * len(head))
    for r in rows:
        print(f"| `{r['config']}` | {r['params'] / 1e6:.1f} | {r['flops'] / 1e9:.2f} | "
              f"{r['img_per_s']:.1f} | {r.get('mIoU', '-')} | {r.get('TGS', '-')} |")
    os.makedirs(osp.dirname(osp.abspath(args.out)), exist_ok=True)
    json.dump(dict(shape=args.shape, device=args.device, torch_threads=torch.get_num_threads(),
                   rows=rows), open(args.out, 'w'), indent=2)
    print(f'written to {args.out}')


if __name__ == '__main__':
    main()

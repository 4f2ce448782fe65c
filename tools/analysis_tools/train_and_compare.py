"""Train and test several configs in one run and compare them side by side.

    python tools/analysis_tools/train_and_compare.py configs/changedet_levir_demo.py \
        configs/changedet_levir_early_demo.py --work-root work_dirs/cd_benchmark

Each config goes through the real ``tools/train.py`` and ``tools/test.py`` (best checkpoint) in
its own process, one after the other on the same machine; the table (Markdown) is printed and
written with all metrics to ``<work-root>/compare.json``.
"""
import argparse
import glob
import json
import os
import os.path as osp
import subprocess
import sys
import time

TOOLS = osp.dirname(osp.dirname(osp.abspath(__file__)))
KEYS = ('F1', 'Precision', 'Recall', 'IoU', 'mIoU', 'FWIoU', 'aAcc', 'mAcc', 'TGS', 'ms_per_img')


def run(cmd):
    print('$ ' + ' '.join(cmd), flush=True)
    subprocess.run(cmd, check=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('configs', nargs='+')
    parser.add_argument('--work-root', default='work_dirs/compare')
    parser.add_argument('--cfg-options', nargs='+', default=[],
                        help='overrides applied to every config (key=value)')
    args = parser.parse_args()

    rows = []
    for cfg in args.configs:
        name = osp.splitext(osp.basename(cfg))[0]
        work = osp.join(args.work_root, name)
        opts = ['--cfg-options'] + args.cfg_options if args.cfg_options else []
        t0 = time.time()
        run([sys.executable, osp.join(TOOLS, 'train.py'), cfg, '--work-dir', work] + opts)
        train_s = time.time() - t0
        ckpts = sorted(glob.glob(osp.join(work, 'best_*.pth')), key=osp.getmtime) or \
            sorted(glob.glob(osp.join(work, 'iter_*.pth')), key=osp.getmtime)
        metrics_path = osp.join(work, 'metrics.json')
        run([sys.executable, osp.join(TOOLS, 'test.py'), cfg, ckpts[-1], '--work-dir', work,
             '--json', metrics_path] + opts)
        metrics = json.load(open(metrics_path))
        rows.append(dict(config=cfg, checkpoint=ckpts[-1], train_seconds=round(train_s, 1),
                         metrics=metrics))

    keys = [k for k in KEYS if any(k in r['metrics'] for r in rows)]
    print('\n| config | train (min) | ' + ' | '.join(keys) + ' |')
    print('|---|---|' + '---|' * len(keys))
    for r in rows:
        print(f"| `{osp.basename(r['config'])}` | {r['train_seconds'] / 60:.1f} | "
              + ' | '.join(str(r['metrics'].get(k, '-')) for k in keys) + ' |')
    os.makedirs(args.work_root, exist_ok=True)
    out = osp.join(args.work_root, 'compare.json')
    json.dump(rows, open(out, 'w'), indent=2)
    print(f'written to {out}')


if __name__ == '__main__':
    main()

"""The TGS-recipe ablation: UNetHead options one at a time and together, several seeds each.

    python tools/analysis_tools/ablation.py configs/unet_salt_demo.py --seeds 0 1 2 \
        --work-root work_dirs/ablation --tune-root data/tgs_salt_tune --jobs 2

Every arm trains with the real ``tools/train.py`` (same config and schedule, only the head option
and ``randomness.seed`` change) and is scored by ``tools/test.py`` on the config's test split at
the **last** checkpoint (the best one is chosen on that same split, which would flatter it).
"all + tuned" takes the "all" checkpoints, tunes threshold / minimum area / empty gate / CRF with
``tune_postprocess.py`` on ``--tune-root`` (generated data the models never saw, *not* the
reporting split) and tests the written config. Runs whose metrics exist are not repeated, so an
interrupted ablation resumes. Prints the Markdown table (mean ± sample standard deviation over the
seeds, and the range) and writes ``<work-root>/ablation.json`` and ``ablation.png``.
"""
import argparse
import concurrent.futures as cf
import glob
import json
import os
import os.path as osp
import statistics
import subprocess
import sys
import time

TOOLS = osp.dirname(osp.dirname(osp.abspath(__file__)))
HEAD = 'model.decode_head.'
ARMS = {
    'baseline': [],
    '+ scSE': [HEAD + 'scse=True'],
    '+ hypercolumn': [HEAD + 'hypercolumn=True'],
    '+ deep supervision': [HEAD + 'deep_supervision.weights=[0.1,0.1,0.1,0.1]'],
    '+ empty branch': [HEAD + 'empty_branch.loss_weight=0.05'],
}
ARMS['all'] = [o for arm in list(ARMS.values()) for o in arm]
TUNED = 'all + tuned post-processing'
KEYS = ('TGS', 'mIoU', 'FWIoU')


def slug(arm: str) -> str:
    return arm.replace('+ ', '').replace(' ', '_')


def run(cmd, log: str, threads: int) -> None:
    env = dict(os.environ, OMP_NUM_THREADS=str(threads), MKL_NUM_THREADS=str(threads))
    print(f'$ {" ".join(cmd)}  > {log}', flush=True)
    with open(log, 'w') as f:
        done = subprocess.run(cmd, stdout=f, stderr=subprocess.STDOUT, env=env)
    if done.returncode:
        sys.exit(f'error: {log}: command failed (exit {done.returncode}): {" ".join(cmd)}')


def train_and_test(config: str, arm: str, seed: int, work_root: str, threads: int,
                   extra: list) -> dict:
    work = osp.join(work_root, f'{slug(arm)}-{seed}')
    metrics_path = osp.join(work, 'metrics.json')
    if not osp.isfile(metrics_path):
        os.makedirs(work, exist_ok=True)
        opts = ['--cfg-options', f'randomness.seed={seed}'] + extra + ARMS[arm]
        t0 = time.time()
        run([sys.executable, osp.join(TOOLS, 'train.py'), config, '--work-dir', work] + opts,
            osp.join(work, 'train.log'), threads)
        json.dump(dict(train_seconds=round(time.time() - t0, 1)),
                  open(osp.join(work, 'train_time.json'), 'w'))
        run([sys.executable, osp.join(TOOLS, 'test.py'), config, last_checkpoint(work),
             '--work-dir', work, '--json', metrics_path] + opts,
            osp.join(work, 'test.log'), threads)
    return dict(arm=arm, seed=seed, work_dir=work, metrics=scores(metrics_path))


def tune_and_test(config: str, seed: int, work_root: str, tune_root: str, threads: int,
                  extra: list) -> dict:
    work = osp.join(work_root, f'all-{seed}')
    metrics_path = osp.join(work, 'metrics_tuned.json')
    if not osp.isfile(metrics_path):
        snippet = osp.join(work, 'postprocess.py')
        ckpt = last_checkpoint(work)
        run([sys.executable, osp.join(TOOLS, 'analysis_tools', 'tune_postprocess.py'), config,
             ckpt, '--metric', 'TGS', '--out-config', snippet, '--cfg-options'] + extra
            + ARMS['all']
            + [f'test_dataloader.dataset.data_root={tune_root}',
               'test_dataloader.dataset.ann_file='], osp.join(work, 'tune.log'), threads)
        run([sys.executable, osp.join(TOOLS, 'test.py'), snippet, ckpt, '--work-dir', work,
             '--json', metrics_path, '--cfg-options'] + extra + ARMS['all'],
            osp.join(work, 'test_tuned.log'), threads)
    return dict(arm=TUNED, seed=seed, work_dir=work, metrics=scores(metrics_path))


def scores(path: str) -> dict:
    """The metrics ``tools/test.py --json`` wrote (nested under ``metrics`` next to the CRF's)."""
    data = json.load(open(path))
    return data.get('metrics', data)


def last_checkpoint(work: str) -> str:
    ckpts = glob.glob(osp.join(work, 'iter_*.pth'))
    if not ckpts:
        sys.exit(f'error: {work}: no iter_*.pth checkpoint after training')
    return max(ckpts, key=lambda p: int(osp.basename(p)[5:-4]))


def summarise(runs: list) -> list:
    rows = []
    for arm in list(ARMS) + [TUNED]:
        mine = [r for r in runs if r['arm'] == arm]
        if not mine:
            continue
        row = dict(arm=arm, seeds=[r['seed'] for r in mine])
        for k in KEYS:
            values = [float(r['metrics'][k]) for r in mine]
            row[k] = dict(values=values, mean=statistics.fmean(values),
                          std=statistics.stdev(values) if len(values) > 1 else 0.0,
                          min=min(values), max=max(values))
        rows.append(row)
    return rows


def markdown(rows: list) -> str:
    lines = ['| arm | seeds | ' + ' | '.join(f'{k} (mean ± sd, range)' for k in KEYS) + ' |',
             '|---|---|' + '---|' * len(KEYS)]
    for r in rows:
        cells = [f"{r[k]['mean']:.2f} ± {r[k]['std']:.2f} ({r[k]['min']:.2f}–{r[k]['max']:.2f})"
                 for k in KEYS]
        lines.append(f"| {r['arm']} | {len(r['seeds'])} | " + ' | '.join(cells) + ' |')
    return '\n'.join(lines)


def plot(rows: list, path: str) -> None:
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    fig, axes = plt.subplots(1, 2, figsize=(11, 4))
    for ax, key in zip(axes, ('TGS', 'mIoU')):
        for i, r in enumerate(rows):
            ax.scatter([i] * len(r[key]['values']), r[key]['values'], color='tab:blue', s=18)
            ax.errorbar(i + 0.15, r[key]['mean'], yerr=r[key]['std'], fmt='o', color='black',
                        capsize=3)
        ax.set_xticks(range(len(rows)), [r['arm'] for r in rows], rotation=30, ha='right')
        ax.set_ylabel(key)
        ax.grid(axis='y', alpha=0.3)
    fig.suptitle('UNetHead ablation on the demo data (dots: seeds; bars: mean ± sd)')
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('config')
    parser.add_argument('--seeds', type=int, nargs='+', default=[0, 1, 2])
    parser.add_argument('--arms', nargs='+', choices=list(ARMS) + [TUNED],
                        default=list(ARMS) + [TUNED])
    parser.add_argument('--work-root', default='work_dirs/ablation')
    parser.add_argument('--tune-root', default='data/tgs_salt_tune',
                        help='data the tuner runs on (make it with tools/misc/make_demo_data.py '
                        'tgs DIR --seed 1: another draw of the generator)')
    parser.add_argument('--cfg-options', nargs='+', default=[], metavar='KEY=VALUE',
                        help='overrides for every run (train, test and tuning), e.g. a schedule')
    parser.add_argument('--jobs', type=int, default=1,
                        help='runs at once (each with cpu_count // jobs threads)')
    args = parser.parse_args()
    for path in [args.config] + ([args.tune_root] if TUNED in args.arms else []):
        if not osp.exists(path):
            sys.exit(f'error: {path}: not found')
    threads = max(1, (os.cpu_count() or 1) // args.jobs)
    trained = [a for a in args.arms if a != TUNED]
    if TUNED in args.arms and 'all' not in trained:
        trained.append('all')
    jobs = [(arm, seed) for seed in args.seeds for arm in trained]
    t0 = time.time()
    with cf.ThreadPoolExecutor(args.jobs) as pool:
        runs = list(pool.map(lambda j: train_and_test(args.config, j[0], j[1], args.work_root,
                                                      threads, args.cfg_options), jobs))
        if TUNED in args.arms:
            runs += list(pool.map(lambda s: tune_and_test(args.config, s, args.work_root,
                                                          args.tune_root, threads,
                                                          args.cfg_options), args.seeds))
    rows = summarise([r for r in runs if r['arm'] in args.arms])
    table = markdown(rows)
    print(table)
    os.makedirs(args.work_root, exist_ok=True)
    json.dump(dict(config=args.config, seeds=args.seeds, rows=rows, runs=runs),
              open(osp.join(args.work_root, 'ablation.json'), 'w'), indent=1)
    png = osp.join(args.work_root, 'ablation.png')
    plot(rows, png)
    print(f'{len(runs)} runs in {(time.time() - t0) / 60:.1f} min; table and runs in '
          f"{osp.join(args.work_root, 'ablation.json')}, plot {png}")


if __name__ == '__main__':
    main()

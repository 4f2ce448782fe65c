"""Read mmengine's scalar logs (``vis_data/scalars.json``) and plot loss and metric curves."""
import glob
import json
import os.path as osp
from typing import Dict, List, Tuple

from .errors import DataError, MissingDataError

Series = Dict[str, List[Tuple[int, float]]]


def find_scalar_logs(work_dir: str) -> List[str]:
    """All ``<timestamp>/vis_data/scalars.json`` files of a work dir, oldest first."""
    return sorted(glob.glob(osp.join(work_dir, '*', 'vis_data', 'scalars.json')))


def read_scalars(paths: List[str]) -> Tuple[Series, Series]:
    """Loss series and validation metric series keyed by name.

    Losses: the training terms (``loss``, ``decode.loss_ce``, ...) at their iterations and, when
    the run validated with ``ValLossLoop``, the validation loss ``val_loss`` at each validation
    step. Later files (a resumed run) overwrite the iterations they repeat.
    """
    train: Dict[str, Dict[int, float]] = {}
    val: Dict[str, Dict[int, float]] = {}
    for path in paths:
        last_iter = 0
        for line in open(path):
            line = line.strip()
            if not line:
                continue
            rec = json.loads(line)
            if 'loss' in rec and 'iter' in rec:
                last_iter = int(rec['iter'])
                for k, v in rec.items():
                    if k.startswith('loss') or k.endswith('.loss') or '.loss_' in k:
                        train.setdefault(k, {})[last_iter] = float(v)
            elif 'mIoU' in rec or 'val_loss' in rec:
                step = int(rec.get('step', last_iter))
                for k in ('mIoU', 'FWIoU', 'mAcc', 'aAcc', 'TGS', 'F1', 'IoU.change'):
                    if k in rec:
                        val.setdefault(k, {})[step] = float(rec[k])
                if 'val_loss' in rec:
                    train.setdefault('val_loss', {})[step] = float(rec['val_loss'])
    return ({k: sorted(v.items()) for k, v in train.items()},
            {k: sorted(v.items()) for k, v in val.items()})


def plot_curves(work_dir: str, out: str) -> str:
    """Plot the training (and validation) losses and the validation metrics of ``work_dir``
    into the PNG ``out``."""
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt

    paths = find_scalar_logs(work_dir)
    if not paths:
        raise MissingDataError(work_dir, 'no */vis_data/scalars.json (was it trained with '
                               "LocalVisBackend, as in mmseg's default_runtime?)")
    train, val = read_scalars(paths)
    if not any(k != 'val_loss' for k in train):
        raise DataError(work_dir, 'the scalar logs hold no training loss')
    fig, axes = plt.subplots(1, 2, figsize=(11, 4))
    for name, pts in train.items():
        if name == 'val_loss':
            axes[0].plot(*zip(*pts), 'k--o', label='validation loss', lw=1.5)
        else:
            axes[0].plot(*zip(*pts), label=name, lw=1)
    axes[0].set(xlabel='iteration', ylabel='loss',
                title='training loss' + (' and validation loss' if 'val_loss' in train else ''))
    axes[0].legend(fontsize=8)
    for name, pts in val.items():
        axes[1].plot(*zip(*pts), marker='o', label=name)
    axes[1].set(xlabel='iteration', ylabel='%', title='validation', ylim=(0, 100))
    if val:
        axes[1].legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(out, dpi=100)
    plt.close(fig)
    return out

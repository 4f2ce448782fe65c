"""A dataset's confusion matrix on disk: CSV (counts) and a row-normalised PNG heat map."""
import csv
import os
import os.path as osp
from typing import List, Sequence, Tuple

import numpy as np

from .errors import DataError


def row_normalize(cm: np.ndarray) -> np.ndarray:
    """Each row divided by its sum (the share of a ground-truth class predicted as each class);
    rows of classes absent from the ground truth stay 0."""
    cm = np.asarray(cm, dtype=np.float64)
    sums = cm.sum(axis=1, keepdims=True)
    return np.divide(cm, sums, out=np.zeros_like(cm), where=sums > 0)


def write_confusion_csv(cm: np.ndarray, classes: Sequence[str], path: str) -> str:
    """Write ``cm`` (rows = ground truth, columns = prediction) with the class names as the
    header row and the first column; returns ``path``."""
    cm = np.asarray(cm)
    if cm.shape != (len(classes), len(classes)):
        raise ValueError(f'confusion matrix is {cm.shape} but there are {len(classes)} classes')
    os.makedirs(osp.dirname(osp.abspath(path)), exist_ok=True)
    with open(path, 'w', newline='') as f:
        writer = csv.writer(f)
        writer.writerow(['gt\\pred'] + list(classes))
        for name, row in zip(classes, cm):
            writer.writerow([name] + [int(v) if float(v).is_integer() else float(v) for v in row])
    return path


def read_confusion_csv(path: str) -> Tuple[np.ndarray, List[str]]:
    """The matrix (int64) and class names of a :func:`write_confusion_csv` file.

    Raises:
        DataError: not a square matrix with matching row and column names.
    """
    with open(path, newline='') as f:
        rows = list(csv.reader(f))
    if not rows or len(rows[0]) < 2:
        raise DataError(path, 'no header row of class names')
    classes = rows[0][1:]
    body = rows[1:]
    if len(body) != len(classes) or [r[0] for r in body] != classes or \
            any(len(r) != len(classes) + 1 for r in body):
        raise DataError(path, f'expected {len(classes)} rows named like the columns '
                        f'({", ".join(classes)})')
    return np.array([[int(float(v)) for v in r[1:]] for r in body], dtype=np.int64), classes


def plot_confusion_matrix(cm: np.ndarray, classes: Sequence[str], path: str,
                          title: str = 'confusion matrix, rows normalised') -> str:
    """Draw the row-normalised matrix as a heat map with the share (%) in every cell."""
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt

    norm = row_normalize(cm)
    n = len(classes)
    side = max(3.5, 0.6 * n + 2.0)
    fig, ax = plt.subplots(figsize=(side + 1.0, side))
    im = ax.imshow(norm * 100, cmap='Blues', vmin=0, vmax=100)
    fig.colorbar(im, ax=ax, fraction=0.046, pad=0.04, label='% of the ground-truth class')
    ax.set_xticks(range(n), labels=list(classes), rotation=45, ha='right')
    ax.set_yticks(range(n), labels=list(classes))
    ax.set(xlabel='prediction', ylabel='ground truth', title=title)
    if n <= 30:
        for i in range(n):
            for j in range(n):
                ax.text(j, i, f'{norm[i, j] * 100:.1f}', ha='center', va='center', fontsize=8,
                        color='white' if norm[i, j] > 0.5 else 'black')
    fig.tight_layout()
    os.makedirs(osp.dirname(osp.abspath(path)), exist_ok=True)
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


def save_confusion_matrix(cm: np.ndarray, classes: Sequence[str], folder: str,
                          stem: str = 'confusion_matrix') -> Tuple[str, str]:
    """``<folder>/<stem>.csv`` and ``<folder>/<stem>.png``; returns both paths."""
    return (write_confusion_csv(cm, classes, osp.join(folder, stem + '.csv')),
            plot_confusion_matrix(cm, classes, osp.join(folder, stem + '.png')))

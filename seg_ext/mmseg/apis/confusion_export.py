"""Write the confusion matrices an mmengine ``Evaluator`` kept (``SegMetric``/``ChangeMetric``)."""
from typing import List

from ...core.confusion_report import save_confusion_matrix


def save_confusion_matrices(evaluator, folder: str) -> List[str]:
    """For every metric of ``evaluator`` that kept a dataset confusion matrix
    (``last_confusion_matrix``, set by ``SegMetric.compute_metrics`` on the main process), write
    ``<folder>/[<prefix>_]confusion_matrix.csv`` (counts, rows = ground truth, columns =
    prediction, class names as headers) and ``.png`` (row-normalised heat map). Returns the
    paths written (none where no metric kept a matrix, e.g. on other ranks)."""
    paths: List[str] = []
    for metric in getattr(evaluator, 'metrics', []):
        cm = getattr(metric, 'last_confusion_matrix', None)
        if cm is None:
            continue
        prefix = getattr(metric, 'prefix', None)
        stem = f'{prefix}_confusion_matrix' if prefix else 'confusion_matrix'
        classes = [str(c) for c in metric.dataset_meta['classes']]
        paths.extend(save_confusion_matrix(cm, classes, folder, stem))
    return paths

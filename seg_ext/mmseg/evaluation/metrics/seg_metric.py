"""``SegMetric``: mmseg's ``IoUMetric`` plus FWIoU, MPA and the TGS score, in one pass."""
import os.path as osp
from collections import OrderedDict
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np
from mmengine.logging import MMLogger, print_log
from mmseg.evaluation import IoUMetric
from mmseg.registry import METRICS
from PIL import Image
from prettytable import PrettyTable

from ....core.errors import DataError
from ....core.metrics import IOU_THRESHOLDS, confusion_matrix, seg_scores, tgs_image_scores

_PER_CLASS = {
    'mIoU': ('IoU', 'Acc'),
    'mDice': ('Dice', ),
    'mFscore': ('Fscore', 'Precision', 'Recall')
}
_SUMMARY = {'mIoU': ('mIoU', ), 'mDice': ('mDice', ),
            'mFscore': ('mFscore', 'mPrecision', 'mRecall')}


@METRICS.register_module()
class SegMetric(IoUMetric):
    """Semantic segmentation metric computed from one confusion matrix per image.

    A drop-in replacement for mmseg's ``IoUMetric`` (same arguments, same ``aAcc``/``mIoU``/``mAcc``
    keys, in percent) that also reports:

    - ``FWIoU``: IoU weighted by each class's ground-truth pixel frequency;
    - ``aAcc`` is pixel accuracy (PA), ``mAcc`` mean class accuracy (MPA);
    - ``TGS`` (when ``tgs_score=True``): the TGS Salt Kaggle score of class ``fg_class``;
    - ``IoU.<class>`` and ``Acc.<class>`` per class (also printed as a table).

    The dataset's confusion matrix stays in :attr:`last_confusion_matrix` after evaluation
    (``tools/test.py`` writes it as CSV and PNG next to the metrics JSON).

    Each image is reduced on its own device to a sparse ``C×C`` confusion matrix, so multi-process
    evaluation gathers exactly one small record per sample (no sample counted twice).

    Args:
        tgs_score: also compute the TGS score (binary: ``fg_class`` against the rest).
        fg_class: index of the foreground class for the TGS score.
        iou_thresholds: IoU thresholds of the TGS score (default 0.50:0.05:0.95).
        pred_key: the data-sample field holding the prediction (``'pred_sem_seg_raw'`` scores the
            prediction before ``CRFRefiner``'s refinement; use with a ``prefix``).
        decimals: decimals of the reported percentages (mmseg's 2); ``None`` keeps full precision
            (e.g. to compare a distributed run with a single-process one).
        **kwargs: ``IoUMetric`` arguments (``ignore_index``, ``iou_metrics``, ``nan_to_num``,
            ``beta``, ``collect_device``, ``output_dir``, ``format_only``, ``prefix``).
    """

    def __init__(self, tgs_score: bool = False, fg_class: int = 1,
                 iou_thresholds: Sequence[float] = tuple(IOU_THRESHOLDS),
                 pred_key: str = 'pred_sem_seg', decimals: Optional[int] = 2,
                 **kwargs) -> None:
        super().__init__(**kwargs)
        self.pred_key = pred_key
        self.decimals = decimals
        unknown = set(self.metrics) - set(_SUMMARY)
        if unknown:
            raise KeyError(f'iou_metrics {sorted(unknown)} not supported; use {sorted(_SUMMARY)}')
        self.tgs_score = tgs_score
        self.fg_class = fg_class
        self.iou_thresholds = np.asarray(iou_thresholds, dtype=np.float64)
        #: the dataset's ``C×C`` confusion matrix (int64; rows = ground truth, columns =
        #: prediction) of the last ``compute_metrics`` call, on the main process; ``None`` before
        self.last_confusion_matrix: Optional[np.ndarray] = None

    def process(self, data_batch: dict, data_samples: Sequence[dict]) -> None:
        """Reduce each prediction/ground-truth pair to a sparse confusion matrix."""
        num_classes = len(self.dataset_meta['classes'])
        for sample in data_samples:
            if self.pred_key not in sample:
                raise KeyError(f'{type(self).__name__}: samples have no {self.pred_key!r} (with '
                               "'pred_sem_seg_raw', wrap the model in a CRFRefiner that keeps "
                               'raw predictions)')
            pred = sample[self.pred_key]['data'].squeeze(0)
            if not self.format_only:
                gt = sample['gt_sem_seg']['data'].squeeze(0)
                source = sample.get('seg_map_path') or sample.get('img_path', '<unknown image>')
                if pred.shape != gt.shape:
                    raise DataError(source, f'prediction is {tuple(pred.shape)} but the ground '
                                    f'truth is {tuple(gt.shape)}')
                try:
                    cm = confusion_matrix(pred, gt, num_classes, self.ignore_index).flatten()
                except ValueError as e:
                    raise DataError(source, str(e)) from None
                nz = cm.nonzero().squeeze(1)
                self.results.append(dict(idx=nz.cpu().numpy().astype(np.int32),
                                         count=cm[nz].cpu().numpy()))
            if self.output_dir is not None:
                self._save_prediction(sample, pred)

    def _save_prediction(self, sample: dict, pred) -> None:
        basename = osp.splitext(osp.basename(sample['img_path']))[0]
        mask = pred.cpu().numpy().astype(np.uint8)
        if sample.get('reduce_zero_label', False):
            mask = mask + 1
        Image.fromarray(mask).save(osp.abspath(osp.join(self.output_dir, f'{basename}.png')))

    def compute_metrics(self, results: List[dict]) -> Dict[str, float]:
        """Sum the per-image matrices and derive every score from the total."""
        logger: MMLogger = MMLogger.get_current_instance()
        if self.format_only:
            logger.info(f'results are saved to {osp.dirname(self.output_dir)}')
            return OrderedDict()
        classes = list(self.dataset_meta['classes'])
        n = len(classes)
        idx, count = self._stack(results)
        cm = np.bincount(idx, weights=count, minlength=n * n).reshape(n, n)
        self.last_confusion_matrix = np.rint(cm).astype(np.int64)
        scores = seg_scores(cm, beta=self.beta)

        def fmt(x: float) -> float:
            if self.nan_to_num is not None and not np.isfinite(x):
                x = self.nan_to_num
            x = float(x * 100)
            return x if self.decimals is None else float(np.round(x, self.decimals))

        metrics = OrderedDict(self._leading_metrics(cm))
        metrics.update(aAcc=fmt(scores['aAcc']), FWIoU=fmt(scores['FWIoU']))
        for m in self.metrics:
            for key in _SUMMARY[m]:
                metrics[key] = fmt(scores[key])
        metrics['mAcc'] = fmt(scores['mAcc'])
        if self.tgs_score:
            metrics['TGS'] = fmt(self._tgs(results, idx, count, n))

        columns = [c for m in self.metrics for c in _PER_CLASS[m]]
        if 'Acc' not in columns:
            columns.insert(1, 'Acc')
        table = PrettyTable(['Class'] + columns)
        for i, name in enumerate(classes):
            table.add_row([name] + [fmt(scores[c][i]) for c in columns])
            for c in ('IoU', 'Acc'):
                metrics[f'{c}.{name}'] = fmt(scores[c][i])
        print_log('per class results:', logger)
        print_log('\n' + table.get_string(), logger=logger)
        return metrics

    def _stack(self, results: List[dict]) -> Tuple[np.ndarray, np.ndarray]:
        """All images' sparse confusion entries (``gt * C + pred`` and pixel counts), in order."""
        if not results:
            raise ValueError(f'{type(self).__name__} got no samples to evaluate (is the dataset '
                             'empty?)')
        return (np.concatenate([r['idx'] for r in results]),
                np.concatenate([r['count'] for r in results]))

    def _leading_metrics(self, cm: np.ndarray) -> Dict[str, float]:
        """Scores a subclass reports first, from the dataset's confusion matrix (none here)."""
        return {}

    def _tgs(self, results: List[dict], idx: np.ndarray, count: np.ndarray, n: int) -> float:
        """TGS score from the per-image sparse matrices: foreground TP, GT and predicted areas."""
        image = np.repeat(np.arange(len(results)), [len(r['idx']) for r in results])
        gt_is_fg = idx // n == self.fg_class
        pred_is_fg = idx % n == self.fg_class

        def per_image(sel: np.ndarray) -> np.ndarray:
            return np.bincount(image, weights=count * sel, minlength=len(results))

        return float(np.mean(tgs_image_scores(
            per_image(gt_is_fg & pred_is_fg), per_image(gt_is_fg), per_image(pred_is_fg),
            self.iou_thresholds)))

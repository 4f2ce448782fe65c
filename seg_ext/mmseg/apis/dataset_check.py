"""``tools/check_dataset.py`` for mmseg configs: every sample of every split read once, the way
training reads it, and every problem listed with its file; per-class pixel counts, a class that
never occurs, labels that are all ignore, images of another size than the rest."""
import copy
from collections import Counter
from typing import Iterable, List, Optional, Sequence

import numpy as np
from mmengine.config import Config

from ...core.errors import DataError
from ...core.reporting import CheckReport, check_samples, describe

#: Datasets that can list every per-sample problem instead of raising the first.
COLLECTING_DATASETS = ('TGSSaltDataset', 'BiTemporalCDDataset')


def _dataset_cfgs(cfg: Config, splits: Sequence[str]) -> Iterable:
    seen = []
    for split in splits:
        loader = cfg.get(f'{split}_dataloader')
        if not loader:
            continue
        ds = loader['dataset']
        if ds in seen:  # test_dataloader = val_dataloader in most configs
            continue
        seen.append(ds)
        yield split, ds


class LabelStats:
    """Pixel counts per class, ignore pixels and image sizes over the samples of one split."""

    def __init__(self, classes: Sequence[str], ignore_index: int = 255) -> None:
        self.classes = list(classes)
        self.ignore_index = ignore_index
        self.counts = np.zeros(len(self.classes), np.int64)
        self.ignored = 0
        self.labelled_samples = 0
        self.sizes: Counter = Counter()
        self.example = {}

    def add(self, packed: dict, source: str) -> None:
        """Count one packed sample (``PackSegInputs`` output); a label value that is neither a
        class nor the ignore index raises a :class:`DataError` naming ``source``."""
        sample = packed.get('data_samples') if isinstance(packed, dict) else None
        if sample is None:
            return
        shape = tuple(sample.metainfo.get('ori_shape', ()) or ())[:2]
        if shape:
            self.sizes[shape] += 1
            self.example.setdefault(shape, source)
        if 'gt_sem_seg' not in sample:
            return
        labels = sample.gt_sem_seg.data.cpu().numpy().reshape(-1)
        values, counts = np.unique(labels, return_counts=True)
        n = len(self.classes)
        bad = [int(v) for v in values if not (0 <= v < n) and v != self.ignore_index]
        if bad:
            raise DataError(sample.metainfo.get('seg_map_path') or source,
                            f'label value(s) {bad[:5]} are neither one of the {n} classes '
                            f'(0..{n - 1}) nor the ignore index {self.ignore_index}')
        for v, c in zip(values.tolist(), counts.tolist()):
            if v == self.ignore_index:
                self.ignored += c
            else:
                self.counts[v] += c
        self.labelled_samples += 1

    def report(self, report: CheckReport, where: str, train: bool) -> None:
        """Add the counts as notes, and what looks wrong as problems or warnings."""
        if len(self.sizes) > 1:
            common, _ = self.sizes.most_common(1)[0]
            for shape, num in sorted(self.sizes.items()):
                if shape != common:
                    report.warnings.append(
                        f'{num} image(s) are {shape[0]}x{shape[1]} while most are '
                        f'{common[0]}x{common[1]} (e.g. {self.example[shape]})')
        if not self.labelled_samples:
            return
        total = int(self.counts.sum()) + self.ignored
        parts = [f'{name} {int(c)} ({100.0 * c / max(total, 1):.1f} %)'
                 for name, c in zip(self.classes, self.counts)]
        parts.append(f'ignore ({self.ignore_index}) {self.ignored} '
                     f'({100.0 * self.ignored / max(total, 1):.1f} %)')
        report.notes.append('label pixels: ' + ', '.join(parts))
        hint = ''
        if self.ignored:
            hint = (f'; {self.ignored} pixels are the ignore index {self.ignore_index}: masks '
                    'stored as 0/255 read with LoadAnnotations make every foreground pixel '
                    'ignore (use LoadBinaryAnnotations, or store class indices 0/1)')
        if self.counts.sum() == 0:
            report.problems.append(f'{where}: every label pixel of this split is the ignore '
                                   f'index {self.ignore_index}: nothing to learn or score{hint}')
            return
        for name, c in zip(self.classes, self.counts):
            if c == 0:
                msg = f'{where}: class {name!r} never occurs in the labels of this split{hint}'
                (report.problems if train or hint else report.warnings).append(msg)


def _ignore_index(cfg: Config) -> int:
    head = cfg.get('model', {}).get('decode_head', {})
    head = head[0] if isinstance(head, (list, tuple)) and head else head
    return int(head.get('ignore_index', 255)) if isinstance(head, dict) else 255


def check_mm_config(cfg: Config, splits: Sequence[str] = ('train', 'val', 'test'),
                    max_errors: int = 20, progress: bool = True,
                    ignore_index: Optional[int] = None) -> List[CheckReport]:
    """Build each split's dataset (listing every problem its files have) and run its pipeline
    over every sample, counting label pixels per class."""
    from mmseg.registry import DATASETS
    ignore = _ignore_index(cfg) if ignore_index is None else ignore_index
    reports = []
    for split, ds_cfg in _dataset_cfgs(cfg, splits):
        where = ds_cfg.get('data_root') or '?'
        report = CheckReport(f'{split} ({ds_cfg.get("type")}, {ds_cfg.get("data_root", "")})')
        reports.append(report)
        ds_cfg = copy.deepcopy(ds_cfg)
        kind = ds_cfg.get('type')
        if getattr(kind, '__name__', kind) in COLLECTING_DATASETS:
            ds_cfg['collect_problems'] = True
            ds_cfg['serialize_data'] = False  # every sample may be left out: nothing to pack
        try:
            dataset = DATASETS.build(ds_cfg)
            dataset.full_init()
        except Exception as e:  # noqa: BLE001
            report.problems.append(describe(e, where))
            continue
        report.problems.extend(str(p) for p in getattr(dataset, 'problems', []))
        if len(dataset) == 0:
            if not report.problems:
                report.problems.append(f'{where}: the dataset is empty')
            continue
        stats = LabelStats(dataset.metainfo.get('classes') or (), ignore)

        def source(i: int, dataset=dataset) -> str:
            info = dataset.get_data_info(i)
            return info.get('img_path') or info.get('seg_map_path') or f'sample {i}'

        def read(i: int, dataset=dataset, stats=stats) -> None:
            stats.add(dataset.pipeline(dataset.get_data_info(i)), source(i))

        check_samples(report, len(dataset), read, source, max_errors, progress)
        if not report.truncated:
            stats.report(report, where, split == 'train')
    return reports

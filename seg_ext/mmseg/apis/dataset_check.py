"""``tools/check_dataset.py`` for mmseg configs: every sample of every split read once, the way
training reads it, and every problem listed with its file."""
from typing import Iterable, List, Sequence

from mmengine.config import Config

from ...core.reporting import CheckReport, check_samples, describe


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


def check_mm_config(cfg: Config, splits: Sequence[str] = ('train', 'val', 'test'),
                    max_errors: int = 20, progress: bool = True) -> List[CheckReport]:
    """Build each split's dataset and run its pipeline over every sample."""
    from mmseg.registry import DATASETS
    reports = []
    for split, ds_cfg in _dataset_cfgs(cfg, splits):
        report = CheckReport(f'{split} ({ds_cfg.get("type")}, {ds_cfg.get("data_root", "")})')
        reports.append(report)
        try:
            dataset = DATASETS.build(ds_cfg)
            dataset.full_init()
        except Exception as e:  # noqa: BLE001
            report.problems.append(describe(e, f'{ds_cfg.get("data_root", "?")}'))
            continue
        if len(dataset) == 0:
            report.problems.append(f'{ds_cfg.get("data_root", "?")}: the dataset is empty')
            continue

        def read(i: int, dataset=dataset) -> None:
            dataset.pipeline(dataset.get_data_info(i))

        def source(i: int, dataset=dataset) -> str:
            info = dataset.get_data_info(i)
            return info.get('img_path') or info.get('seg_map_path') or f'sample {i}'

        check_samples(report, len(dataset), read, source, max_errors, progress)
    return reports

"""Read every sample of a config's datasets once, before training, and list every problem
(``tools/check_dataset.py``): the errors training would stop at, all at once, each naming its file.
"""
from dataclasses import dataclass, field
from typing import Callable, Iterable, List, Optional, Sequence

from mmengine.config import Config
from mmengine.utils import ProgressBar

from ..utils.errors import DataError


@dataclass
class CheckReport:
    """What checking one dataset found."""
    name: str
    samples: int = 0
    problems: List[str] = field(default_factory=list)
    truncated: bool = False

    @property
    def ok(self) -> bool:
        return not self.problems

    def summary(self) -> str:
        more = ' (stopped early, --max-errors)' if self.truncated else ''
        head = f'{self.name}: {self.samples} samples, {len(self.problems)} problem(s){more}'
        return '\n'.join([head] + [f'  {p}' for p in self.problems])


def describe(exc: BaseException, fallback: str) -> str:
    """One line for an exception: DataErrors already start with the file; others get one."""
    if isinstance(exc, DataError):
        return str(exc)
    return f'{fallback}: {type(exc).__name__}: {exc}'


def check_samples(report: CheckReport, n: int, read: Callable[[int], None],
                  source: Callable[[int], str], max_errors: int, progress: bool = True) -> None:
    """Call ``read(i)`` for every sample, recording failures (``source(i)`` names the sample)."""
    bar = ProgressBar(n) if progress and n > 0 else None
    for i in range(n):
        try:
            read(i)
            report.samples += 1
        except Exception as e:  # noqa: BLE001  every problem is reported, then the tool fails
            report.samples += 1
            report.problems.append(describe(e, source(i)))
            if len(report.problems) >= max_errors:
                report.truncated = True
                break
        finally:
            if bar is not None:
                bar.update()
    if bar is not None:
        print(flush=True)


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


def run_checks(reports: List[CheckReport], out: Optional[Callable[[str], None]] = print) -> bool:
    """Print the reports; True when everything is fine."""
    for r in reports:
        out(r.summary())
    ok = all(r.ok for r in reports)
    out('all datasets OK' if ok else 'problems found: fix the files above (each line names one)')
    return ok

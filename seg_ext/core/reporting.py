"""What the tools print and write: dataset-check reports, metric tables, metrics JSON."""
import json
import math
import os
import os.path as osp
from dataclasses import dataclass, field
from typing import Callable, Dict, List, Optional

from .errors import DataError


@dataclass
class CheckReport:
    """What checking one dataset found: ``problems`` (each fails the check), ``warnings``
    (worth a look, e.g. a class that never occurs) and ``notes`` (facts, e.g. pixel counts)."""
    name: str
    samples: int = 0
    problems: List[str] = field(default_factory=list)
    truncated: bool = False
    notes: List[str] = field(default_factory=list)
    warnings: List[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def summary(self) -> str:
        more = ' (stopped early, --max-errors)' if self.truncated else ''
        head = f'{self.name}: {self.samples} samples, {len(self.problems)} problem(s){more}'
        return '\n'.join([head] + [f'  {n}' for n in self.notes]
                         + [f'  warning: {w}' for w in self.warnings]
                         + [f'  {p}' for p in self.problems]
                         + ([f'  {len(self.problems)} problem(s) in {self.name}']
                            if self.problems else []))


def describe(exc: BaseException, fallback: str) -> str:
    """One line for an exception: DataErrors already start with the file; others get one."""
    if isinstance(exc, DataError):
        return str(exc)
    return f'{fallback}: {type(exc).__name__}: {exc}'


def check_samples(report: CheckReport, n: int, read: Callable[[int], None],
                  source: Callable[[int], str], max_errors: int, progress: bool = True) -> None:
    """Call ``read(i)`` for every sample, recording failures (``source(i)`` names the sample)."""
    from tqdm import tqdm
    for i in tqdm(range(n), desc=report.name, disable=not progress or n == 0, leave=False):
        try:
            read(i)
        except Exception as e:  # noqa: BLE001  every problem is reported, then the tool fails
            report.problems.append(describe(e, source(i)))
            if len(report.problems) >= max_errors:
                report.truncated = True
                report.samples += 1
                break
        report.samples += 1


def run_checks(reports: List[CheckReport], out: Optional[Callable[[str], None]] = print) -> bool:
    """Print the reports; True when everything is fine."""
    for r in reports:
        out(r.summary())
    ok = all(r.ok for r in reports)
    total = sum(len(r.problems) for r in reports)
    out('all datasets OK' if ok else f'{total} problem(s) found: fix the files above (each line '
        'names one)')
    return ok


def metrics_table(metrics: Dict[str, float]) -> str:
    """Summary metrics as a table: the scores first, then per-class values, then timing."""
    from prettytable import PrettyTable
    summary = {k: v for k, v in metrics.items() if '.' not in k}
    per_class = {k: v for k, v in metrics.items() if '.' in k}
    table = PrettyTable(['metric', 'value'])
    table.align['metric'] = 'l'
    for k, v in summary.items():
        table.add_row([k, v])
    text = table.get_string()
    if per_class:
        names = list(dict.fromkeys(k.split('.', 1)[1] for k in per_class))
        kinds = list(dict.fromkeys(k.split('.', 1)[0] for k in per_class))
        pc = PrettyTable(['class'] + kinds)
        pc.align['class'] = 'l'
        for n in names:
            pc.add_row([n] + [per_class.get(f'{kind}.{n}', '') for kind in kinds])
        text += '\n' + pc.get_string()
    return text


def dump_metrics(metrics: Dict[str, float], path: str) -> str:
    """Write metrics as JSON (creating the folder) and return the path. Undefined values (NaN,
    e.g. the IoU of a class absent from both ground truth and predictions) become ``null``."""
    os.makedirs(osp.dirname(osp.abspath(path)), exist_ok=True)

    def value(v):
        if isinstance(v, (int, float)):
            return float(v) if math.isfinite(float(v)) else None
        return v

    with open(path, 'w') as f:
        json.dump({k: value(v) for k, v in metrics.items()}, f, indent=2, allow_nan=False)
    return path

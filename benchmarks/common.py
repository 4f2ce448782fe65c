"""Timing helpers for same-process, interleaved comparisons (``tools/analysis_tools/benchmark.py``).

Kept outside the installable package: only the benchmark CLI uses them.

The field's tools where they fit: results print as ``torch.utils.benchmark``'s ``Compare`` tables
(built from its ``Measurement``s), micro-benchmarks use its ``Timer.blocked_autorange``, and CPU
time, load, cores and RSS come from ``psutil``. What they lack is kept here, each for one
reason: **interleaved rounds** (``Timer`` times one statement at a time, with two warm-up calls
before every measurement; two implementations
measured one after the other drift apart on a shared machine -- another job starts, the CPU clocks
down -- so candidates run A, B, then B, A, ... after a warm-up, and medians are taken over the
rounds), the **disturbed-run flag** (:func:`other_load`: CPU time other processes took meanwhile,
which neither tool reports) and the **allocator re-exec** (:func:`steady_allocator_env`: glibc
settings that must be in the environment before the process starts). FLOPs follow one convention
throughout: a multiply-add is **two** FLOPs (so that a model's FLOPs and ``torch.mm``'s
``2·m·k·n`` are comparable); mmengine's complexity analysis counts it as one and is converted with
:func:`train_step_flops`.
"""
import os
import os.path as osp
import platform
import re
import statistics
import sys
import time
from math import inf
from typing import Any, Callable, Dict, List, Mapping, Optional, Sequence

import psutil
import torch
from torch.utils.benchmark import Compare, Measurement
from torch.utils.benchmark.utils.common import TaskSpec

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
Clock = Callable[[], float]


def summarize(times: Sequence[float]) -> Dict[str, Any]:
    """Median, mean, min and max of ``times`` (seconds), with the raw values for the JSON."""
    if not times:
        raise ValueError('no timings to summarize')
    return dict(median_s=statistics.median(times), mean_s=statistics.fmean(times),
                min_s=min(times), max_s=max(times), n=len(times), times_s=list(times))


def interleaved_timing(fns: Mapping[str, Callable[[int], Any]], repeat: int, iters: int = 1,
                       warmup: int = 1, clock: Clock = time.perf_counter,
                       sync: Optional[Callable[[], None]] = None,
                       on_round: Optional[Callable[[int, Dict[str, float]], None]] = None
                       ) -> Dict[str, Dict[str, Any]]:
    """Time several candidates in interleaved rounds; seconds per iteration, median over rounds.

    Each candidate is a callable ``fn(n)`` that runs ``n`` iterations. It is first called once with
    ``warmup`` iterations (not recorded), then ``repeat`` rounds call every candidate with
    ``iters`` iterations, the order rotating from round to round (A B C, B C A, C A B, ...) so that
    no candidate always follows the same one. A candidate may time itself: if ``fn`` returns a
    float (not a bool) it is taken as the duration of its ``n`` iterations (e.g. measured by hooks
    inside a training loop, excluding its set-up); otherwise the ``clock`` around the call is used,
    after ``sync()`` (pass ``torch.cuda.synchronize`` on a GPU).

    Returns ``{name: summarize(per-round seconds per iteration)}``; ``on_round(r, {name: s/it})``
    is called after each round (progress output).
    """
    if repeat < 1 or iters < 1:
        raise ValueError(f'repeat and iters must be >= 1, got {repeat} and {iters}')
    names = list(fns)
    if warmup > 0:
        for name in names:
            fns[name](warmup)
            if sync is not None:
                sync()
    times: Dict[str, List[float]] = {name: [] for name in names}
    for r in range(repeat):
        shift = r % len(names)
        current = {}
        for name in names[shift:] + names[:shift]:
            out, elapsed = timed_call(fns[name], iters, clock, sync)
            if isinstance(out, float) and not isinstance(out, bool):
                elapsed = out
            current[name] = elapsed / iters
            times[name].append(current[name])
        if on_round is not None:
            on_round(r, {name: current[name] for name in names})
    return {name: summarize(ts) for name, ts in times.items()}


def timed_call(fn: Callable[[int], Any], n: int, clock: Clock = time.perf_counter,
               sync: Optional[Callable[[], None]] = None) -> tuple:
    """``(fn(n)'s return value, seconds)`` of exactly one call (``sync()`` inside the timed
    region, e.g. ``torch.cuda.synchronize``). Not ``Timer.timeit``: it always runs two warm-up
    calls first, which would triple every interleaved round (seconds per training step)."""
    t0 = clock()
    out = fn(n)
    if sync is not None:
        sync()
    return out, clock() - t0


def timer_seconds(fn: Callable[[], Any], clock: Clock = time.perf_counter) -> float:
    """Wall time of one call of ``fn`` (a cold first call, which no repetition can measure)."""
    return timed_call(lambda n: fn(), 1, clock)[1]


def compare_table(stats: Mapping[str, Mapping[str, Any]], label: str,
                  description: str = 'interleaved rounds') -> str:
    """``torch.utils.benchmark.Compare``'s table of :func:`interleaved_timing` results (each
    round one measurement, times per iteration; median and spread per candidate)."""
    threads = torch.get_num_threads()
    ms = [Measurement(1, list(s['times_s']), TaskSpec(stmt=name, setup='', label=label,
                                                      sub_label=name, description=description,
                                                      num_threads=threads))
          for name, s in stats.items() if s.get('times_s')]
    compare = Compare(ms)
    return str(compare)


def ratio_of_medians(stats: Mapping[str, Mapping[str, Any]], numerator: str,
                     denominator: str) -> float:
    """``median(numerator) / median(denominator)`` from :func:`interleaved_timing`'s result."""
    return stats[numerator]['median_s'] / stats[denominator]['median_s']


def paired_ratio(stats: Mapping[str, Mapping[str, Any]], numerator: str,
                 denominator: str) -> float:
    """Median over rounds of the per-round ratio: robust to load that changes between rounds."""
    a, b = stats[numerator]['times_s'], stats[denominator]['times_s']
    return statistics.median(x / y for x, y in zip(a, b))


def matmul_flops(m: int, k: int, n: int) -> float:
    """FLOPs of an ``(m, k) @ (k, n)`` product: ``2·m·k·n`` (a multiply-add is two FLOPs)."""
    return 2.0 * m * k * n


def train_step_flops(forward_macs: float, batch_size: int = 1,
                     backward_factor: float = 2.0) -> float:
    """FLOPs of one training step from the forward multiply-adds of one image (mmengine's count).

    Convention: backward costs ``backward_factor`` × forward (2: gradients w.r.t. the inputs and
    the weights), so a step is ``(1 + backward_factor)`` forwards; a multiply-add is two FLOPs.
    The optimizer update and the losses are not counted.
    """
    return 2.0 * forward_macs * (1.0 + backward_factor) * batch_size


def flops_per_second(flops: float, seconds: float) -> float:
    """Achieved FLOP/s of ``flops`` done in ``seconds``."""
    if seconds <= 0:
        raise ValueError(f'seconds must be > 0, got {seconds}')
    return flops / seconds


def matmul_benchmark_fn(n: int = 2048, dtype: torch.dtype = torch.float32,
                        device: str = 'cpu') -> Callable[[int], None]:
    """A ``fn(iters)`` for :func:`interleaved_timing`: ``iters`` dense ``n×n @ n×n`` products
    into a preallocated output (FLOPs per call: ``matmul_flops(n, n, n)``)."""
    gen = torch.Generator().manual_seed(0)
    a = torch.rand(n, n, generator=gen, dtype=dtype).to(device)
    b = torch.rand(n, n, generator=gen, dtype=dtype).to(device)
    out = torch.empty(n, n, dtype=dtype, device=device)

    def run(iters: int) -> None:
        for _ in range(iters):
            torch.mm(a, b, out=out)
    return run


def conv_flops(batch: int, in_channels: int, out_channels: int, height: int, width: int,
               kernel: int = 3) -> float:
    """FLOPs of a stride-1, 'same'-padded ``kernel×kernel`` convolution (2 per multiply-add)."""
    return 2.0 * batch * out_channels * height * width * in_channels * kernel * kernel


def conv_benchmark_fn(batch: int = 16, channels: int = 64, size: int = 64, kernel: int = 3,
                      device: str = 'cpu') -> Callable[[int], None]:
    """A ``fn(iters)``: ``iters`` fp32 ``kernel×kernel`` convolutions ``channels → channels`` on
    ``(batch, channels, size, size)`` (FLOPs per call: :func:`conv_flops`), the convolution
    backend's best case (on CPU oneDNN, which need not use the same kernels as ``torch.mm``)."""
    gen = torch.Generator().manual_seed(0)
    x = torch.rand(batch, channels, size, size, generator=gen).to(device)
    w = torch.rand(channels, channels, kernel, kernel, generator=gen).to(device)

    def run(iters: int) -> None:
        with torch.no_grad():
            for _ in range(iters):
                torch.nn.functional.conv2d(x, w, padding=kernel // 2)
    return run


def cpu_model(cpuinfo: str = '/proc/cpuinfo') -> str:
    """The CPU's model name from ``/proc/cpuinfo`` (``platform.processor()`` elsewhere; psutil
    has no model name)."""
    try:
        with open(cpuinfo) as f:
            for line in f:
                if line.lower().startswith('model name'):
                    return line.split(':', 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def cpu_seconds(times: Any = None, own: Any = None) -> Optional[Dict[str, float]]:
    """CPU seconds so far (``psutil``): ``busy`` (all CPUs, every state but idle, iowait and
    steal), ``steal`` (taken by the hypervisor for other VMs) and ``own`` (this process and its
    waited-for children). ``times`` / ``own``: ``psutil.cpu_times()`` /
    ``psutil.Process().cpu_times()`` readings (for tests); None where psutil cannot tell."""
    try:
        t = times if times is not None else psutil.cpu_times()
        p = own if own is not None else psutil.Process().cpu_times()
    except (psutil.Error, OSError):
        return None
    steal = getattr(t, 'steal', 0.0)
    busy = sum(t) - t.idle - getattr(t, 'iowait', 0.0) - steal \
        - getattr(t, 'guest', 0.0) - getattr(t, 'guest_nice', 0.0)  # guest is in user/nice
    return dict(busy=busy, steal=steal,
                own=p.user + p.system + p.children_user + p.children_system)


def other_load(before: Optional[Dict[str, float]], after: Optional[Dict[str, float]],
               wall_s: float, cpus: Optional[int] = None) -> Optional[Dict[str, float]]:
    """How much of the machine others used between two :func:`cpu_seconds` readings: the CPU
    time of all other processes and the hypervisor's steal, as fractions of ``wall_s × cpus``.
    A clean measurement has both near 0; at 0.5 on 2 CPUs another job held a whole core."""
    if before is None or after is None or wall_s <= 0:
        return None
    capacity = wall_s * (cpus or os.cpu_count() or 1)
    other = (after['busy'] - before['busy']) - (after['own'] - before['own'])
    return dict(other_processes=max(other, 0.0) / capacity,
                steal=(after['steal'] - before['steal']) / capacity)


def load_average() -> Optional[List[float]]:
    """The 1, 5 and 15 minute load averages (other jobs on a shared machine), None if unknown."""
    try:
        return [round(x, 2) for x in psutil.getloadavg()]
    except (AttributeError, OSError):
        return None


# environment variables that change CPU timings: OpenMP's waiting, glibc's allocator
TIMING_ENV = ('OMP_WAIT_POLICY', 'OMP_NUM_THREADS', 'MALLOC_MMAP_THRESHOLD_',
              'MALLOC_TRIM_THRESHOLD_', 'MALLOC_ARENA_MAX', 'GLIBC_TUNABLES', 'LD_PRELOAD')


def machine_info(device: str = 'cpu') -> Dict[str, Any]:
    """What a timing depends on: CPU model, cores (visible to this process), torch threads and
    version, the device (with the GPU's name on CUDA) and the :data:`TIMING_ENV` variables set."""
    try:
        available = len(psutil.Process().cpu_affinity())
    except (AttributeError, psutil.Error):  # no affinity API (macOS)
        available = psutil.cpu_count()
    info = dict(cpu=cpu_model(), cores=psutil.cpu_count(), cores_available=available,
                torch_threads=torch.get_num_threads(), torch=torch.__version__, device=device,
                env={k: os.environ[k] for k in TIMING_ENV if k in os.environ})
    if device.startswith('cuda') and torch.cuda.is_available():
        info['gpu'] = torch.cuda.get_device_name(torch.device(device))
    return info


# --- reproducibility ------------------------------------------------------------------------
#: glibc settings that keep freed memory in the process instead of unmapping and faulting it in
#: again on every forward pass (up to 40 % of CPU inference time, and the main source of
#: run-to-run differences); both must be set (the trim threshold alone disables glibc's
#: adaptive mmap threshold and slows inference down).
STEADY_MALLOC_ENV = dict(MALLOC_MMAP_THRESHOLD_='4294967296', MALLOC_TRIM_THRESHOLD_='4294967296')


def steady_allocator_env(environ: Mapping[str, str]) -> Optional[Dict[str, str]]:
    """The environment to re-run the benchmark in (``None``: already set, or not glibc/Linux)."""
    if not sys.platform.startswith('linux') or any(k in environ for k in STEADY_MALLOC_ENV):
        return None
    return dict(environ, **STEADY_MALLOC_ENV)


def comparable_numbers(result: Any, prefix: str = '') -> Dict[str, float]:
    """Every ratio/fraction in a benchmark result (nested dicts), by dotted key: the numbers
    that two runs should agree on (absolute times depend on the machine's clock and load)."""
    out: Dict[str, float] = {}
    if isinstance(result, Mapping):
        for k, v in result.items():
            key = f'{prefix}.{k}' if prefix else str(k)
            if isinstance(v, (int, float)) and not isinstance(v, bool) and \
                    re.search(r'(^|[_ .])(ratio|fraction)', str(k)):  # not 'iterations'
                out[key] = float(v)
            elif isinstance(v, Mapping):
                out.update(comparable_numbers(v, key))
    return out


def compare_runs(a: Mapping[str, Any], b: Mapping[str, Any],
                 tolerance: float = 0.10) -> List[Dict[str, Any]]:
    """Per shared ratio: both values and the relative difference ``|a - b| / min(a, b)``;
    ``ok`` is False where it exceeds ``tolerance``."""
    na, nb = comparable_numbers(a), comparable_numbers(b)
    rows = []
    for key in sorted(set(na) & set(nb)):
        lo = min(abs(na[key]), abs(nb[key]))
        diff = abs(na[key] - nb[key]) / lo if lo > 0 else (0.0 if na[key] == nb[key] else inf)
        rows.append(dict(key=key, a=na[key], b=nb[key], rel_diff=diff, ok=diff <= tolerance))
    return rows


def progress(tag: str) -> Callable[[int, Dict[str, float]], None]:
    """Print one line per interleaved round: seconds per iteration of every candidate."""
    def report(r: int, times: Dict[str, float]) -> None:
        parts = ', '.join(f'{k} {v * 1000:.1f} ms' for k, v in times.items())
        print(f'[{tag}] round {r + 1}: {parts}', flush=True)
    return report


def print_table(head: List[str], rows: List[List[Any]]) -> str:
    """Print a Markdown table and return its text (stored in the JSON)."""
    lines = ['| ' + ' | '.join(head) + ' |', '|' + '---|' * len(head)]
    lines += ['| ' + ' | '.join(str(c) for c in row) + ' |' for row in rows]
    text = '\n'.join(lines)
    print(text, flush=True)
    return text

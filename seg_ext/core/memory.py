"""Process memory: the peak resident set size, resettable on Linux.

One implementation for the ``InferenceStatsHook`` (``peak_mem_MB`` next to the metrics) and the
benchmarks (which take the current RSS from ``psutil``). Kept here because neither tool has it:
``psutil`` reports no peak RSS, and Python's ``resource.getrusage`` gives the peak but cannot
reset it; Linux's ``VmHWM`` (``/proc/self/status``) can be reset through ``/proc/self/clear_refs``,
which a second measurement in the same process needs.
"""
import resource
import sys
from typing import Optional


def _status_kib(field: str, path: str = '/proc/self/status') -> Optional[float]:
    try:
        with open(path) as f:
            for line in f:
                if line.startswith(field + ':'):
                    return float(line.split()[1])
    except OSError:
        pass
    return None


def reset_peak_rss() -> bool:
    """Reset the process's peak RSS (``VmHWM``) to its current RSS; False where not supported
    (Linux >= 4.0: ``echo 5 > /proc/self/clear_refs``)."""
    try:
        with open('/proc/self/clear_refs', 'w') as f:
            f.write('5')
        return True
    except OSError:
        return False


def peak_rss_mb() -> float:
    """Peak RSS of this process in MiB: ``VmHWM`` (resettable), else ``getrusage``."""
    kib = _status_kib('VmHWM')
    if kib is not None:
        return kib / 1024
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return rss / 2**20 if sys.platform == 'darwin' else rss / 1024  # bytes on macOS, KiB on Linux

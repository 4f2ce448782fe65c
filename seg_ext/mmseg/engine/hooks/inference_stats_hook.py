"""Mean inference time per image and peak memory, reported next to the evaluation metrics."""
import time
from typing import Dict, Optional, Sequence

import torch
from mmengine.dist import all_reduce, get_world_size
from mmengine.hooks import Hook
from mmseg.registry import HOOKS

from ....core.memory import peak_rss_mb


def peak_memory_mb(device: torch.device) -> float:
    """Peak memory in MiB: CUDA max allocated since the last reset, else the process's peak RSS."""
    if device.type == 'cuda':
        return torch.cuda.max_memory_allocated(device) / 2**20
    return peak_rss_mb()


@HOOKS.register_module()
class InferenceStatsHook(Hook):
    """Add ``ms_per_img`` and ``peak_mem_MB`` to the val/test metrics.

    ``ms_per_img`` is the wall time of ``model.test_step`` plus the metric update per image (data
    loading excluded), averaged over all processes after ``warmup`` batches. ``peak_mem_MB`` is the
    peak CUDA memory allocated during the loop on GPU, or the process's peak resident set size on
    CPU (where no per-loop counter exists).

    The hook runs with the highest priority so that its keys reach the logger and the JSON dump.
    """

    priority = 'HIGHEST'

    def __init__(self, warmup: int = 1) -> None:
        self.warmup = warmup
        self._reset()

    def _reset(self) -> None:
        self._seconds = 0.0
        self._images = 0
        self._seen_iters = 0
        self._t0 = 0.0
        self._warm = (0.0, 0)

    @staticmethod
    def _device(runner) -> torch.device:
        try:
            return next(runner.model.parameters()).device
        except StopIteration:
            return torch.device('cpu')

    def _sync(self, runner) -> None:
        device = self._device(runner)
        if device.type == 'cuda':
            torch.cuda.synchronize(device)

    def _start_loop(self, runner) -> None:
        self._reset()
        device = self._device(runner)
        if device.type == 'cuda':
            torch.cuda.reset_peak_memory_stats(device)

    def _start_iter(self, runner) -> None:
        self._sync(runner)
        self._t0 = time.perf_counter()

    def _end_iter(self, runner, outputs: Optional[Sequence]) -> None:
        self._sync(runner)
        elapsed = time.perf_counter() - self._t0
        self._seen_iters += 1
        # skip warm-up batches (lazy init, allocator growth) when there are later ones to time
        if self._seen_iters <= self.warmup:
            self._warm = (elapsed, len(outputs or ()))
            return
        self._seconds += elapsed
        self._images += len(outputs or ())

    def _end_loop(self, runner, metrics: Optional[Dict[str, float]]) -> None:
        if metrics is None:
            return
        if self._images == 0 and self._seen_iters:  # every batch was warm-up: use it anyway
            self._seconds, self._images = self._warm
        totals = torch.tensor([self._seconds, float(self._images)], dtype=torch.float64)
        if get_world_size() > 1:
            all_reduce(totals)  # sum over processes: per-image latency of one process
        if totals[1] > 0:
            metrics['ms_per_img'] = round(float(totals[0] / totals[1]) * 1000, 3)
        metrics['peak_mem_MB'] = round(peak_memory_mb(self._device(runner)), 1)

    def before_val_epoch(self, runner) -> None:
        self._start_loop(runner)

    def before_test_epoch(self, runner) -> None:
        self._start_loop(runner)

    def before_val_iter(self, runner, batch_idx: int, data_batch=None) -> None:
        self._start_iter(runner)

    def before_test_iter(self, runner, batch_idx: int, data_batch=None) -> None:
        self._start_iter(runner)

    def after_val_iter(self, runner, batch_idx: int, data_batch=None, outputs=None) -> None:
        self._end_iter(runner, outputs)

    def after_test_iter(self, runner, batch_idx: int, data_batch=None, outputs=None) -> None:
        self._end_iter(runner, outputs)

    def after_val_epoch(self, runner, metrics: Optional[Dict[str, float]] = None) -> None:
        self._end_loop(runner, metrics)

    def after_test_epoch(self, runner, metrics: Optional[Dict[str, float]] = None) -> None:
        self._end_loop(runner, metrics)

import time
from types import SimpleNamespace

import torch

from seg_ext.mmseg.engine import InferenceStatsHook
from seg_ext.mmseg.engine.hooks.inference_stats_hook import peak_memory_mb


def fake_runner():
    return SimpleNamespace(model=torch.nn.Linear(2, 2))


def test_adds_time_per_image_after_warmup():
    hook, runner = InferenceStatsHook(warmup=1), fake_runner()
    hook.before_test_epoch(runner)
    for i, (delay, n) in enumerate([(0.2, 4), (0.02, 4), (0.02, 2)]):
        hook.before_test_iter(runner, i)
        time.sleep(delay)
        hook.after_test_iter(runner, i, outputs=[None] * n)
    metrics = {'mIoU': 50.0}
    hook.after_test_epoch(runner, metrics)
    # the slow warm-up batch is excluded: 0.04 s over 6 images ~ 6.7 ms per image
    assert 6.0 <= metrics['ms_per_img'] < 15.0
    assert metrics['peak_mem_MB'] > 10  # this process's peak RSS on CPU
    assert metrics['mIoU'] == 50.0


def test_single_batch_is_still_timed_and_val_loop_works():
    hook, runner = InferenceStatsHook(warmup=1), fake_runner()
    hook.before_val_epoch(runner)
    hook.before_val_iter(runner, 0)
    time.sleep(0.05)
    hook.after_val_iter(runner, 0, outputs=[None] * 5)
    metrics = {}
    hook.after_val_epoch(runner, metrics)
    assert 9.0 <= metrics['ms_per_img'] < 30.0


def test_priority_runs_before_runtime_info_hook():
    from mmengine.hooks import RuntimeInfoHook
    from mmengine.runner.priority import get_priority
    assert get_priority(InferenceStatsHook.priority) < get_priority(RuntimeInfoHook.priority)


def test_peak_memory_cpu():
    assert peak_memory_mb(torch.device('cpu')) > 10

"""Timing helpers of benchmarks/common.py, and tools/analysis_tools/benchmark.py's CLI."""
import importlib.util
import json
import os
import os.path as osp

import numpy as np
import pytest
import torch

from benchmarks import common as bm
from benchmarks.metric import synthetic_predictions

from conftest import repo_path


class FakeClock:
    """A clock that only moves when a candidate says how long it took."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def load_tool():
    spec = importlib.util.spec_from_file_location(
        'benchmark_tool', repo_path('tools', 'analysis_tools', 'benchmark.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_interleaved_timing_rotates_order_skips_warmup_and_takes_medians():
    clock = FakeClock()
    calls, rounds = [], []
    # per-iteration cost of A by round: 2, 2, 8 (one disturbed round); B always 1
    cost_a = iter([0.5, 2.0, 2.0, 8.0])  # the first value is the warm-up

    def a(n):
        calls.append(('a', n))
        clock.now += next(cost_a) * n

    def b(n):
        calls.append(('b', n))
        clock.now += 1.0 * n

    stats = bm.interleaved_timing(dict(a=a, b=b), repeat=3, iters=4, warmup=2, clock=clock,
                                  on_round=lambda r, t: rounds.append((r, t)))
    # warm-up once each with `warmup` iterations, then A B / B A / A B with `iters`
    assert calls == [('a', 2), ('b', 2), ('a', 4), ('b', 4), ('b', 4), ('a', 4), ('a', 4),
                     ('b', 4)]
    assert set(stats) == {'a', 'b'}
    assert set(stats['a']) == {'median_s', 'mean_s', 'min_s', 'max_s', 'n', 'times_s'}
    assert stats['a']['times_s'] == [2.0, 2.0, 8.0]  # warm-up not recorded, per iteration
    assert stats['a']['median_s'] == 2.0 and stats['a']['mean_s'] == 4.0
    assert stats['b']['median_s'] == 1.0 and stats['b']['n'] == 3
    assert bm.ratio_of_medians(stats, 'a', 'b') == 2.0
    assert [r for r, _ in rounds] == [0, 1, 2] and rounds[2][1] == dict(a=8.0, b=1.0)
    table = bm.compare_table(stats, 'toy')  # torch.utils.benchmark.Compare's table
    assert ' toy ' in table and 'interleaved rounds' in table and 'seconds (s)' in table
    rows = {line.split('|')[0].strip(): line.split('|')[1].strip()
            for line in table.splitlines() if '|' in line}
    assert rows['a'] and rows['b'] and float(rows['a']) > float(rows['b'])  # medians 2 s vs 1 s


def test_self_timed_candidate_and_paired_ratio():
    clock = FakeClock()

    def loop(n):  # spends 10 s of set-up but reports only its iterations
        clock.now += 10.0 + 0.5 * n
        return 0.5 * n

    def plain(n):
        clock.now += 0.25 * n

    stats = bm.interleaved_timing(dict(loop=loop, plain=plain), repeat=2, iters=2, warmup=0,
                                  clock=clock)
    assert stats['loop']['times_s'] == [0.5, 0.5]
    assert bm.ratio_of_medians(stats, 'loop', 'plain') == 2.0
    # paired ratio = median of per-round ratios, ratio of medians need not equal it
    stats = dict(a=dict(times_s=[2.0, 4.0, 6.0], median_s=4.0),
                 b=dict(times_s=[1.0, 1.0, 2.0], median_s=1.0))
    assert bm.paired_ratio(stats, 'a', 'b') == 3.0
    assert bm.ratio_of_medians(stats, 'a', 'b') == 4.0


def test_timing_rejects_bad_arguments():
    with pytest.raises(ValueError):
        bm.interleaved_timing(dict(a=lambda n: None), repeat=0)
    with pytest.raises(ValueError):
        bm.summarize([])
    with pytest.raises(ValueError):
        bm.flops_per_second(1.0, 0.0)


def test_flop_counts():
    assert bm.matmul_flops(2048, 2048, 2048) == 2 * 2048**3
    assert bm.matmul_flops(2, 3, 4) == 48
    # 1 GMAC forward per image, batch 16: 16 * 3 passes * 2 FLOPs per MAC
    assert bm.train_step_flops(1e9, batch_size=16) == 96e9
    assert bm.train_step_flops(10, backward_factor=1.0) == 40
    assert bm.flops_per_second(96e9, 2.0) == 48e9
    # 3x3 conv 2 -> 3 channels on 4x5: 60 outputs x 18 multiply-adds x 2
    assert bm.conv_flops(1, 2, 3, 4, 5) == 2160
    assert bm.conv_flops(2, 2, 3, 4, 5, kernel=1) == 480


def test_conv_benchmark_fn_runs():
    stats = bm.interleaved_timing(dict(conv=bm.conv_benchmark_fn(1, 4, 8)), repeat=1, iters=1)
    assert stats['conv']['n'] == 1 and stats['conv']['median_s'] > 0


def test_matmul_benchmark_fn_computes_the_product():
    fn = bm.matmul_benchmark_fn(8)
    stats = bm.interleaved_timing(dict(mm=fn), repeat=2, iters=3, warmup=1)
    assert stats['mm']['median_s'] > 0
    assert bm.flops_per_second(bm.matmul_flops(8, 8, 8), stats['mm']['median_s']) > 0


def test_machine_info_and_cpu_model(tmp_path, monkeypatch):
    monkeypatch.setenv('OMP_WAIT_POLICY', 'PASSIVE')
    cpuinfo = tmp_path / 'cpuinfo'
    cpuinfo.write_text('processor\t: 0\nmodel name\t: Test CPU 9000\nflags\t: fpu\n')
    assert bm.cpu_model(str(cpuinfo)) == 'Test CPU 9000'
    info = bm.machine_info('cpu')
    assert info['torch_threads'] == torch.get_num_threads() and info['device'] == 'cpu'
    assert info['cores'] >= info['cores_available'] >= 1
    assert info['env']['OMP_WAIT_POLICY'] == 'PASSIVE'  # settings that change timings


def test_peak_rss_is_resettable_and_sees_an_allocation():
    """Run in a fresh interpreter: inside the test process the allocator's state (arenas other
    tests left behind) makes the RSS deltas unreliable."""
    import subprocess
    import sys
    code = (
        'import numpy as np, seg_ext.core.memory as bm\n'
        'if not bm.reset_peak_rss():\n    print("SKIP"); raise SystemExit\n'
        'before = bm.peak_rss_mb()\n'
        'block = np.ones(200 * 2**20, dtype=np.uint8)\n'
        'peak = bm.peak_rss_mb()\n'
        'del block\n'
        'print(peak - before, bm.reset_peak_rss(), peak - bm.peak_rss_mb())\n')
    out = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True,
                         timeout=120, cwd=osp.dirname(osp.dirname(osp.dirname(
                             osp.abspath(__file__))))).stdout.split()
    if out == ['SKIP']:
        pytest.skip('/proc/self/clear_refs not writable')
    grew, reset, dropped = float(out[0]), out[1] == 'True', float(out[2])
    assert grew > 150  # the 200 MiB block was seen
    assert reset and dropped > 100  # after the reset the peak is the current RSS again


def test_cpu_accounting_of_other_processes():
    from collections import namedtuple
    cpu = namedtuple('scputimes', 'user nice system idle iowait irq softirq steal guest '
                     'guest_nice')
    proc = namedtuple('pcputimes', 'user system children_user children_system iowait')
    # psutil readings in seconds; guest time is already counted in user
    now = bm.cpu_seconds(cpu(100, 0, 50, 800, 10, 0, 0, 5, 20, 0), proc(3, 1, 0.5, 0.5, 0))
    assert now == pytest.approx(dict(busy=150.0, steal=5.0, own=5.0))
    live = bm.cpu_seconds()
    assert live['busy'] > 0 and live['own'] > 0  # this process has run
    # 10 CPU-s busy in 2 s on 2 CPUs, 6 of them ours: others used 4 / (2 * 2)
    load = bm.other_load(dict(busy=10.0, own=2.0, steal=1.0), dict(busy=20.0, own=8.0, steal=1.4),
                         wall_s=2.0, cpus=2)
    assert load == pytest.approx(dict(other_processes=1.0, steal=0.1))
    assert bm.other_load(None, now, 1.0) is None


def _miou(samples) -> float:
    """mIoU (%) by hand: summed pixel counts, IoU of each class present, mean."""
    cm = np.zeros((2, 2))
    for s in samples:
        gt = s['gt_sem_seg']['data'].numpy().ravel()
        pred = s['pred_sem_seg']['data'].numpy().ravel()
        np.add.at(cm, (gt, pred), 1)
    tp = np.diag(cm)
    iou = tp / (cm.sum(0) + cm.sum(1) - tp)
    return float(np.round(np.nanmean(iou) * 100, 2))


def test_cli_metric_writes_json_and_both_metrics_agree(tmp_path, capsys):
    tool = load_tool()
    out_dir = str(tmp_path / 'bench')
    tool.main(['metric', '--num-images', '24', '--size', '33', '--batch-size', '5',
               '--repeat', '2', '--out-dir', out_dir])
    printed = capsys.readouterr().out
    assert '| SegMetric |' in printed and '| IoUMetric |' in printed
    assert '[metric] round 2:' in printed  # progress per round
    result = json.load(open(osp.join(out_dir, 'metric.json')))
    assert {'stats', 'values', 'ratio', 'paired_ratio', 'machine', 'command', 'table'} <= \
        set(result)
    for name in ('SegMetric', 'IoUMetric'):
        assert result['stats'][name]['n'] == 2 and result['stats'][name]['median_s'] > 0
    assert result['ratio'] == pytest.approx(result['stats']['SegMetric']['median_s']
                                            / result['stats']['IoUMetric']['median_s'])
    expected = _miou(synthetic_predictions(24, 33))
    assert 0 < expected < 100
    assert result['values']['SegMetric']['mIoU'] == expected
    assert result['values']['IoUMetric']['mIoU'] == pytest.approx(expected, abs=1e-4)
    assert {'FWIoU', 'TGS'} <= set(result['values']['SegMetric'])
    assert result['machine']['torch_threads'] == torch.get_num_threads()
    assert result['threads'] == 1  # --metric-threads default
    assert set(result['other_load']) == {'other_processes', 'steal'}


@pytest.mark.slow
def test_cli_train_and_ceiling_tiny(tmp_path):
    tool = load_tool()
    out_dir = str(tmp_path / 'bench')
    common = ['--batch-size', '2', '--repeat', '1', '--iters', '1', '--out-dir', out_dir]
    tool.main(['train', '--warmup', '1', '--num-batches', '1'] + common)
    result = json.load(open(osp.join(out_dir, 'train.json')))
    assert set(result['stats']) == {'plain', 'train_step', 'train_step_channels_last',
                                    'runner_loop'}
    assert result['ratio_channels_last_over_train_step'] == pytest.approx(
        result['stats']['train_step_channels_last']['median_s']
        / result['stats']['train_step']['median_s'])
    assert result['ratio_runner_over_plain'] == pytest.approx(
        result['stats']['runner_loop']['median_s'] / result['stats']['plain']['median_s'])
    tool.main(['ceiling', '--matmul-size', '256'] + common)
    result = json.load(open(osp.join(out_dir, 'ceiling.json')))
    assert 0 < result['fraction_of_matmul'] < 10
    assert set(result['stats']) == {'matmul', 'conv3x3', 'train_step', 'train_step_channels_last'}
    assert result['train_step_flops'] == pytest.approx(6 * 2 * result['forward_macs_per_image'])


def test_compare_runs_collects_nested_ratios_and_flags_differences():
    a = dict(ratio_runner_over_plain=1.0, stats=dict(unet=dict(memory_ratio_vs_mmseg=0.24,
                                                               img_per_s=137.0)),
             paired_fraction_of_conv3x3=0.46, table='| x |', repeat=7)
    b = dict(ratio_runner_over_plain=1.05, stats=dict(unet=dict(memory_ratio_vs_mmseg=0.20,
                                                               img_per_s=144.0)),
             paired_fraction_of_conv3x3=0.46, extra_ratio=3.0)
    assert bm.comparable_numbers(a) == {'ratio_runner_over_plain': 1.0,
                                        'stats.unet.memory_ratio_vs_mmseg': 0.24,
                                        'paired_fraction_of_conv3x3': 0.46}
    rows = {r['key']: r for r in bm.compare_runs(a, b, tolerance=0.10)}
    assert set(rows) == {'ratio_runner_over_plain', 'stats.unet.memory_ratio_vs_mmseg',
                         'paired_fraction_of_conv3x3'}  # img/s and unshared keys left out
    assert rows['ratio_runner_over_plain']['rel_diff'] == pytest.approx(0.05)
    assert rows['ratio_runner_over_plain']['ok']
    assert rows['stats.unet.memory_ratio_vs_mmseg']['rel_diff'] == pytest.approx(0.2)
    assert not rows['stats.unet.memory_ratio_vs_mmseg']['ok']
    assert rows['paired_fraction_of_conv3x3']['rel_diff'] == 0


def test_steady_allocator_env(monkeypatch):
    monkeypatch.setattr(bm.sys, 'platform', 'linux')
    env = bm.steady_allocator_env({'PATH': '/bin'})
    assert env == {'PATH': '/bin', **bm.STEADY_MALLOC_ENV}
    assert bm.steady_allocator_env({'MALLOC_MMAP_THRESHOLD_': '1'}) is None
    monkeypatch.setattr(bm.sys, 'platform', 'darwin')
    assert bm.steady_allocator_env({}) is None


def test_cli_compare_exit_status(tmp_path, capsys):
    tool = load_tool()
    for run, ratio in (('a', 0.27), ('b', 0.28), ('c', 0.35)):
        os.makedirs(tmp_path / run)
        json.dump(dict(ratio=ratio, paired_ratio=ratio), open(tmp_path / run / 'metric.json', 'w'))
    with pytest.raises(SystemExit) as e:
        tool.main(['compare', str(tmp_path / 'a'), str(tmp_path / 'b')])
    assert e.value.code == 0
    out = capsys.readouterr().out
    assert '| metric.ratio | 0.270 | 0.280 | 3.7% | yes |' in out
    assert '2 of 2 ratios within 10%' in out
    with pytest.raises(SystemExit) as e:
        tool.main(['compare', str(tmp_path / 'a'), str(tmp_path / 'c')])
    assert e.value.code == 1 and '**no**' in capsys.readouterr().out


def test_tiling_probe_and_curve_tiny(tmp_path):
    from benchmarks.tiling import plot_memory_curve, tiling_probe
    r = tiling_probe(64, 32, 8)  # in this process: a fresh model, a random 64x64 pair
    assert r['windows'] == 9 and r['side'] == 64  # stride 24: 3x3 windows
    # the kernel's RSS counters are cached per thread (up to 64 pages each): peak and current
    # RSS agree to within a fraction of a MiB, not to the byte
    assert r['peak_mb'] >= r['base_mb'] - 1 and r['base_mb'] > 0 and r['inference_mb'] >= 0
    assert r['output_mb'] == pytest.approx(2 * 4 * 64 * 64 / 2**20)
    assert r['input_mb'] == pytest.approx(2 * 3 * 64 * 64 / 2**20)
    rows = [r, dict(r, side=128, peak_mb=r['peak_mb'] + 1)]
    png = plot_memory_curve(rows, str(tmp_path / 'curve.png'), 32, 8)
    assert osp.getsize(png) > 0


@pytest.mark.slow
def test_cli_tiling_tiny(tmp_path, capsys):
    tool = load_tool()
    out_dir = str(tmp_path / 'bench')
    tool.main(['tiling', '--sides', '96,64', '--tile', '32', '--overlap', '8', '--threads', '1',
               '--out-dir', out_dir])
    result = json.load(open(osp.join(out_dir, 'tiling.json')))
    sides = result['sides']
    assert [r['side'] for r in sides] == [64, 96]  # sorted, one fresh process each
    assert [r['windows'] for r in sides] == [9, 16]  # stride 24: 3x3 and 4x4 windows
    for r in sides:
        assert r['peak_mb'] >= r['base_mb'] - 1 and r['base_mb'] > 0 and r['inference_mb'] >= 0
        assert r['output_mb'] == pytest.approx(2 * 4 * r['side'] ** 2 / 2**20)
    assert sides[0]['peak_ratio_vs_smallest'] == 1.0
    assert sides[1]['peak_ratio_vs_smallest'] == pytest.approx(sides[1]['peak_mb']
                                                               / sides[0]['peak_mb'])
    assert osp.getsize(osp.join(out_dir, 'tiling_memory.png')) > 0
    assert '| 96² | 16 |' in capsys.readouterr().out


@pytest.mark.skipif(not importlib.util.find_spec('pydensecrf'), reason='needs pydensecrf2')
def test_cli_crf_and_curves_tiny(tmp_path, capsys):
    from PIL import Image
    tool = load_tool()
    out_dir = str(tmp_path / 'bench')
    common = ['--repeat', '1', '--threads', '1', '--out-dir', out_dir]
    tool.main(['crf', '--crf-sizes', '101x101 gray', '--crf-classes', '2', '3',
               '--crf-profile'] + common)
    result = json.load(open(osp.join(out_dir, 'crf.json')))
    assert [(r['case'], r['classes']) for r in result['rows']] == [('101x101 gray', 2),
                                                                  ('101x101 gray', 3)]
    for r in result['rows']:
        assert r['label_agreement'] >= 0.99 and r['pixels'] == 101 * 101
        assert r['ratio'] == pytest.approx(r['torch_s'] / r['pydensecrf_s'])
        assert ('profile' in r) == (r['ratio'] > 1.0)  # slower cells carry their profile
    assert '| 101x101 gray |' in result['grid'] and 'softmax' in result['softmax']['table']
    tool.main(['curves', '--curve-sides', '24', '40', '--curve-counts', '16', '48'] + common)
    result = json.load(open(osp.join(out_dir, 'curves.json')))
    assert [(p['classes'], p['side']) for p in result['crf']] == [(2, 24), (2, 40), (21, 24),
                                                                  (21, 40)]
    assert all(p['torch_s'] > 0 and p['pydensecrf_s'] > 0 for p in result['crf'])
    assert [p['images'] for p in result['eval']] == [16, 48]
    for name in ('crf_scaling.png', 'eval_scaling.png'):
        path = osp.join(out_dir, name)
        assert os.path.getsize(path) < 100 * 1024 and Image.open(path).size == (468, 306)
    printed = capsys.readouterr().out
    assert 'interleaved rounds' in printed  # torch.utils.benchmark's Compare table


def test_linear_fit_through_the_origin():
    from benchmarks.curves import linear_fit
    fit = linear_fit([1, 2, 4], [2.0, 4.0, 8.8])
    assert fit['slope'] == pytest.approx((2 + 8 + 35.2) / 21)
    assert fit['slope'] == pytest.approx(2.152, abs=1e-3)
    assert fit['max_rel_residual'] == pytest.approx(abs(2.0 - fit['slope']) / 2.0)


def test_real_photo_case_is_matplotlibs_photograph():
    """The real-photo CRF cell: grace_hopper.jpg (installed with matplotlib) and probabilities of
    its colour clusters: every class present, rows summing to one."""
    from benchmarks.crf import SIZES, crf_case
    image, probs = crf_case('real photo 600x512', 4)
    assert image.shape == SIZES['real photo 600x512'] and image.dtype == np.uint8
    assert probs.shape == (4, 600, 512)
    assert torch.allclose(probs.sum(0), torch.ones(600, 512), atol=1e-5)
    assert set(probs.argmax(0).unique().tolist()) == {0, 1, 2, 3}
    assert float(image.std()) > 20  # a photograph, not a flat image


def readme_benchmark_commands():
    """Every ``python tools/analysis_tools/benchmark.py ...`` command of the README -- bash blocks
    (continuation lines joined, comments dropped) and inline code spans (line breaks joined) --
    as argv lists after the script."""
    import re
    import shlex
    text = open(repo_path('README.md')).read()
    script = 'python tools/analysis_tools/benchmark.py '
    found = []
    for block in re.findall(r'```bash\n(.*?)```', text, flags=re.S):
        for line in block.replace('\\\n', ' ').splitlines():
            if line.startswith(script):
                found.append(line[len(script):].split('#')[0])
    prose = re.sub(r'```.*?```', '', text, flags=re.S)
    found += [span[len(script):] for span in
              (m.replace('\n', ' ') for m in re.findall(r'`([^`]+)`', prose))
              if span.startswith(script)]
    return [shlex.split(cmd) for cmd in found]


def test_readme_benchmark_commands_parse():
    """The README's benchmark commands (tables' reproduction lines) are valid for the tool."""
    tool = load_tool()
    cmds = readme_benchmark_commands()
    assert len(cmds) >= 8 and {'crf', 'compare', 'curves', 'train'} <= {c[0] for c in cmds}
    for argv in cmds:
        args = tool.parse_args(argv)
        assert args.command == argv[0]


@pytest.mark.skipif(not importlib.util.find_spec('pydensecrf'), reason='needs pydensecrf2')
def test_readme_crf_pair_and_compare_run(tmp_path, capsys):
    """The README's CRF run pair + compare, as written but cut to one small cell and one round."""
    tool = load_tool()
    crf_cmds = [c for c in readme_benchmark_commands() if c[0] == 'crf'
                and any(x.endswith(('crf_E', 'crf_F')) for x in c)]
    assert len(crf_cmds) == 2
    outs = []
    for argv in crf_cmds:
        argv = list(argv)
        out = str(tmp_path / osp.basename(argv[argv.index('--out-dir') + 1]))
        argv[argv.index('--out-dir') + 1] = out
        argv[argv.index('--repeat') + 1] = '1'
        tool.main(argv + ['--crf-sizes', '101x101 gray', '--crf-classes', '2'])
        outs.append(out)
    compare = next(c for c in readme_benchmark_commands()
                   if c[0] == 'compare' and c[1].endswith('crf_E'))
    assert [osp.basename(p) for p in compare[1:]] == [osp.basename(p) for p in outs]
    capsys.readouterr()
    with pytest.raises(SystemExit) as done:  # exit status: 0 when every ratio agrees, else 1
        tool.main(['compare'] + outs)
    printed = capsys.readouterr().out
    assert 'crf.ratios.ratio 101x101 gray x2' in printed
    assert done.value.code == (0 if '1 of 1 ratios within 10%' in printed else 1)

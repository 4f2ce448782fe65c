"""``onnx``: images/s of ONNX Runtime against PyTorch on the same exported computation.

For every mmseg-side model (salt U-Net / SegNet / FCN-8s at 101×101, Siamese and early-fusion
change U-Nets at 256×256 pairs) the graph of :func:`seg_ext.mmseg.apis.export.export_onnx` (raw
images in, probabilities out: normalisation, padding, network, crop, sigmoid) runs in an
onnxruntime CPU session and the same ``DeployableSegmentor`` in PyTorch (eval mode,
``torch.no_grad``), on the same random batch, interleaved in one process, with the same number
of threads. Random weights (the speed does not depend on them). Reported: img/s of each and the
ratio onnxruntime / PyTorch (> 1: onnxruntime is faster), after checking that both give the same
probabilities (max abs difference).
"""
import os.path as osp
import tempfile
from typing import Any, Callable, Dict

import numpy as np
import torch

from . import common as bm
from .common import ROOT, print_table, progress

ONNX_MODELS = [('configs/unet_salt_demo.py', (101, 101)),
               ('configs/segnet_salt_demo.py', (101, 101)),
               ('configs/fcn8s_salt_demo.py', (101, 101)),
               ('configs/changedet_levir_demo.py', (256, 256)),
               ('configs/changedet_levir_early_demo.py', (256, 256))]


def candidates(config: str, shape, batch_size: int, threads: int, work_dir: str
               ) -> Dict[str, Any]:
    """``{'pytorch': fn, 'onnxruntime': fn}`` for one model, and the max abs difference of
    their outputs on the benchmark batch."""
    from seg_ext.mmseg.apis.export import (
        DeployableSegmentor,
        deploy_spec,
        example_inputs,
        export_onnx,
    )
    from seg_ext.mmseg.apis.onnx_check import load_config, load_model
    from seg_ext.mmseg.apis.onnx_predictor import OnnxPredictor
    cfg = load_config(osp.join(ROOT, config))
    torch.manual_seed(0)
    model = load_model(cfg)
    spec = deploy_spec(cfg, model, shape)
    out = osp.join(work_dir, osp.splitext(osp.basename(config))[0] + '.onnx')
    export_onnx(model, spec, out)
    session = OnnxPredictor(out, threads=threads)
    wrapper = DeployableSegmentor(model, spec).eval()
    inputs = example_inputs(spec, batch=batch_size, seed=1)
    feeds = {n: x.numpy() for n, x in zip(spec['input_names'], inputs)}
    name = spec['output_name']

    def run_torch(iters: int) -> None:
        with torch.no_grad():
            for _ in range(iters):
                wrapper(*inputs)

    def run_ort(iters: int) -> None:
        for _ in range(iters):
            session.session.run([name], feeds)

    with torch.no_grad():
        ref = wrapper(*inputs).numpy()
    diff = float(np.abs(session.session.run([name], feeds)[0] - ref).max())
    return dict(fns=dict(pytorch=run_torch, onnxruntime=run_ort), max_abs_diff=diff)


def bench_onnx(args) -> Dict[str, Any]:
    """Run the comparison for every model of :data:`ONNX_MODELS`; returns the JSON result."""
    rows, results = [], {}
    with tempfile.TemporaryDirectory() as work_dir:
        for config, shape in ONNX_MODELS:
            batch = args.batch_size if shape[0] <= 128 else args.cd_batch_size
            c = candidates(config, shape, batch, args.threads, work_dir)
            fns: Dict[str, Callable[[int], None]] = c['fns']
            stats = bm.interleaved_timing(fns, args.repeat, args.iters, warmup=1,
                                          on_round=progress(osp.basename(config)))
            ips = {k: batch / v['median_s'] for k, v in stats.items()}
            ratio = bm.paired_ratio(stats, 'pytorch', 'onnxruntime')
            results[config] = dict(shape=list(shape), batch_size=batch, stats=stats,
                                   images_per_s=ips, ort_over_torch_speed_ratio=ratio,
                                   max_abs_diff=c['max_abs_diff'])
            rows.append([config, f'{shape[0]}x{shape[1]}', batch, f"{ips['pytorch']:.1f}",
                         f"{ips['onnxruntime']:.1f}", f'{ratio:.2f}',
                         f"{c['max_abs_diff']:.1e}"])
    table = print_table(['model', 'input', 'batch', 'PyTorch img/s', 'onnxruntime img/s',
                         'onnxruntime / PyTorch speed', 'max abs prob. diff'], rows)
    return dict(models=results, table=table, threads=args.threads)

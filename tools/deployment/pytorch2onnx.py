"""Export a seg_ext mmseg model to ONNX (normalisation, padding and sigmoid/softmax baked in) and
check it against mmseg with ONNX Runtime.

    python tools/deployment/pytorch2onnx.py configs/unet_salt_demo.py \
        --checkpoint work_dirs/unet_salt_demo/iter_400.pth --shape 101 101 \
        --output-file work_dirs/unet_salt_demo/unet_salt_demo.onnx --verify 8

Writes the ``.onnx`` and its sidecar ``.json`` (inputs, range, channels, classes, threshold).
``--verify N`` runs the first N images of the config's test set (``--data-root`` to point
elsewhere) through mmseg's test path and through ONNX Runtime and fails (exit 1) when a
probability differs by more than ``--tolerance`` (1e-4) or a label map differs -- unless, for a
max-unpooling model (SegNet), every difference comes from a near-tied pooling window decided the
other way by onnxruntime's rounding (it prints how many). Logic:
``seg_ext/mmseg/apis/export.py`` and ``onnx_check.py``.
"""
import argparse
import os
import os.path as osp
import sys

sys.path.insert(0, osp.join(osp.dirname(osp.abspath(__file__)), '..', '..'))

from seg_ext.core.cli import run_tool  # noqa: E402
from seg_ext.core.errors import DataError  # noqa: E402


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    p.add_argument('config')
    p.add_argument('--checkpoint', default=None, help='trained weights (default: as built)')
    p.add_argument('--shape', type=int, nargs=2, required=True, metavar=('H', 'W'),
                   help='input height and width (the images as loaded, e.g. 101 101 for TGS)')
    p.add_argument('--output-file', required=True)
    p.add_argument('--opset-version', type=int, default=17)
    p.add_argument('--verify', type=int, default=0, metavar='N',
                   help='compare with mmseg on the first N test images')
    p.add_argument('--data-root', default=None, help='test data root for --verify')
    p.add_argument('--tolerance', type=float, default=1e-4)
    return p.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    import seg_ext.mmseg  # noqa: F401
    from seg_ext.mmseg.apis.export import deploy_spec, export_onnx
    from seg_ext.mmseg.apis.onnx_check import (
        build_test_dataset,
        compare_with_mmseg,
        load_config,
        load_model,
    )
    cfg = load_config(args.config)
    model = load_model(cfg, args.checkpoint)
    spec = deploy_spec(cfg, model, args.shape)
    os.makedirs(osp.dirname(osp.abspath(args.output_file)), exist_ok=True)
    written = export_onnx(model, spec, args.output_file, opset=args.opset_version)
    print(f"exported {written['onnx']} (inputs {spec['input_names']}, "
          f"{spec['height']}x{spec['width']}, {spec['num_classes']} classes, "
          f"{spec['activation']}); sidecar {written['sidecar']}", flush=True)
    if args.verify:
        dataset = build_test_dataset(cfg, args.data_root)
        n = min(args.verify, len(dataset))
        r = compare_with_mmseg(args.output_file, model, dataset, list(range(n)))
        print(f"onnxruntime vs mmseg on {r['n']} images: max abs probability difference "
              f"{r['max_abs_diff']:.2e}, identical label maps {r['labels_equal']}/{r['n']}, "
              f"batch vs single runs {r['batch_max_abs_diff']:.2e}", flush=True)
        if r['max_abs_diff'] > args.tolerance or r['labels_equal'] != r['n']:
            explain_or_fail(args, model, spec, dataset, n)
    return written


def explain_or_fail(args, model, spec, dataset, n) -> None:
    """A max-unpooling model (SegNet) may differ only where onnxruntime's rounding decides a
    (nearly) tied pooling window the other way: then say so and pass, else fail."""
    from seg_ext.mmseg.apis.onnx_check import unpooling_ties
    ties = unpooling_ties(model, spec, dataset, list(range(n)))
    if ties is None or ties['max_abs_diff_same_choice'] > args.tolerance:
        raise DataError(args.output_file, 'does not reproduce mmseg (see above)')
    print(f"the differences come from {ties['flips']} of {ties['windows']} max-pooling windows "
          f"whose two largest values are within {ties['max_rel_gap']:.1e} (relative) of each "
          "other: onnxruntime's rounding picks the other one, and SegNet's unpooling follows it; "
          'with the same choices the graph reproduces PyTorch to '
          f"{ties['max_abs_diff_same_choice']:.1e} (README \"Export\")", flush=True)


if __name__ == '__main__':
    run_tool(main, sys.argv[1] if len(sys.argv) > 1 else None)

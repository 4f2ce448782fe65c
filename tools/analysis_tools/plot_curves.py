"""Plot the training loss and validation metrics of a work dir as a PNG.

    python tools/analysis_tools/plot_curves.py work_dirs/unet_salt [--out curves.png]
"""
import argparse
import os.path as osp

from seg_ext.core.curves import plot_curves


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('work_dir', help='work dir written by tools/train.py')
    parser.add_argument('--out', help='output PNG (default: <work_dir>/curves.png)')
    args = parser.parse_args()
    out = plot_curves(args.work_dir, args.out or osp.join(args.work_dir, 'curves.png'))
    print(f'curves written to {out}')


if __name__ == '__main__':
    main()

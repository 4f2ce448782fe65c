"""Write coverage-stratified k-fold split files for a TGS Salt folder (Kaggle layout).

    python tools/dataset_converters/tgs_salt_splits.py data/tgs_salt --folds 5 --seed 0

writes data/tgs_salt/splits/fold{k}_{train,val}.txt and folds.csv.
"""
import argparse
import os.path as osp
import sys

sys.path.insert(0, osp.join(osp.dirname(osp.abspath(__file__)), '..', '..'))

from seg_ext.core.cli import run_tool  # noqa: E402
from seg_ext.core.tgs_salt import write_tgs_splits  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('data_root', help='folder holding train/images, train.csv, ...')
    parser.add_argument('--folds', type=int, default=5, help='number of folds')
    parser.add_argument('--seed', type=int, default=0, help='shuffle seed')
    parser.add_argument('--bins', type=int, default=10, help='coverage bins (plus one for empty)')
    parser.add_argument('--out-dir', default='splits', help='sub-folder of data_root to write')
    args = parser.parse_args()
    info = write_tgs_splits(args.data_root, args.folds, args.seed, args.out_dir, args.bins)
    print(f"{info['num_samples']} samples, fold sizes {info['fold_sizes']}; wrote "
          f"{len(info['files'])} files under {args.data_root}/{args.out_dir}")


if __name__ == '__main__':
    run_tool(main)

"""Generate the embedded demo datasets in their real on-disk formats.

    python tools/misc/make_demo_data.py tgs data/tgs_salt_demo [--num-train 1200] [--seed 0]

``tgs``: synthetic seismic sections with salt in the TGS Salt Kaggle layout, followed by
coverage-stratified 5-fold split files.
``levir``: synthetic bi-temporal aerial scenes in the LEVIR-CD layout
(``{train,val,test}/{A,B,label}``).
``shapes``: scenes of circles/squares/triangles on water/grass/sand for Detectron2 (PennFudan
layout, COCO instances, COCO panoptic + Detectron2 stuff maps).

Generation is skipped when the folder is already complete (use --force to regenerate).
"""
import argparse
import os
import os.path as osp
import time

from seg_ext.core.synthetic import write_levir_dataset, write_shapes_dataset, write_tgs_dataset
from seg_ext.core.tgs_salt import write_tgs_splits


def make_tgs(args: argparse.Namespace) -> None:
    done = osp.join(args.out, 'splits', 'folds.csv')
    if osp.isfile(done) and not args.force:
        print(f'{args.out}: demo TGS data already present (use --force to regenerate)')
        return
    t0 = time.time()
    counts = write_tgs_dataset(args.out, args.num_train, args.num_test, args.seed,
                               channels=args.channels, write_masks=not args.rle_only)
    info = write_tgs_splits(args.out, num_folds=args.folds, seed=args.seed)
    print(f"{args.out}: {counts['train']} train images ({counts['empty']} without salt), "
          f"{counts['test']} test images, {args.folds} folds {info['fold_sizes']} "
          f'in {time.time() - t0:.1f}s')


def make_levir(args: argparse.Namespace) -> None:
    done = osp.join(args.out, 'test', 'label')
    if osp.isdir(done) and len(os.listdir(done)) == args.num_test and not args.force:
        print(f'{args.out}: demo LEVIR-CD data already present (use --force to regenerate)')
        return
    t0 = time.time()
    stats = write_levir_dataset(args.out, dict(train=args.num_train, val=args.num_val,
                                               test=args.num_test), args.seed, args.size)
    print(f'{args.out}: ' + ', '.join(f"{k} {v['pairs']} pairs ({v['unchanged']} unchanged)"
                                      for k, v in stats.items()) + f' in {time.time() - t0:.1f}s')


def make_shapes(args: argparse.Namespace) -> None:
    done = osp.join(args.out, 'annotations', 'panoptic_val.json')
    if osp.isfile(done) and not args.force:
        print(f'{args.out}: demo shapes data already present (use --force to regenerate)')
        return
    t0 = time.time()
    stats = write_shapes_dataset(args.out, dict(train=args.num_train, val=args.num_val),
                                 args.seed, args.size)
    print(f'{args.out}: ' + ', '.join(f"{k} {v['images']} images / {v['instances']} instances"
                                      for k, v in stats.items()) + f' in {time.time() - t0:.1f}s')


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    sub = parser.add_subparsers(dest='dataset', required=True)
    tgs = sub.add_parser('tgs', help='TGS Salt Kaggle layout')
    tgs.add_argument('out', help='output folder, e.g. data/tgs_salt_demo')
    tgs.add_argument('--num-train', type=int, default=1200)
    tgs.add_argument('--num-test', type=int, default=100)
    tgs.add_argument('--folds', type=int, default=5)
    tgs.add_argument('--seed', type=int, default=0)
    tgs.add_argument('--channels', type=int, default=3, choices=[1, 3],
                     help='store the grayscale images with 1 or 3 channels')
    tgs.add_argument('--rle-only', action='store_true',
                     help='write masks only as train.csv RLE (no train/masks folder)')
    tgs.add_argument('--force', action='store_true', help='regenerate even if present')
    tgs.set_defaults(func=make_tgs)
    levir = sub.add_parser('levir', help='LEVIR-CD layout (change detection)')
    levir.add_argument('out', help='output folder, e.g. data/levir_cd_demo')
    levir.add_argument('--num-train', type=int, default=320)
    levir.add_argument('--num-val', type=int, default=40)
    levir.add_argument('--num-test', type=int, default=60)
    levir.add_argument('--size', type=int, default=256, help='image size (LEVIR-CD: 1024)')
    levir.add_argument('--seed', type=int, default=0)
    levir.add_argument('--force', action='store_true', help='regenerate even if present')
    levir.set_defaults(func=make_levir)
    shapes = sub.add_parser('shapes', help='instance/panoptic scenes for Detectron2')
    shapes.add_argument('out', help='output folder, e.g. data/shapes_demo')
    shapes.add_argument('--num-train', type=int, default=800)
    shapes.add_argument('--num-val', type=int, default=100)
    shapes.add_argument('--size', type=int, default=128)
    shapes.add_argument('--seed', type=int, default=0)
    shapes.add_argument('--force', action='store_true', help='regenerate even if present')
    shapes.set_defaults(func=make_shapes)
    args = parser.parse_args()
    args.func(args)


if __name__ == '__main__':
    main()

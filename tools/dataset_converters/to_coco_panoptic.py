"""Convert semantic + instance masks to COCO panoptic (and the files Panoptic FPN trains on).

    python tools/dataset_converters/to_coco_panoptic.py ROOT SPLIT \
        --images ROOT/SPLIT/images --semantic ROOT/SPLIT/semantic --instances ROOT/SPLIT/instances \
        --categories categories.json [--instance-suffix _mask] [--divisor 1000]

Inputs per image ``<stem>``: ``semantic/<stem>.png`` (8-bit, values = category ids, 255 =
unlabelled) and ``instances/<stem><suffix>.png`` (8/16-bit, a distinct value per thing instance,
0 elsewhere). ``categories.json``: ``[{"id": 1, "name": "person", "isthing": 1}, ...]``.
Writes ``ROOT/annotations/panoptic_SPLIT.json`` + ``ROOT/panoptic_SPLIT/*.png`` (COCO panoptic),
``ROOT/annotations/instances_SPLIT.json`` (COCO instances) and ``ROOT/panoptic_stuff_SPLIT/*.png``
(Detectron2's separated stuff maps: things 0, stuff 1..S).
"""
import argparse
import json
import os.path as osp
import sys

sys.path.insert(0, osp.join(osp.dirname(osp.abspath(__file__)), '..', '..'))

from seg_ext.core.cli import run_tool  # noqa: E402
from seg_ext.core.coco import export_coco_instances, export_coco_panoptic  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('root')
    parser.add_argument('split')
    parser.add_argument('--images', required=True)
    parser.add_argument('--semantic', required=True)
    parser.add_argument('--instances', required=True)
    parser.add_argument('--categories', required=True, help='json list of categories')
    parser.add_argument('--instance-suffix', default='')
    parser.add_argument('--divisor', type=int, default=None,
                        help='instance value = class_id * divisor + k (else the class comes '
                        'from the semantic map and instances are just distinct values)')
    parser.add_argument('--ignore-label', type=int, default=255)
    args = parser.parse_args()
    if not osp.isfile(args.categories):
        raise SystemExit(f'{args.categories}: categories file not found')
    with open(args.categories) as f:
        categories = json.load(f)
    pan = export_coco_panoptic(args.root, args.split, args.images, args.semantic, args.instances,
                               categories, args.ignore_label, args.instance_suffix)
    inst = export_coco_instances(args.root, args.split, args.images, args.instances, categories,
                                 args.divisor, args.instance_suffix,
                                 semantic_dir=None if args.divisor else args.semantic)
    print(f"panoptic: {pan['json']} + {pan['panoptic_root']}; stuff maps: {pan['stuff_root']}; "
          f'instances: {inst}')


if __name__ == '__main__':
    run_tool(main)

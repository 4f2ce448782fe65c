"""Up-front checks of COCO instances / panoptic json files, with errors naming the json and the
image or annotation (Detectron2's loader stops with a bare ``KeyError: 7`` for an unknown
category and silently trains on an RLE that does not fit its image)."""
import json
import os.path as osp
from collections import Counter
from typing import Dict, List, Sequence

from ..errors import DataError, MissingDataError


def rle_string_counts(counts: str) -> List[int]:
    """Run lengths of a compressed COCO RLE string (pycocotools' ``rleFrString``)."""
    out: List[int] = []
    p, n = 0, len(counts)
    while p < n:
        x, k, more = 0, 0, True
        while more:
            c = ord(counts[p]) - 48
            x |= (c & 0x1f) << (5 * k)
            more = bool(c & 0x20)
            p += 1
            k += 1
            if not more and (c & 0x10):
                x |= -1 << (5 * k)
        if len(out) > 2:
            x += out[-2]
        out.append(x)
    return out


def _load(json_file: str) -> dict:
    if not osp.isfile(json_file):
        raise MissingDataError(json_file, 'json file not found')
    try:
        with open(json_file) as f:
            return json.load(f)
    except json.JSONDecodeError as e:
        raise DataError(json_file, f'not valid JSON ({e})') from None


def _duplicates(values: Sequence) -> List:
    return [v for v, n in Counter(values).items() if n > 1]


def _check_segmentation(json_file: str, ann: dict, img: dict) -> None:
    seg = ann.get('segmentation')
    where = f'annotation {ann["id"]} of image {img.get("file_name", img["id"])}'
    h, w = img['height'], img['width']
    if isinstance(seg, list):
        for poly in seg:
            if len(poly) < 6 or len(poly) % 2:
                raise DataError(json_file, f'{where}: polygon with {len(poly)} coordinates (needs '
                                'an even number, at least 6)')
            xs, ys = poly[0::2], poly[1::2]
            if min(xs) < -1 or min(ys) < -1 or max(xs) > w + 1 or max(ys) > h + 1:
                raise DataError(json_file, f'{where}: polygon outside the {w}x{h} image')
    elif isinstance(seg, dict):
        size = list(seg.get('size', []))
        if size != [h, w]:
            raise DataError(json_file, f'{where}: RLE size {size} differs from the image '
                            f'(height {h}, width {w})')
        counts = seg.get('counts')
        runs = rle_string_counts(counts) if isinstance(counts, str) else list(counts)
        if any(r < 0 for r in runs):
            raise DataError(json_file, f'{where}: RLE has negative run lengths (corrupt counts)')
        if sum(runs) != h * w:
            raise DataError(json_file, f'{where}: RLE covers {sum(runs)} pixels but the image has '
                            f'{h * w} ({"longer" if sum(runs) > h * w else "shorter"} than the '
                            'image)')


def validate_coco_instances(json_file: str, image_root: str = '') -> Dict[str, int]:
    """Check a COCO instances json; returns counts (images, annotations, categories).

    Raises:
        DataError: naming ``json_file`` and the image/annotation: duplicate image or annotation
            ids, annotations of unknown images or categories, boxes outside the image, polygons
            and RLEs that do not fit the image; images missing under ``image_root`` (if given).
    """
    data = _load(json_file)
    for key in ('images', 'annotations', 'categories'):
        if not isinstance(data.get(key), list):
            raise DataError(json_file, f'no "{key}" list')
    images, anns, cats = data['images'], data['annotations'], data['categories']
    if not images:
        raise DataError(json_file, 'no images (empty dataset)')
    for key, items in (('image', images), ('annotation', anns), ('category', cats)):
        dup = _duplicates([x.get('id') for x in items])
        if dup:
            raise DataError(json_file, f'{key} id(s) {dup[:5]} appear more than once')
    by_id = {img['id']: img for img in images}
    cat_ids = sorted(c['id'] for c in cats)
    for img in images:
        for key in ('file_name', 'height', 'width'):
            if key not in img:
                raise DataError(json_file, f'image {img["id"]} has no "{key}"')
        if image_root and not osp.isfile(osp.join(image_root, img['file_name'])):
            raise MissingDataError(osp.join(image_root, img['file_name']),
                                   f'image listed in {json_file} not found')
    for ann in anns:
        img = by_id.get(ann.get('image_id'))
        if img is None:
            raise DataError(json_file, f'annotation {ann.get("id")} refers to image id '
                            f'{ann.get("image_id")}, which is not in "images"')
        if ann.get('category_id') not in cat_ids:
            raise DataError(json_file, f'annotation {ann["id"]} of image {img["file_name"]} has '
                            f'category_id {ann.get("category_id")}, not one of the categories '
                            f'{cat_ids}')
        x, y, bw, bh = ann.get('bbox', [0, 0, 0, 0])
        if bw < 0 or bh < 0 or x < -1 or y < -1 or x + bw > img['width'] + 1 \
                or y + bh > img['height'] + 1:
            raise DataError(json_file, f'annotation {ann["id"]} of image {img["file_name"]}: box '
                            f'{ann.get("bbox")} outside the {img["width"]}x{img["height"]} image')
        if 'segmentation' in ann:
            _check_segmentation(json_file, ann, img)
    return dict(images=len(images), annotations=len(anns), categories=len(cats))


def validate_coco_panoptic(json_file: str, panoptic_root: str = '') -> Dict[str, int]:
    """Check a COCO panoptic json: unique image ids, one annotation per image naming its PNG
    (present under ``panoptic_root`` if given), unique segment ids, known categories."""
    data = _load(json_file)
    for key in ('images', 'annotations', 'categories'):
        if not isinstance(data.get(key), list):
            raise DataError(json_file, f'no "{key}" list')
    if not data['images']:
        raise DataError(json_file, 'no images (empty dataset)')
    dup = _duplicates([x.get('id') for x in data['images']])
    if dup:
        raise DataError(json_file, f'image id(s) {dup[:5]} appear more than once')
    image_ids = {x['id'] for x in data['images']}
    cat_ids = {c['id'] for c in data['categories']}
    dup = _duplicates([a.get('image_id') for a in data['annotations']])
    if dup:
        raise DataError(json_file, f'image id(s) {dup[:5]} have more than one panoptic annotation')
    for ann in data['annotations']:
        name = ann.get('file_name', '?')
        if ann.get('image_id') not in image_ids:
            raise DataError(json_file, f'panoptic annotation {name} refers to image id '
                            f'{ann.get("image_id")}, which is not in "images"')
        segs = ann.get('segments_info', [])
        dup = _duplicates([s.get('id') for s in segs])
        if dup:
            raise DataError(json_file, f'{name}: segment id(s) {dup[:5]} appear more than once')
        for s in segs:
            if s.get('category_id') not in cat_ids:
                raise DataError(json_file, f'{name}: segment {s.get("id")} has category_id '
                                f'{s.get("category_id")}, not one of {sorted(cat_ids)}')
        if panoptic_root and not osp.isfile(osp.join(panoptic_root, name)):
            raise MissingDataError(osp.join(panoptic_root, name),
                                   f'panoptic PNG listed in {json_file} not found')
    return dict(images=len(data['images']), annotations=len(data['annotations']),
                categories=len(cat_ids))

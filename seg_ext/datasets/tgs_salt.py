"""The TGS Salt Identification Challenge dataset in its Kaggle on-disk layout."""
import csv
import os.path as osp
from typing import Dict, List, Optional

from mmengine import fileio
from mmseg.datasets import BaseSegDataset
from mmseg.registry import DATASETS

from ..utils.errors import DataError, MissingDataError


def read_csv_column(path: str, key: str, value: str) -> Dict[str, str]:
    """Read a two-column Kaggle CSV (``id,<value>``) into ``{id: value}``.

    Raises:
        MissingDataError: no such file.
        DataError: a column is missing or an id appears twice (the message gives the line).
    """
    if not osp.isfile(path):
        raise MissingDataError(path, 'CSV file not found')
    table: Dict[str, str] = {}
    with open(path, newline='') as f:
        reader = csv.DictReader(f)
        if reader.fieldnames is None or key not in reader.fieldnames or \
                value not in reader.fieldnames:
            raise DataError(path, f'expected columns {key!r} and {value!r}, found '
                            f'{reader.fieldnames}')
        for row in reader:
            rid = (row[key] or '').strip()
            if not rid:
                raise DataError(path, f'line {reader.line_num}: empty {key!r}')
            if rid in table:
                raise DataError(path, f'line {reader.line_num}: duplicate id {rid!r}')
            table[rid] = (row[value] or '').strip()
    return table


@DATASETS.register_module()
class TGSSaltDataset(BaseSegDataset):
    """TGS Salt (Kaggle 2018): 101×101 seismic images, classes ``('background', 'salt')``.

    Reads the Kaggle layout under ``data_root``::

        train/images/<id>.png   grayscale, stored as 1- or 3-channel PNG
        train/masks/<id>.png    0/255 (optional: masks may be given only as RLE)
        train.csv               id,rle_mask   (column-major, 1-based RLE)
        depths.csv              id,z
        splits/fold<k>_{train,val}.txt   one id per line
                                 (tools/dataset_converters/tgs_salt_splits.py)
        test/images/<id>.png    unlabelled Kaggle test images

    Each sample's annotation is its mask PNG when the file exists, otherwise its ``train.csv``
    RLE. Every sample is checked up front (image present, annotation present, no duplicate ids,
    non-empty split) and any problem raises an error naming the file.

    Args:
        ann_file: split file listing ids (relative to ``data_root``); empty = every image.
        rle_file: ``train.csv`` (relative to ``data_root``); ``None`` to use PNG masks only.
        depth_file: ``depths.csv``; ``None`` to skip depths. Depth is stored as ``depth`` in each
            sample (used by ``AddDepthChannel``).
        with_annotations: ``None`` = expect masks unless in ``test_mode`` with no mask folder and
            no RLE file; ``False`` for unlabelled images.
        **kwargs: ``BaseSegDataset`` arguments (``data_root``, ``data_prefix``, ``pipeline``, ...).
    """

    METAINFO = dict(classes=('background', 'salt'), palette=[[0, 0, 0], [255, 160, 40]])

    def __init__(self,
                 ann_file: str = '',
                 img_suffix: str = '.png',
                 seg_map_suffix: str = '.png',
                 data_prefix: dict = dict(img_path='train/images', seg_map_path='train/masks'),
                 rle_file: Optional[str] = 'train.csv',
                 depth_file: Optional[str] = 'depths.csv',
                 with_annotations: Optional[bool] = None,
                 **kwargs) -> None:
        self.rle_file = rle_file
        self.depth_file = depth_file
        self.with_annotations = with_annotations
        super().__init__(ann_file=ann_file, img_suffix=img_suffix, seg_map_suffix=seg_map_suffix,
                         data_prefix=data_prefix, **kwargs)

    def _root_join(self, path: Optional[str]) -> Optional[str]:
        if not path:
            return None
        return path if self.data_root is None or osp.isabs(path) else \
            osp.join(self.data_root, path)

    def _sample_ids(self, img_dir: str) -> List[str]:
        if self.ann_file:
            if not osp.isfile(self.ann_file):
                raise MissingDataError(self.ann_file, 'split file not found (make splits with '
                                       'tools/dataset_converters/tgs_salt_splits.py)')
            ids = [line.strip() for line in open(self.ann_file) if line.strip()]
            source = self.ann_file
        else:
            if not osp.isdir(img_dir):
                raise MissingDataError(img_dir, 'image folder not found')
            ids = sorted(
                name[:-len(self.img_suffix)] for name in fileio.list_dir_or_file(
                    img_dir, list_dir=False, suffix=self.img_suffix))
            source = img_dir
        if not ids:
            raise DataError(source, 'no samples (empty split file or image folder)')
        seen = set()
        for sid in ids:
            if sid in seen:
                raise DataError(source, f'duplicate id {sid!r}')
            seen.add(sid)
        return ids

    def load_data_list(self) -> List[dict]:
        """Build one record per id, checking that every file it needs exists."""
        img_dir = self.data_prefix.get('img_path') or ''
        ann_dir = self.data_prefix.get('seg_map_path') or None
        ids = self._sample_ids(img_dir)

        rle_path = self._root_join(self.rle_file)
        has_masks = ann_dir is not None and osp.isdir(ann_dir)
        has_rle = rle_path is not None and osp.isfile(rle_path)
        with_ann = self.with_annotations
        if with_ann is None:
            with_ann = has_masks or has_rle or not self.test_mode
        if with_ann and not (has_masks or has_rle):
            raise MissingDataError(ann_dir or img_dir, 'no annotations: neither the mask folder '
                                   f'nor {rle_path or "an RLE file"} exists')
        rles = read_csv_column(rle_path, 'id', 'rle_mask') if with_ann and has_rle else {}

        depth_path = self._root_join(self.depth_file)
        depths = {}
        if depth_path is not None and osp.isfile(depth_path):
            for sid, z in read_csv_column(depth_path, 'id', 'z').items():
                try:
                    depths[sid] = float(z)
                except ValueError:
                    raise DataError(depth_path, f'id {sid!r}: depth {z!r} is not a number') \
                        from None

        data_list = []
        for sid in ids:
            img_path = osp.join(img_dir, sid + self.img_suffix)
            if not osp.isfile(img_path):
                raise MissingDataError(img_path, f'image of id {sid!r} not found'
                                       + (f' (listed in {self.ann_file})' if self.ann_file else ''))
            info = dict(img_path=img_path, sample_id=sid, depth=depths.get(sid),
                        depth_source=depth_path, label_map=self.label_map,
                        reduce_zero_label=self.reduce_zero_label, seg_fields=[])
            if with_ann:
                mask_path = osp.join(ann_dir, sid + self.seg_map_suffix) if has_masks else None
                if mask_path is not None and osp.isfile(mask_path):
                    info['seg_map_path'] = mask_path
                elif sid in rles:
                    info['seg_map_path'] = None
                    info['rle_mask'] = rles[sid]
                    info['rle_source'] = rle_path
                else:
                    raise MissingDataError(
                        mask_path or rle_path, f'mask of id {sid!r} not found'
                        + (f' and {rle_path} has no row for it' if has_rle else ''))
            data_list.append(info)
        return data_list

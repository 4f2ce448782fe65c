"""The TGS Salt Identification Challenge dataset in its Kaggle on-disk layout."""
import os.path as osp
from typing import List, Optional

from mmseg.datasets import BaseSegDataset
from mmseg.registry import DATASETS

from ...core.tgs_salt import tgs_records
from .checked_loading import with_checked_loading


@DATASETS.register_module()
class TGSSaltDataset(BaseSegDataset):
    """TGS Salt (Kaggle 2018): 101×101 seismic images, classes ``('background', 'salt')``.

    Reads the Kaggle layout under ``data_root`` (see :mod:`seg_ext.core.tgs_salt`)::

        train/images/<id>.png   grayscale, stored as 1- or 3-channel PNG
        train/masks/<id>.png    0/255 (optional: masks may be given only as RLE)
        train.csv               id,rle_mask   (column-major, 1-based RLE)
        depths.csv              id,z
        splits/fold<k>_{train,val}.txt   one id per line
                                 (tools/dataset_converters/tgs_salt_splits.py)
        test/images/<id>.png    unlabelled Kaggle test images

    Each sample's annotation is its mask PNG when the file exists, otherwise its ``train.csv``
    RLE. Every sample is checked up front (image present, annotation present, no duplicate ids,
    non-empty split) and any problem raises an error naming the file. A pipeline's
    ``LoadImageFromFile`` (the name mmseg's inference APIs look for) runs as
    ``LoadCheckedImageFromFile`` (see :mod:`seg_ext.mmseg.datasets.checked_loading`).

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
        if kwargs.get('pipeline'):
            kwargs['pipeline'] = with_checked_loading(kwargs['pipeline'])
        super().__init__(ann_file=ann_file, img_suffix=img_suffix, seg_map_suffix=seg_map_suffix,
                         data_prefix=data_prefix, **kwargs)

    def _root_join(self, path: Optional[str]) -> Optional[str]:
        if not path:
            return None
        return path if self.data_root is None or osp.isabs(path) else \
            osp.join(self.data_root, path)

    def load_data_list(self) -> List[dict]:
        """Build one record per id, checking that every file it needs exists."""
        records = tgs_records(
            self.data_prefix.get('img_path') or '', self.data_prefix.get('seg_map_path') or None,
            split_file=self.ann_file, rle_file=self._root_join(self.rle_file),
            depth_file=self._root_join(self.depth_file), with_annotations=self.with_annotations,
            test_mode=self.test_mode, img_suffix=self.img_suffix,
            seg_map_suffix=self.seg_map_suffix)
        for rec in records:
            rec.update(label_map=self.label_map, reduce_zero_label=self.reduce_zero_label,
                       seg_fields=[])
        return records

"""Bi-temporal change-detection datasets: LEVIR-CD layout, WHU-CD/S2Looking-style folders."""
import os.path as osp
from typing import List

from mmengine import fileio
from mmseg.datasets import BaseCDDataset
from mmseg.registry import DATASETS

from ..utils.errors import DataError, MissingDataError


@DATASETS.register_module()
class BiTemporalCDDataset(BaseCDDataset):
    """Pairs of co-registered images taken at two times, with a binary change label.

    Reads ``data_root/<img_path>/<name><img_suffix>``, ``data_root/<img_path2>/<name><img_suffix2>``
    and ``data_root/<seg_map_path>/<name><seg_map_suffix>``, paired by file name -- LEVIR-CD's
    ``{train,val,test}/{A,B,label}/*.png`` by default; for S2Looking set
    ``data_prefix=dict(img_path='train/Image1', img_path2='train/Image2',
    seg_map_path='train/label')``. No GDAL: images are read with OpenCV.

    Every pairing problem is found when the dataset is built and named: an image of one time
    without its partner (either way round), a missing label, an empty folder.
    Classes ``('unchanged', 'changed')``; labels are 0/255 (or 0/1) PNGs.
    """

    METAINFO = dict(classes=('unchanged', 'changed'), palette=[[0, 0, 0], [255, 255, 255]])

    def __init__(self,
                 img_suffix: str = '.png',
                 img_suffix2: str = '.png',
                 seg_map_suffix: str = '.png',
                 data_prefix: dict = dict(img_path='train/A', img_path2='train/B',
                                          seg_map_path='train/label'),
                 **kwargs) -> None:
        super().__init__(img_suffix=img_suffix, img_suffix2=img_suffix2,
                         seg_map_suffix=seg_map_suffix, data_prefix=data_prefix, **kwargs)

    @staticmethod
    def _names(folder: str, suffix: str) -> List[str]:
        if not osp.isdir(folder):
            raise MissingDataError(folder, 'image folder not found')
        return sorted(f[:-len(suffix)] for f in fileio.list_dir_or_file(
            folder, list_dir=False, suffix=suffix))

    def load_data_list(self) -> List[dict]:
        """Pair A, B and label files by name, checking that every partner exists."""
        dir_a = self.data_prefix.get('img_path', '')
        dir_b = self.data_prefix.get('img_path2', '')
        ann_dir = self.data_prefix.get('seg_map_path') or None
        if self.ann_file:
            if not osp.isfile(self.ann_file):
                raise MissingDataError(self.ann_file, 'split file not found')
            names = [ln.strip() for ln in open(self.ann_file) if ln.strip()]
        else:
            names = self._names(dir_a, self.img_suffix)
            only_b = sorted(set(self._names(dir_b, self.img_suffix2)) - set(names))
            if only_b:
                raise DataError(osp.join(dir_b, only_b[0] + self.img_suffix2),
                                f'unpaired: no image {only_b[0] + self.img_suffix} in {dir_a} '
                                f'({len(only_b)} such file(s) in {dir_b})')
        if not names:
            raise DataError(self.ann_file or dir_a, 'no image pairs (empty folder or split)')
        data_list = []
        for name in names:
            path_a = osp.join(dir_a, name + self.img_suffix)
            path_b = osp.join(dir_b, name + self.img_suffix2)
            if not osp.isfile(path_a):
                raise MissingDataError(path_a, f'image A of pair {name!r} not found')
            if not osp.isfile(path_b):
                raise MissingDataError(path_b, f'unpaired: image B of {path_a} not found')
            info = dict(img_path=path_a, img_path2=path_b, label_map=self.label_map,
                        reduce_zero_label=self.reduce_zero_label, seg_fields=[])
            if ann_dir is not None:
                label = osp.join(ann_dir, name + self.seg_map_suffix)
                if not osp.isfile(label):
                    raise MissingDataError(label, f'change label of pair {name!r} not found')
                info['seg_map_path'] = label
            data_list.append(info)
        return data_list

"""Bi-temporal change-detection datasets: LEVIR-CD layout, WHU-CD/S2Looking-style folders."""
from typing import List

from mmseg.datasets import BaseCDDataset
from mmseg.registry import DATASETS

from ...core.bitemporal import pair_records


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

    def load_data_list(self) -> List[dict]:
        """Pair A, B and label files by name, checking that every partner exists."""
        records = pair_records(
            self.data_prefix.get('img_path', ''), self.data_prefix.get('img_path2', ''),
            self.data_prefix.get('seg_map_path') or None, split_file=self.ann_file,
            img_suffix=self.img_suffix, img_suffix2=self.img_suffix2,
            seg_map_suffix=self.seg_map_suffix)
        for rec in records:
            del rec['name']
            rec.update(label_map=self.label_map, reduce_zero_label=self.reduce_zero_label,
                       seg_fields=[])
        return records

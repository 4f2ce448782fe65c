"""Bi-temporal change-detection datasets: LEVIR-CD layout, WHU-CD/S2Looking-style folders."""
from typing import List

from mmseg.datasets import BaseCDDataset
from mmseg.registry import DATASETS

from ...core.bitemporal import pair_records
from ...core.errors import DataError


def refuse_reduce_zero_label(dataset: str, kwargs: dict) -> None:
    """Binary datasets have no "other" class 0 to drop: ``reduce_zero_label=True`` would turn
    every background pixel into the ignore index, so it is refused (a ``ValueError``, reported
    by the tools as a config error)."""
    if kwargs.get('reduce_zero_label'):
        raise ValueError(f'{dataset}: reduce_zero_label=True is not supported: its class 0 '
                         '(background/unchanged) is a real class, and reducing it would make '
                         'every such pixel the ignore index 255; remove reduce_zero_label')


@DATASETS.register_module()
class BiTemporalCDDataset(BaseCDDataset):
    """Pairs of co-registered images taken at two times, with a binary change label.

    Reads ``data_root/<img_path>/<name><img_suffix>``, ``data_root/<img_path2>/<name><img_suffix2>``
    and ``data_root/<seg_map_path>/<name><seg_map_suffix>``, paired by file name -- LEVIR-CD's
    ``{train,val,test}/{A,B,label}/*.png`` by default; for S2Looking set
    ``data_prefix=dict(img_path='train/Image1', img_path2='train/Image2',
    seg_map_path='train/label')``. No GDAL: images are read with OpenCV.

    Every pairing problem is found when the dataset is built and named: an image of one time
    without its partner (either way round), a missing label, an empty folder. Suffixes match in
    any letter case. ``collect_problems=True`` lists them all in ``self.problems`` (leaving those
    pairs out) instead of raising the first; ``reduce_zero_label=True`` is refused.
    Classes ``('unchanged', 'changed')``; labels are 0/255 (or 0/1) PNGs.
    """

    METAINFO = dict(classes=('unchanged', 'changed'), palette=[[0, 0, 0], [255, 255, 255]])

    def __init__(self,
                 img_suffix: str = '.png',
                 img_suffix2: str = '.png',
                 seg_map_suffix: str = '.png',
                 data_prefix: dict = dict(img_path='train/A', img_path2='train/B',
                                          seg_map_path='train/label'),
                 collect_problems: bool = False,
                 **kwargs) -> None:
        refuse_reduce_zero_label(type(self).__name__, kwargs)
        self.collect_problems = collect_problems
        self.problems: List[DataError] = []
        super().__init__(img_suffix=img_suffix, img_suffix2=img_suffix2,
                         seg_map_suffix=seg_map_suffix, data_prefix=data_prefix, **kwargs)

    def load_data_list(self) -> List[dict]:
        """Pair A, B and label files by name, checking that every partner exists."""
        self.problems = []
        records = pair_records(
            self.data_prefix.get('img_path', ''), self.data_prefix.get('img_path2', ''),
            self.data_prefix.get('seg_map_path') or None, split_file=self.ann_file,
            img_suffix=self.img_suffix, img_suffix2=self.img_suffix2,
            seg_map_suffix=self.seg_map_suffix,
            problems=self.problems if self.collect_problems else None)
        for rec in records:
            del rec['name']
            rec.update(label_map=self.label_map, reduce_zero_label=self.reduce_zero_label,
                       seg_fields=[])
        return records

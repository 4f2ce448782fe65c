"""Write Detectron2 predictions in the formats the COCO tools read, plus overlays to look at.

Per image ``<stem>``, under the output folder:

* ``vis/<stem>.png`` -- Detectron2's ``Visualizer`` overlay (instances, panoptic or semantic);
* ``instances/<stem>.png`` -- 16-bit instance-id map: 0 background, ``k`` the ``k``-th detection
  of that image in ``coco_instances_results.json`` (its ``instance_id``; where masks overlap the
  higher-scoring detection wins);
* ``panoptic/<stem>.png`` -- COCO panoptic PNG (``id2rgb``) of Panoptic FPN's ``panoptic_seg``;
* ``sem_seg/<stem>.png`` -- the label map of a semantic model (8-bit class ids).

And for all images: ``coco_instances_results.json`` (COCO results: ``image_id``,
``category_id``, ``bbox`` XYWH, ``score``, ``segmentation`` RLE from ``pycocotools.mask.encode``,
as Detectron2's ``COCOEvaluator`` writes them) and ``panoptic_predictions.json``
(``annotations`` with ``segments_info``, the file ``pq_compute`` reads with ``panoptic/``).
Category ids are the dataset's (the metadata's ``*_dataset_id_to_contiguous_id``) where the
metadata has them, else contiguous ids.
"""
import json
import os
import os.path as osp
from typing import Dict, List, Optional

import cv2
import numpy as np
from detectron2.evaluation.coco_evaluation import instances_to_coco_json
from detectron2.utils.visualizer import ColorMode, Visualizer

from ..core.coco.formats import id2rgb
from ..core.errors import DataError

INSTANCES_JSON = 'coco_instances_results.json'
PANOPTIC_JSON = 'panoptic_predictions.json'


def instance_id_map(masks: np.ndarray, scores: np.ndarray) -> np.ndarray:
    """H×W uint16 map from N×H×W boolean masks: pixel = 1 + index of the highest-scoring mask
    covering it, 0 where none does."""
    n = len(masks)
    if n >= 2 ** 16:
        raise ValueError(f'{n} instances do not fit a 16-bit instance map')
    out = np.zeros(masks.shape[1:] if n else (0, 0), np.uint16)
    for k in np.argsort(scores, kind='stable'):  # lowest first: higher scores paint over
        out[masks[k]] = k + 1
    return out


def _reverse(mapping: Optional[dict]) -> Optional[Dict[int, int]]:
    return {v: k for k, v in mapping.items()} if mapping else None


class PredictionWriter:
    """Writes what :class:`~seg_ext.d2.predictor.BatchPredictor` returns, image by image.

    Args:
        out_dir: the output folder (created).
        metadata: Detectron2 metadata (class names, colours, dataset id maps) or None.
        image_ids: ``{image path: image_id}`` (a dataset's ids), else images are numbered in
            the order they are written, from 0.
        overlays: write ``vis/`` overlays.
    """

    def __init__(self, out_dir: str, metadata=None, image_ids: Optional[Dict[str, int]] = None,
                 overlays: bool = True) -> None:
        self.out_dir = out_dir
        self.metadata = metadata
        self.image_ids = image_ids
        self.overlays = overlays
        self.coco_results: List[dict] = []
        self.panoptic: List[dict] = []
        self._had_instances = False
        self._stems: Dict[str, str] = {}
        self._count = 0
        get = (lambda k: metadata.get(k, None)) if metadata is not None else (lambda k: None)
        self._thing_ids = _reverse(get('thing_dataset_id_to_contiguous_id'))
        self._stuff_ids = _reverse(get('stuff_dataset_id_to_contiguous_id'))
        os.makedirs(out_dir, exist_ok=True)

    def _path(self, kind: str, stem: str) -> str:
        os.makedirs(osp.join(self.out_dir, kind), exist_ok=True)
        return osp.join(self.out_dir, kind, stem + '.png')

    def _image_id(self, path: str) -> int:
        if self.image_ids is None:
            return self._count
        key = osp.realpath(path)
        if key not in self.image_ids:
            raise DataError(path, 'image is not in the dataset whose image ids were asked for '
                            '(--dataset)')
        return self.image_ids[key]

    def write(self, path: str, bgr: np.ndarray, prediction: dict) -> None:
        """Write the outputs of one image (``bgr``: the image as read) and keep its json
        records."""
        stem = osp.splitext(osp.basename(path))[0]
        if stem in self._stems:
            raise DataError(path, f'has the same file stem as {self._stems[stem]}: outputs '
                            'would overwrite each other (predict the folders separately)')
        self._stems[stem] = path
        image_id = self._image_id(path)
        self._count += 1
        vis = Visualizer(bgr[:, :, ::-1], self.metadata, instance_mode=ColorMode.IMAGE)
        if 'panoptic_seg' in prediction:
            pan, segments = prediction['panoptic_seg']
            pan = pan.cpu().numpy().astype(np.int64)
            cv2.imwrite(self._path('panoptic', stem), id2rgb(pan)[:, :, ::-1])
            self.panoptic.append(dict(image_id=image_id, file_name=stem + '.png',
                                      segments_info=[self._segment(s) for s in segments]))
            drawn = vis.draw_panoptic_seg_predictions(prediction['panoptic_seg'][0].cpu(),
                                                      segments) if self.overlays else None
        elif 'instances' in prediction:
            drawn = (vis.draw_instance_predictions(prediction['instances'].to('cpu'))
                     if self.overlays else None)
        else:
            labels = prediction['sem_seg'].argmax(dim=0).cpu()
            cv2.imwrite(self._path('sem_seg', stem), labels.numpy().astype(np.uint8))
            drawn = vis.draw_sem_seg(labels) if self.overlays else None
        if 'instances' in prediction:
            self._instances(stem, image_id, prediction['instances'].to('cpu'))
        if drawn is not None:
            cv2.imwrite(self._path('vis', stem), drawn.get_image()[:, :, ::-1])

    def _instances(self, stem: str, image_id: int, instances) -> None:
        self._had_instances = True
        records = instances_to_coco_json(instances, image_id)
        for k, rec in enumerate(records, 1):
            rec['instance_id'] = k
            if self._thing_ids is not None:
                rec['category_id'] = self._thing_ids[rec['category_id']]
        self.coco_results += records
        if instances.has('pred_masks'):
            masks = instances.pred_masks.numpy().astype(bool)
            h, w = instances.image_size
            ids = (instance_id_map(masks, instances.scores.numpy()) if len(masks)
                   else np.zeros((h, w), np.uint16))
            cv2.imwrite(self._path('instances', stem), ids)

    def _segment(self, seg: dict) -> dict:
        """Detectron2's segment info with the dataset's category id (as
        ``COCOPanopticEvaluator``); ``isthing`` kept."""
        seg = {k: (v.item() if hasattr(v, 'item') else v) for k, v in seg.items()}
        ids = self._thing_ids if seg.get('isthing') else self._stuff_ids
        if ids is not None:
            seg['category_id'] = ids[seg['category_id']]
        return seg

    def close(self) -> Dict[str, str]:
        """Write the json files; returns ``{kind: path}`` of those written."""
        written = {}
        if self._had_instances:
            path = osp.join(self.out_dir, INSTANCES_JSON)
            with open(path, 'w') as f:
                json.dump(self.coco_results, f)
            written['instances'] = path
        if self.panoptic:
            categories = self._categories()
            path = osp.join(self.out_dir, PANOPTIC_JSON)
            with open(path, 'w') as f:
                json.dump(dict(annotations=self.panoptic, categories=categories), f)
            written['panoptic'] = path
        return written

    def _categories(self) -> List[dict]:
        if self.metadata is None or self._thing_ids is None:
            return []
        cats = [dict(id=self._thing_ids[i], name=n, isthing=1)
                for i, n in enumerate(self.metadata.thing_classes)]
        if self._stuff_ids is not None:
            stuff = sorted((c, d) for c, d in self._stuff_ids.items() if c > 0)
            cats += [dict(id=d, name=self.metadata.stuff_classes[c], isthing=0)
                     for c, d in stuff]
        return cats

"""TorchScript export of Detectron2 R-CNN models through Detectron2's ``TracingAdapter``.

Detectron2's documented deployment path (``tools/deploy/export_model.py --export-method tracing
--format torchscript``): the model's ``inference(..., do_postprocess=False)`` is traced on one
image tensor (C×H×W, ``INPUT.FORMAT``, resized as ``DefaultPredictor`` resizes); the traced module
returns the flattened ``Instances`` fields (boxes, scores, classes, R×1×M×M mask probabilities).
:class:`TorchScriptDetector` runs the saved file like ``DefaultPredictor``: the same resizing
before, Detectron2's ``detector_postprocess`` (boxes scaled back, masks pasted at the image size)
after. A sidecar ``<stem>.json`` keeps the output schema and the preprocessing.

What works with the Python-only detectron2 of this stack (no ``detectron2._C``): Mask R-CNN /
Faster R-CNN (``GeneralizedRCNN``; RoIAlign and NMS are torchvision's traceable ops). Panoptic FPN
and the semantic FPN return non-tensor outputs (segment lists) from ``forward`` and are refused.
"""
import json
import os.path as osp
from typing import Dict, List

import numpy as np
import torch
from detectron2.data import transforms as T
from detectron2.export import TracingAdapter
from detectron2.modeling import GeneralizedRCNN, PanopticFPN
from detectron2.modeling.postprocessing import detector_postprocess
from detectron2.structures import Boxes, Instances

from ..core.errors import ConfigError, MissingDataError

FIELDS = {'pred_boxes', 'scores', 'pred_classes', 'pred_masks'}


def _resize(cfg):
    return T.ResizeShortestEdge([cfg.INPUT.MIN_SIZE_TEST, cfg.INPUT.MIN_SIZE_TEST],
                                cfg.INPUT.MAX_SIZE_TEST)


def image_tensor(bgr: np.ndarray, fmt: str, aug) -> torch.Tensor:
    """A BGR image as the model's C×H×W float input (``DefaultPredictor``'s preprocessing)."""
    image = bgr[:, :, ::-1] if fmt == 'RGB' else bgr
    image = aug.get_transform(image).apply_image(image)
    return torch.as_tensor(image.astype('float32').transpose(2, 0, 1))


def _inference(model, inputs):
    """Detectron2's tracing ``inference_func`` for R-CNN: raw (not post-processed) instances."""
    return [{'instances': model.inference(inputs, do_postprocess=False)[0]}]


def export_torchscript(cfg, model: torch.nn.Module, sample_bgr: np.ndarray,
                       out_file: str, config_file: str = 'config') -> Dict[str, object]:
    """Trace ``model`` on ``sample_bgr`` and save ``out_file`` (``torch.jit.save``) and its
    sidecar; returns ``{'file', 'sidecar', 'fields'}``. Another architecture is a
    :class:`ConfigError` naming ``config_file``."""
    if not isinstance(model, GeneralizedRCNN) or isinstance(model, PanopticFPN):
        raise ConfigError(config_file,
                          f'{type(model).__name__}: TorchScript export (TracingAdapter) supports '
                          'the R-CNN models (GeneralizedRCNN: Mask R-CNN, Faster R-CNN)')
    model.eval()
    image = image_tensor(sample_bgr, cfg.INPUT.FORMAT, _resize(cfg))
    adapter = TracingAdapter(model, [{'image': image}], _inference)
    with torch.no_grad():
        traced = torch.jit.trace(adapter, adapter.flattened_inputs, check_trace=False)
    # flattened in the schema's order: [{'instances': Instances}] -> its fields, sorted by name
    fields = list(adapter.outputs_schema.schemas[0].schemas[0].keys)
    if not set(fields) <= FIELDS:
        raise ConfigError(config_file, f'unsupported output fields {fields}')
    torch.jit.save(traced, out_file)
    side = osp.splitext(out_file)[0] + '.json'
    with open(side, 'w') as f:
        json.dump(dict(fields=fields, input_format=cfg.INPUT.FORMAT,
                       min_size_test=cfg.INPUT.MIN_SIZE_TEST,
                       max_size_test=cfg.INPUT.MAX_SIZE_TEST,
                       input='one image, float32 C×H×W, 0-255, resized so that the short side '
                             'is min_size_test (long side <= max_size_test)',
                       outputs='the "fields" in this order: boxes R×4 (XYXY in the resized '
                               'image), classes, mask probabilities R×1×M×M, scores; then the '
                               'resized image size'),
                  f, indent=1)
    return dict(file=out_file, sidecar=side, fields=fields)


class TorchScriptDetector:
    """A saved TorchScript R-CNN used like ``DefaultPredictor``: ``detector(bgr)`` →
    ``{'instances': Instances}`` at the image's size (needs torch and detectron2's
    post-processing, not the model code)."""

    def __init__(self, ts_file: str) -> None:
        side = osp.splitext(ts_file)[0] + '.json'
        for path in (ts_file, side):
            if not osp.isfile(path):
                raise MissingDataError(path, 'not found (tools/deployment/d2_export_torchscript.py '
                                       'writes the .ts and its .json)')
        with open(side) as f:
            self.meta = json.load(f)
        self.module = torch.jit.load(ts_file, map_location='cpu')
        self.aug = T.ResizeShortestEdge([self.meta['min_size_test']] * 2,
                                        self.meta['max_size_test'])

    @torch.no_grad()
    def __call__(self, bgr: np.ndarray) -> Dict[str, Instances]:
        image = image_tensor(bgr, self.meta['input_format'], self.aug)
        outputs: List[torch.Tensor] = list(self.module(image))
        inst = Instances(tuple(image.shape[1:]))
        for name, value in zip(self.meta['fields'], outputs):
            inst.set(name, Boxes(value) if name == 'pred_boxes' else value)
        return {'instances': detector_postprocess(inst, bgr.shape[0], bgr.shape[1])}

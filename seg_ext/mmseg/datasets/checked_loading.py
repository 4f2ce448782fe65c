"""Datasets of seg_ext read images with the checked loader whatever name the config uses.

mmseg's ``inference_model`` and ``MMSegInferencer`` find the image loader of a test pipeline by
its type name, ``LoadImageFromFile`` (the inferencer swaps it for its ``InferencerLoader``), so
seg_ext's test pipelines use that name. Inside a seg_ext dataset -- labelled data, read by
``tools/train.py``, ``tools/test.py`` and ``tools/check_dataset.py`` -- such an entry is built as
``LoadCheckedImageFromFile`` with the same arguments, so a missing, truncated or colour image is
still reported as an error naming the file.
"""
from typing import List, Sequence

MMCV_LOADER_NAMES = ('LoadImageFromFile', 'mmcv.LoadImageFromFile')
CHECKED_LOADER_ARGS = {'type', 'color_type', 'to_float32', 'backend_args'}
CHECKED_COLOR_TYPES = {'grayscale', 'color', 'unchanged'}


def with_checked_loading(pipeline: Sequence) -> List:
    """``pipeline`` with each ``dict(type='LoadImageFromFile', ...)`` replaced by
    ``LoadCheckedImageFromFile`` when the checked loader takes all its arguments (other entries,
    and loaders with e.g. ``imdecode_backend``, are kept as they are)."""
    out = []
    for t in pipeline:
        if isinstance(t, dict) and t.get('type') in MMCV_LOADER_NAMES \
                and set(t) <= CHECKED_LOADER_ARGS \
                and t.get('color_type', 'color') in CHECKED_COLOR_TYPES:
            t = dict(t, type='LoadCheckedImageFromFile')
        out.append(t)
    return out

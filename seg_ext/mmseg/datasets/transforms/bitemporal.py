"""Transforms for image pairs stacked along channels: one geometry, two radiometries.

``LoadBiTemporalImages`` stacks A and B into one H×W×6 ``img``; from then on *any* geometric
transform of mmseg (``RandomCrop``, ``RandomFlip``, ``RandomResize``, ...) and
:class:`RandomRotate90` moves A, B and the label identically, by construction. Photometric
transforms must treat the two acquisitions independently: :class:`PairwisePhotoMetricDistortion`
splits the stack and distorts each image with its own random draw. :class:`RandomTimeExchange`
swaps A and B.
"""
from typing import Optional

import numpy as np
from mmcv.transforms import BaseTransform
from mmseg.datasets.transforms import PhotoMetricDistortion
from mmseg.registry import TRANSFORMS

from ....core.errors import DataError
from ....core.image_io import to_bgr
from .loading import read_image_file


@TRANSFORMS.register_module()
class LoadBiTemporalImages(BaseTransform):
    """Read ``img_path`` (A) and ``img_path2`` (B) and stack them: ``img`` is H×W×(2C).

    Raises:
        DataError: either file missing/corrupt, or A and B of different sizes or channel counts
            (the message names both files).
    """

    def __init__(self, color_type: str = 'color', backend_args: Optional[dict] = None) -> None:
        self.color_type = color_type
        self.backend_args = backend_args

    def transform(self, results: dict) -> dict:
        if self.color_type == 'color':  # decode as stored to compare channel counts, then BGR
            a = read_image_file(results['img_path'], 'unchanged', self.backend_args)
            b = read_image_file(results['img_path2'], 'unchanged', self.backend_args)
            ca, cb = (1 if x.ndim == 2 else x.shape[2] for x in (a, b))
            if ca != cb:
                raise DataError(results['img_path2'], f'image B has {cb} channel(s) but its '
                                f'partner {results["img_path"]} has {ca}: both dates must come '
                                'from the same sensor/format')
            a, b = to_bgr(a), to_bgr(b)
        else:
            a = read_image_file(results['img_path'], self.color_type, self.backend_args)
            b = read_image_file(results['img_path2'], self.color_type, self.backend_args)
        if a.shape != b.shape:
            raise DataError(results['img_path2'], f'image B is {"x".join(map(str, b.shape))} but '
                            f'its partner {results["img_path"]} is {"x".join(map(str, a.shape))}')
        if a.ndim == 2:
            a, b = a[..., None], b[..., None]
        results['img'] = np.concatenate([a, b], axis=2)
        results['img_shape'] = a.shape[:2]
        results['ori_shape'] = a.shape[:2]
        results['num_images'] = 2
        return results

    def __repr__(self) -> str:
        return f'{type(self).__name__}(color_type={self.color_type!r})'


@TRANSFORMS.register_module()
class RandomRotate90(BaseTransform):
    """Rotate ``img`` and every ``seg_fields`` map by k×90° (k uniform in 0..3) with ``prob``."""

    def __init__(self, prob: float = 0.5) -> None:
        self.prob = prob

    def transform(self, results: dict) -> dict:
        if np.random.rand() >= self.prob:
            return results
        k = np.random.randint(1, 4)
        results['img'] = np.ascontiguousarray(np.rot90(results['img'], k, axes=(0, 1)))
        for key in results.get('seg_fields', []):
            results[key] = np.ascontiguousarray(np.rot90(results[key], k, axes=(0, 1)))
        results['img_shape'] = results['img'].shape[:2]
        results['rotate90_k'] = k
        return results

    def __repr__(self) -> str:
        return f'{type(self).__name__}(prob={self.prob})'


@TRANSFORMS.register_module()
class PairwisePhotoMetricDistortion(BaseTransform):
    """mmseg's ``PhotoMetricDistortion`` applied to A and B separately (independent draws).

    Brightness, contrast, saturation and hue differ between acquisitions in real data; a change
    detector must not learn them as change.
    """

    def __init__(self, num_images: int = 2, **kwargs) -> None:
        self.num_images = num_images
        self.distort = PhotoMetricDistortion(**kwargs)

    def transform(self, results: dict) -> dict:
        parts = np.split(results['img'], self.num_images, axis=2)
        out = []
        for part in parts:
            r = self.distort(dict(img=np.ascontiguousarray(part)))
            out.append(r['img'])
        results['img'] = np.concatenate(out, axis=2)
        return results

    def __repr__(self) -> str:
        return f'{type(self).__name__}({self.distort!r})'


@TRANSFORMS.register_module()
class RandomTimeExchange(BaseTransform):
    """Swap A and B with probability ``prob`` (change is symmetric in time for a binary label)."""

    def __init__(self, prob: float = 0.5, num_images: int = 2) -> None:
        self.prob = prob
        self.num_images = num_images

    def transform(self, results: dict) -> dict:
        if np.random.rand() < self.prob:
            parts = np.split(results['img'], self.num_images, axis=2)
            results['img'] = np.concatenate(parts[::-1], axis=2)
            results['time_exchanged'] = True
        return results

    def __repr__(self) -> str:
        return f'{type(self).__name__}(prob={self.prob})'

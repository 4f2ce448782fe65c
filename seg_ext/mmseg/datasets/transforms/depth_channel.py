"""Append the TGS depth (``depths.csv``) to the image as a constant channel."""
import numpy as np
from mmcv.transforms import BaseTransform
from mmseg.registry import TRANSFORMS

from ....core.errors import DataError


@TRANSFORMS.register_module()
class AddDepthChannel(BaseTransform):
    """Concatenate a channel filled with ``results['depth'] * scale`` to ``img``.

    With the default ``scale`` a depth of 1000 m maps to 255, the range of the seismic channel, so
    the data preprocessor can normalise both channels alike. Place it before padding/flipping or
    after: the channel is constant.

    Raises:
        DataError: the sample has no depth: the dataset reads none (``depth_file=None``) or
            its id is missing from ``depths.csv``.
    """

    def __init__(self, scale: float = 255.0 / 1000.0) -> None:
        self.scale = scale

    def transform(self, results: dict) -> dict:
        depth = results.get('depth')
        if depth is None:
            sample = results.get('sample_id', results.get('img_path'))
            source = results.get('depth_source')
            if not source:
                raise DataError(results.get('img_path', '?'), 'AddDepthChannel needs a depth but '
                                'the dataset reads none: set depth_file=\'depths.csv\' in the '
                                'dataset of every pipeline that adds the depth channel')
            raise DataError(source, f'no depth for id {sample!r} (no row for it)')
        img = results['img']
        if img.ndim == 2:
            img = img[..., None]
        plane = np.full(img.shape[:2] + (1, ), depth * self.scale, dtype=img.dtype
                        if np.issubdtype(img.dtype, np.floating) else np.float32)
        results['img'] = np.concatenate([img.astype(plane.dtype), plane], axis=2)
        return results

    def __repr__(self) -> str:
        return f'{type(self).__name__}(scale={self.scale})'

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
        DataError: the sample has no depth (id missing from ``depths.csv``).
    """

    def __init__(self, scale: float = 255.0 / 1000.0) -> None:
        self.scale = scale

    def transform(self, results: dict) -> dict:
        depth = results.get('depth')
        if depth is None:
            raise DataError(results.get('depth_source', 'depths.csv'),
                            f"no depth for id {results.get('sample_id', results.get('img_path'))}")
        img = results['img']
        if img.ndim == 2:
            img = img[..., None]
        plane = np.full(img.shape[:2] + (1, ), depth * self.scale, dtype=img.dtype
                        if np.issubdtype(img.dtype, np.floating) else np.float32)
        results['img'] = np.concatenate([img.astype(plane.dtype), plane], axis=2)
        return results

    def __repr__(self) -> str:
        return f'{type(self).__name__}(scale={self.scale})'

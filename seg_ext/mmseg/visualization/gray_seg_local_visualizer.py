"""mmseg's ``SegLocalVisualizer`` for 1-channel images (TGS Salt seismic sections).

``SegLocalVisualizer`` paints masks with ``mask[sem_seg == label, :] = color`` on an array shaped
like the image, which fails for an (H, W) image -- what ``MMSegInferencer`` and
``show_result_pyplot`` get from a grayscale array. The salt configs use this subclass as their
``visualizer``; it shows a 1-channel image as gray RGB and draws exactly as mmseg does.
"""
import numpy as np
from mmseg.registry import VISUALIZERS
from mmseg.visualization import SegLocalVisualizer


def as_three_channels(image: np.ndarray) -> np.ndarray:
    """(H, W) or (H, W, 1) -> (H, W, 3) by repeating the channel; other images unchanged."""
    image = np.asarray(image)
    if image.ndim == 2:
        image = image[..., None]
    if image.ndim == 3 and image.shape[2] == 1:
        image = np.repeat(image, 3, axis=2)
    return image


@VISUALIZERS.register_module()
class GraySegLocalVisualizer(SegLocalVisualizer):
    """``SegLocalVisualizer`` that also takes (H, W) and (H, W, 1) images."""

    def add_datasample(self, name: str, image: np.ndarray, *args, **kwargs) -> None:
        super().add_datasample(name, as_three_channels(image), *args, **kwargs)

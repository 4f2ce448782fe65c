"""Data preprocessor for several images stacked along channels (bi-temporal pairs)."""
from typing import Any, Dict, Sequence

from mmseg.models.data_preprocessor import SegDataPreProcessor
from mmseg.registry import MODELS


@MODELS.register_module()
class MultiImageSegDataPreProcessor(SegDataPreProcessor):
    """``SegDataPreProcessor`` for ``num_images`` images stacked along channels (A|B for change).

    ``mean``/``std`` may be given for one image (repeated for each) or for the whole stack, and
    ``bgr_to_rgb`` reverses the channels of every image of the stack (mmseg's only handles a single
    3-channel image). The output keeps the images stacked, N×(num_images·C)×H×W, for Siamese models
    to split or early-fusion models to take whole.
    """

    def __init__(self, num_images: int = 2, mean: Sequence[float] = None,
                 std: Sequence[float] = None, bgr_to_rgb: bool = False, **kwargs) -> None:
        if mean is not None and std is not None and len(mean) in (1, 3):
            mean, std = list(mean) * num_images, list(std) * num_images
        super().__init__(mean=mean, std=std, bgr_to_rgb=False, **kwargs)
        self.num_images = num_images
        self.pair_bgr_to_rgb = bgr_to_rgb

    def forward(self, data: dict, training: bool = False) -> Dict[str, Any]:
        if self.pair_bgr_to_rgb:
            data = self.cast_data(data)
            inputs = data['inputs']
            c = inputs[0].size(0) // self.num_images
            if c == 3:
                order = [i * c + j for i in range(self.num_images) for j in (2, 1, 0)]
                data = dict(data, inputs=[x[order, ...] for x in inputs])
        return super().forward(data, training)

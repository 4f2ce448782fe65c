"""Data preprocessors: input channels checked against ``mean``/``std``; several images stacked
along channels (bi-temporal pairs)."""
from typing import Any, Dict, Sequence

from mmseg.models.data_preprocessor import SegDataPreProcessor
from mmseg.registry import MODELS

from ...core.errors import ConfigError


def check_channels(inputs, mean) -> None:
    """Raise when an input's channel count differs from ``len(mean)`` (torch would broadcast a
    1-channel image against a 2-value mean into two identical channels without a word)."""
    if mean is None:
        return
    want = int(mean.numel())
    for x in inputs:
        if x.dim() == 3 and x.size(0) != want:
            raise ConfigError('model.data_preprocessor',
                              f'normalises {want} channel(s) (mean/std) but an input image has '
                              f'{x.size(0)}: does every pipeline (train, val, test) produce the '
                              'same channels, e.g. AddDepthChannel in each?')


@MODELS.register_module()
class CheckedSegDataPreProcessor(SegDataPreProcessor):
    """mmseg's ``SegDataPreProcessor`` that refuses inputs whose channel count is not the length
    of ``mean``/``std`` instead of broadcasting them."""

    def forward(self, data: dict, training: bool = False) -> Dict[str, Any]:
        if self._enable_normalize:
            check_channels(data['inputs'], self.mean)
        return super().forward(data, training)


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

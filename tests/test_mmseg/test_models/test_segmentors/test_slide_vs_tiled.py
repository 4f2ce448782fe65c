"""mmseg's ``test_cfg=dict(mode='slide')`` against seg_ext's blended tiling and whole-image mode."""
import numpy as np
import pytest
import torch
from mmengine.config import ConfigDict
from mmengine.model import BaseModule
from mmseg.models.segmentors import EncoderDecoder

from seg_ext.core.tiling import predict_tiled


class ConvStack(BaseModule):
    """``layers`` zero-padded stride-1 convolutions of size ``kernel`` (radius layers·k//2)."""

    def __init__(self, kernel: int, layers: int = 2, channels: int = 6) -> None:
        super().__init__()
        torch.manual_seed(0)
        self.convs = torch.nn.ModuleList(
            torch.nn.Conv2d(3 if i == 0 else channels, channels, kernel, padding=kernel // 2)
            for i in range(layers))

    def forward(self, x):
        for conv in self.convs:
            x = torch.relu(conv(x))
        return [x]


def segmentor(kernel: int) -> EncoderDecoder:
    model = EncoderDecoder(
        backbone=dict(type=ConvStack, kernel=kernel),
        decode_head=dict(type='FCNHead', in_channels=6, channels=6, num_convs=0,
                         concat_input=False, kernel_size=1, num_classes=3, dropout_ratio=0.0),
        test_cfg=dict(mode='whole'))
    return model.eval()


def run(model, img: torch.Tensor, **test_cfg) -> np.ndarray:
    model.test_cfg = ConfigDict(test_cfg)
    h, w = img.shape[-2:]
    metas = [dict(img_shape=(h, w), ori_shape=(h, w), pad_shape=(h, w))]
    with torch.no_grad():
        return model.inference(img, metas).softmax(1)[0].numpy()


def tiled(model, img: torch.Tensor, crop: int, stride: int, guard: int) -> np.ndarray:
    def predict(crops):
        return [run(model, torch.from_numpy(c).permute(2, 0, 1)[None], mode='whole')
                for c in crops]
    return predict_tiled(predict, img[0].permute(1, 2, 0).numpy(), crop, crop - stride,
                         guard=guard)


@pytest.mark.parametrize('crop,stride', [(16, 8), (24, 16)])
def test_pixelwise_model_slide_tiled_and_whole_agree(crop, stride):
    model = segmentor(kernel=1)  # receptive field of one pixel: every tiling is exact
    img = torch.rand(1, 3, 37, 50)
    whole = run(model, img, mode='whole')
    slide = run(model, img, mode='slide', crop_size=(crop, crop), stride=(stride, stride))
    np.testing.assert_allclose(slide, whole, atol=1e-5)
    np.testing.assert_allclose(tiled(model, img, crop, stride, guard=0), whole, atol=1e-5)


def test_conv_model_tiled_is_exact_where_slide_shows_seams():
    model = segmentor(kernel=3)  # two 3x3 layers: receptive-field radius 2
    img = torch.rand(1, 3, 40, 56)
    whole = run(model, img, mode='whole')
    slide = run(model, img, mode='slide', crop_size=(16, 16), stride=(8, 8))
    ours = tiled(model, img, 16, 8, guard=2)
    np.testing.assert_allclose(ours, whole, atol=1e-5)
    assert np.abs(slide - whole).max() > 1e-3  # uniform averaging keeps the tile-edge errors

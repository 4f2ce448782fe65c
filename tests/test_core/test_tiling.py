"""Tiled prediction: the slide grid, the blending weights, exactness against whole-image runs."""
import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from seg_ext.core.errors import DataError
from seg_ext.core.tiling import (
    axis_weights,
    check_tiling,
    predict_tiled,
    ramp_profile,
    tile_starts,
    tile_windows,
)


def conv_model(in_channels: int, classes: int = 3, layers: int = 2, seed: int = 0):
    """``layers`` zero-padded 3x3 convolutions (receptive-field radius ``layers``) + softmax."""
    gen = torch.Generator().manual_seed(seed)
    weights = [torch.randn(8 if i < layers - 1 else classes, in_channels if i == 0 else 8, 3, 3,
                           generator=gen) for i in range(layers)]

    def forward(x: torch.Tensor) -> torch.Tensor:  # N x C x H x W
        for i, w in enumerate(weights):
            x = torch.nn.functional.conv2d(x, w, padding=1)
            if i < len(weights) - 1:
                x = torch.relu(x)
        return x.softmax(1)

    def predict(images):
        x = torch.from_numpy(np.stack(images)).permute(0, 3, 1, 2).float()
        with torch.no_grad():
            return list(forward(x).numpy())
    return predict


def pair_model(seed: int = 0):
    """A Siamese toy: the same 3x3 conv on A and B, |a - b|, a 3x3 conv to 2 classes (radius 2)."""
    gen = torch.Generator().manual_seed(seed)
    w1, w2 = torch.randn(4, 3, 3, 3, generator=gen), torch.randn(2, 4, 3, 3, generator=gen)

    def predict(pairs):
        a = torch.from_numpy(np.stack([p[0] for p in pairs])).permute(0, 3, 1, 2).float()
        b = torch.from_numpy(np.stack([p[1] for p in pairs])).permute(0, 3, 1, 2).float()
        with torch.no_grad():
            f = (torch.nn.functional.conv2d(a, w1, padding=1)
                 - torch.nn.functional.conv2d(b, w1, padding=1)).abs()
            return list(torch.nn.functional.conv2d(f, w2, padding=1).softmax(1).numpy())
    return predict


def test_slide_grid_is_mmsegs():
    # mmseg: n = max(L - crop + stride - 1, 0) // stride + 1, last window moved back inside
    assert tile_starts(10, 4, 1) == [0, 3, 6]
    assert tile_starts(11, 4, 1) == [0, 3, 6, 7]
    assert tile_starts(4, 4, 2) == [0]
    assert tile_windows(6, 10, (4, 6), 2) == [(0, 0, 4, 6), (0, 4, 4, 10), (2, 0, 6, 6),
                                              (2, 4, 6, 10)]


def test_ramp_profile_by_hand():
    # overlap 6, guard 1: 0 for one pixel, then 1/5, 2/5, 3/5, 4/5, 1 from an inner edge
    np.testing.assert_allclose(ramp_profile(4, 16, 30, 6, 1)[:7], [0, .2, .4, .6, .8, 1, 1])
    np.testing.assert_allclose(ramp_profile(4, 16, 30, 6, 1)[-7:], [1, 1, .8, .6, .4, .2, 0])
    np.testing.assert_allclose(ramp_profile(0, 8, 20, 6, 1)[:2], [1, 1])  # image border: full
    np.testing.assert_allclose(ramp_profile(12, 8, 20, 6, 1)[-2:], [1, 1])
    # two neighbours at exactly `overlap` sum to 1 across it
    _, _, total = axis_weights(14, 8, 2, 0)
    np.testing.assert_allclose(total, 1)


@settings(max_examples=200, deadline=None)
@given(length=st.integers(1, 200), tile=st.integers(1, 64), data=st.data())
def test_grid_covers_every_pixel_with_positive_weight(length, tile, data):
    tile = min(tile, length)
    overlap = data.draw(st.integers(0, tile - 1))
    guard = data.draw(st.integers(0, overlap // 2))
    starts, profiles, total = axis_weights(length, tile, overlap, guard)
    assert starts[0] == 0 and starts[-1] == length - tile
    assert all(0 <= s and s + tile <= length for s in starts)  # windows inside the image
    assert starts == sorted(set(starts))
    stride = tile - overlap
    assert len(starts) == max(length - tile + stride - 1, 0) // stride + 1
    assert all(b - a <= stride for a, b in zip(starts, starts[1:]))  # no gap
    assert np.all(total > 0)  # every pixel covered with a positive weight
    for s, p in zip(starts, profiles):
        assert np.all((p >= 0) & (p <= 1))
        if s > 0:  # inside an inner edge's guard band: no weight
            assert np.all(p[:guard] == 0)


@settings(max_examples=50, deadline=None)
@given(h=st.integers(3, 40), w=st.integers(3, 40), data=st.data())
def test_pixelwise_model_is_exact_for_any_tiling(h, w, data):
    th, tw = data.draw(st.integers(2, h)), data.draw(st.integers(2, w))
    overlap = data.draw(st.integers(0, min(th, tw) - 1))
    img = np.random.default_rng(h * 100 + w).random((h, w, 2)).astype(np.float32)

    def predict(crops):  # receptive field of one pixel
        return [np.stack([c[..., 0], c[..., 1], c[..., 0] * c[..., 1]]) for c in crops]
    out = predict_tiled(predict, img, (th, tw), overlap, batch_size=3)
    np.testing.assert_allclose(out, predict([img])[0], rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize('tile,overlap,batch', [((16, 24), 8, 1), (20, 10, 4), ((37, 16), 5, 2)])
def test_conv_model_tiled_equals_whole_image(tile, overlap, batch):
    img = np.random.default_rng(0).random((53, 61, 3)).astype(np.float32)
    model = conv_model(3, layers=2)  # receptive field 5: radius 2 <= guard
    whole = model([img])[0]
    out = predict_tiled(model, img, tile, overlap, guard=2, batch_size=batch)
    assert out.dtype == np.float32 and out.shape == (3, 53, 61)
    np.testing.assert_allclose(out, whole, atol=1e-5)
    np.testing.assert_allclose(out.sum(0), 1, atol=1e-5)


def test_without_guard_the_tile_edges_show():
    img = np.random.default_rng(0).random((40, 40, 3)).astype(np.float32)
    model = conv_model(3, layers=2)
    out = predict_tiled(model, img, 16, 8, guard=0)
    assert np.abs(out - model([img])[0]).max() > 1e-3  # the test above can fail


def test_pairs_tiled_equals_whole_and_memmap_output(tmp_path):
    rng = np.random.default_rng(1)
    a, b = (rng.random((45, 70, 3)).astype(np.float32) for _ in range(2))
    model = pair_model()
    whole = model([(a, b)])[0]
    buf = np.lib.format.open_memmap(str(tmp_path / 'p.npy'), 'w+', np.float32, (2, 45, 70))
    buf[:] = 7  # zeroed first
    out = predict_tiled(model, (a, b), (24, 32), 8, batch_size=5, out=buf)  # guard 2
    assert out is buf
    np.testing.assert_allclose(out, whole, atol=1e-5)


def test_errors_name_the_file():
    img = np.zeros((30, 40, 3), np.float32)
    model = conv_model(3)
    with pytest.raises(DataError, match=r'^big\.png: the tile 32x32 is larger than the image '
                       r'30x40'):
        predict_tiled(model, img, 32, 4, source='big.png')
    with pytest.raises(DataError, match=r'^b\.png: the images of a pair must have the same size'):
        predict_tiled(model, (img, img[:20]), 16, 4, source='b.png')
    with pytest.raises(DataError, match='probabilities of shape'):
        predict_tiled(lambda crops: [np.zeros((2, 3, 3))] * len(crops), img, 16, 4)
    with pytest.raises(ValueError, match=r'overlap must be in \[0, 16\)'):
        predict_tiled(model, img, 16, 16)
    with pytest.raises(ValueError, match='overlap must be'):
        check_tiling(8, -1)
    with pytest.raises(ValueError, match=r'guard must be in \[0, overlap // 2 = 2\]'):
        check_tiling(8, 4, guard=3)
    with pytest.raises(ValueError, match='tile must be positive'):
        check_tiling((0, 4), 0)
    assert check_tiling(64, 16) == ((64, 64), 16, 4)

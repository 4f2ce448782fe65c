"""DenseCRF: pydensecrf2 agreement, zero-pairwise identity, energy descent, denoising, errors."""
import numpy as np
import pytest
import torch

from seg_ext.core.crf import (
    DenseCRF,
    GridCRF,
    build_lattice,
    mean_field,
    mean_field_energy,
    normalized_filter,
    pixel_features,
    pydensecrf_available,
)
from seg_ext.core.crf.mean_field import potts, unary_from_probs

needs_pydensecrf = pytest.mark.skipif(not pydensecrf_available(),
                                      reason='pydensecrf2 not installed (extra [crf])')


def scene(h=48, w=64, channels=3, classes=3, noise=1.5, seed=0):
    """A piecewise-constant image, its labels, and noisy class probabilities."""
    rng = np.random.default_rng(seed)
    labels = np.zeros((h, w), np.int64)
    labels[:, w // 3:] = 1
    labels[h // 2:, 2 * w // 3:] = 2 % classes
    colours = rng.uniform(0, 255, (classes, channels))
    image = colours[labels] + rng.normal(0, 4, (h, w, channels))
    logits = 2.0 * np.eye(classes)[labels] + rng.normal(0, noise, (h, w, classes))
    probs = torch.softmax(torch.tensor(logits, dtype=torch.float32), -1).permute(2, 0, 1)
    return probs, np.clip(image, 0, 255).astype(np.uint8), labels


def iou(pred, labels, cls):
    p, g = pred == cls, labels == cls
    return (p & g).sum() / (p | g).sum()


@needs_pydensecrf
@pytest.mark.parametrize('channels', [1, 3])
def test_agrees_with_pydensecrf(channels):
    probs, image, _ = scene(channels=channels, classes=3, seed=channels)
    img = image[..., 0] if channels == 1 else image
    ours = DenseCRF(backend='torch')(probs, img)
    ref = DenseCRF(backend='pydensecrf')(probs, img)
    agree = (ours.argmax(0) == ref.argmax(0)).float().mean()
    assert agree >= 0.99, float(agree)
    assert (ours - ref).abs().max() < 0.05


def test_zero_pairwise_weight_is_the_unary_argmax():
    probs, image, _ = scene()
    crf = DenseCRF(gaussian=dict(sxy=3, compat=0), bilateral=dict(sxy=80, srgb=13, compat=0))
    out = crf(probs, image)
    assert torch.equal(out.argmax(0), probs.argmax(0))
    assert torch.allclose(out, probs, atol=1e-4)


def test_energy_decreases_over_iterations():
    probs, image, _ = scene(h=20, w=24, classes=3, seed=4)
    flat = probs.permute(1, 2, 0).reshape(-1, 3)
    unary = unary_from_probs(flat)
    feats = pixel_features(20, 24, 5.0, torch.tensor(image), 20.0)
    kernels = [(normalized_filter(build_lattice(feats)), potts(3, 2.0))]
    energies = [mean_field_energy(mean_field(unary, kernels, k), unary, kernels) for k in range(6)]
    assert all(b <= a + 1e-3 for a, b in zip(energies, energies[1:])), energies
    assert energies[-1] < energies[0]


@pytest.mark.parametrize('crf', [DenseCRF(), GridCRF()], ids=['dense', 'grid'])
def test_noisy_logits_get_cleaner(crf):
    probs, image, labels = scene(noise=1.8, seed=2)
    before = np.mean([iou(probs.argmax(0).numpy(), labels, c) for c in range(3)])
    after = np.mean([iou(crf(probs, image).argmax(0).numpy(), labels, c) for c in range(3)])
    assert after > before + 0.1, (before, after)


def test_batch_equals_single_images():
    p1, i1, _ = scene(seed=5)
    p2, i2, _ = scene(seed=6)
    crf = DenseCRF()
    batched = crf(torch.stack([p1, p2]), np.stack([i1, i2]))
    assert torch.allclose(batched[0], crf(p1, i1), atol=1e-5)
    assert torch.allclose(batched[1], crf(p2, i2), atol=1e-5)


def test_valid_mask_leaves_padding_untouched():
    probs, image, _ = scene()
    valid = torch.zeros(48, 64, dtype=torch.bool)
    valid[:40, :50] = True
    out = DenseCRF()(probs, image, valid)
    assert torch.equal(out[:, 40:], probs[:, 40:]) and torch.equal(out[:, :, 50:], probs[:, :, 50:])
    inner = DenseCRF()(probs[:, :40, :50].contiguous(), image[:40, :50])
    assert torch.allclose(out[:, :40, :50], inner, atol=1e-5)  # padding does not leak in


@pytest.mark.parametrize('make, message', [
    (lambda p, i: (p[:, :40], i), 'image is \\(48, 64\\).*probabilities are \\(40, 64\\)'),
    (lambda p, i: (p.masked_fill(p > 0.9, float('nan')), i), 'NaN or Inf'),
    (lambda p, i: (p * 2, i), 'lie in \\[0, 1\\]'),
    (lambda p, i: (p * 0.5, i), 'sum to 1'),
])
def test_bad_inputs_raise_clear_errors(make, message):
    probs, image, _ = scene()
    p, i = make(probs, image)
    for crf in (DenseCRF(), GridCRF()):
        with pytest.raises(ValueError, match=message):
            crf(p, i)


def test_compatibility_matrix_and_arguments():
    probs, image, _ = scene(classes=3)
    mat = 3.0 * np.eye(3)
    a = DenseCRF(gaussian=dict(sxy=3, compat=mat), bilateral=None)(probs, image)
    b = DenseCRF(gaussian=dict(sxy=3, compat=3.0), bilateral=None)(probs, image)
    assert torch.allclose(a, b, atol=1e-6)
    with pytest.raises(ValueError, match='3x3'):
        DenseCRF(gaussian=dict(sxy=3, compat=np.eye(2)))(probs, image)
    with pytest.raises(ValueError, match='backend'):
        DenseCRF(backend='cuda-magic')
    with pytest.raises(ValueError, match='neighbors'):
        GridCRF(neighbors=6)


def test_position_lattice_is_cached_per_size():
    crf = DenseCRF(cache_size=2)
    p, i, _ = scene(seed=1)
    first = crf(p, i)
    assert len(crf._lattice_cache) == 1
    assert torch.allclose(crf(p, i), first, atol=1e-6)  # cached lattice, same result
    crf(*scene(h=32, w=40)[:2])
    crf(*scene(h=24, w=24)[:2])
    assert len(crf._lattice_cache) == 2  # least recently used size evicted


@needs_pydensecrf
@pytest.mark.parametrize('classes', [2, 8, 21])
def test_agrees_with_pydensecrf_on_a_photo_like_image(classes):
    """The benchmark's photo-like case (shading, texture, many colours) at every class count."""
    from benchmarks.crf import photo_like_problem
    image, probs = photo_like_problem(60, 90, classes, seed=classes)
    p = torch.from_numpy(probs)
    ours = DenseCRF(backend='torch')(p, image)
    ref = DenseCRF(backend='pydensecrf')(p, image)
    assert float((ours.argmax(0) == ref.argmax(0)).float().mean()) >= 0.99
    assert (ours - ref).abs().max() < 0.05

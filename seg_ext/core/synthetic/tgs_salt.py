"""Synthetic seismic sections with salt bodies, written in the exact TGS Salt Kaggle layout.

A section is built as a geologist would draw it, then "shot" like a seismic survey:

1. sediment layers: ~30-60 interfaces with a regional dip, folds and an optional normal fault
   (layers offset across a tilted plane), each with a random reflection coefficient;
2. a salt body (in ~60% of sections): a dome rising from below, a detached blob/sheet, or salt
   from the top, with a rough boundary; inside it the layering is replaced by weak chaotic
   reflectivity, its top is a strong positive reflector and its base a negative one, and the
   sediment layers next to it are dragged upwards;
3. the reflectivity is convolved trace by trace with a Ricker wavelet, smoothed laterally a little,
   gets band-limited noise and a random gain, and is stored as an 8-bit grayscale PNG.

Every section is 101×101 and seeded by its index, so a dataset is reproducible from ``seed``.
"""
import csv
import os
import os.path as osp
from typing import Dict, Optional, Tuple

import cv2
import numpy as np

from ..rle import rle_encode

SIZE = 101


def ricker(peak_freq: float, dt: float = 1.0, half_width: int = 12) -> np.ndarray:
    """Ricker wavelet, peak frequency ``peak_freq`` (cycles/sample), ``2 * half_width + 1`` taps."""
    t = np.arange(-half_width, half_width + 1) * dt
    a = (np.pi * peak_freq * t) ** 2
    return (1 - 2 * a) * np.exp(-a)


def _smooth_curve(rng: np.random.Generator, n: int, amp: float, scale: float) -> np.ndarray:
    """A smooth random 1-D curve of length ``n`` (sum of a few random sinusoids)."""
    x = np.arange(n)
    out = np.zeros(n)
    for _ in range(3):
        wl = scale * rng.uniform(0.5, 1.5)
        out += rng.normal(0, amp / 2) * np.sin(2 * np.pi * x / wl + rng.uniform(0, 2 * np.pi))
    return out


def salt_mask(rng: np.random.Generator, size: int = SIZE) -> np.ndarray:
    """A random salt body as a boolean ``(size, size)`` mask (may be empty only by bad luck)."""
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float64)
    kind = rng.choice(['dome', 'blob', 'top', 'full'], p=[0.45, 0.3, 0.2, 0.05])
    if kind == 'full':
        mask = np.ones((size, size), bool)
        if rng.random() < 0.5:  # a sliver of sediment in a corner
            mask &= (yy + xx * rng.uniform(0.2, 1)) > rng.uniform(5, 20)
        return mask
    rough = _smooth_curve(rng, size, rng.uniform(1, 5), rng.uniform(8, 25))
    if kind == 'dome':
        x0 = rng.uniform(-0.3, 1.3) * size
        width = rng.uniform(0.15, 0.6) * size
        crest = rng.uniform(0.05, 0.85) * size
        flank = rng.uniform(0.6, 3.0) * size
        top = crest + flank * (1 - np.exp(-((np.arange(size) - x0) / width) ** 2)) + rough
        return yy >= top[None, :]
    if kind == 'top':
        tilt = rng.uniform(-0.3, 0.3) * (np.arange(size) - size / 2)
        base = rng.uniform(0.15, 0.75) * size + tilt
        return yy <= (base + rough)[None, :]
    # blob: ellipse with a Fourier-perturbed radius, possibly cut by the frame
    cy, cx = rng.uniform(-0.1, 1.1, size=2) * size
    ry, rx = rng.uniform(0.08, 0.45, size=2) * size
    theta = np.arctan2(yy - cy, xx - cx)
    r = np.hypot((yy - cy) / ry, (xx - cx) / rx)
    wobble = 1 + sum(rng.normal(0, 0.08) * np.cos(k * theta + rng.uniform(0, 2 * np.pi))
                     for k in range(2, 6))
    return r <= wobble


def seismic_section(rng: np.random.Generator, mask: Optional[np.ndarray] = None,
                    size: int = SIZE) -> np.ndarray:
    """Render one ``(size, size)`` uint8 seismic image; ``mask`` marks salt (None = no salt)."""
    x = np.arange(size, dtype=np.float64)
    has_salt = mask is not None and mask.any()

    # --- sediment interfaces: dip, folds, fault, drag next to salt
    n_layers = int(rng.integers(30, 60))
    base = np.sort(rng.uniform(-0.3 * size, 1.3 * size, n_layers))
    dip = rng.normal(0, 0.15)
    fold = _smooth_curve(rng, size, rng.uniform(0, 8), rng.uniform(40, 160))
    depth = base[:, None] + dip * x[None, :] + fold[None, :] * rng.uniform(0.6, 1.4, (n_layers, 1))
    if rng.random() < 0.4:  # normal fault: a tilted plane, hanging wall dropped by `throw`
        x0, slope = rng.uniform(0.2, 0.8) * size, rng.normal(0, 0.5)
        throw = rng.uniform(2, 10) * rng.choice([-1, 1])
        hanging = x[None, :] > x0 + slope * depth
        depth = depth + throw * hanging
    if has_salt:
        # drag: sediments bend upwards towards the salt flank
        cols = mask.any(axis=0)
        top_of_salt = np.where(cols, mask.argmax(axis=0), size * 2).astype(np.float64)
        dist = np.abs(x[:, None] - np.flatnonzero(cols)[None, :]).min(axis=1) if cols.any() \
            else np.full(size, 1e9)
        drag = rng.uniform(3, 12) * np.exp(-dist / rng.uniform(5, 20))
        depth = depth - drag[None, :] * (depth > top_of_salt.min() - 10)
    coef = rng.normal(0, 1, n_layers) * rng.uniform(0.3, 1.0, n_layers)

    refl = np.zeros((size, size))
    rows = np.floor(depth)
    frac = depth - rows
    cols_idx = np.broadcast_to(x.astype(int)[None, :], depth.shape)
    for r_off, w in ((0, 1 - frac), (1, frac)):  # anti-aliased placement on the grid
        r = rows.astype(int) + r_off
        ok = (r >= 0) & (r < size)
        np.add.at(refl, (r[ok], cols_idx[ok]), (coef[:, None] * w)[ok])
    refl += rng.normal(0, 0.08, refl.shape)  # thin-bed reflectivity

    # --- salt: chaotic weak interior, strong top reflector, negative base
    if has_salt:
        chaos = cv2.GaussianBlur(rng.normal(0, 1, (size, size)), (0, 0), 1.2)
        refl = np.where(mask, chaos * rng.uniform(0.15, 0.35), refl)
        m = mask.astype(np.float64)
        edge = np.diff(m, axis=0, prepend=m[:1])  # +1 on salt top, -1 on salt base
        refl += edge * rng.uniform(1.5, 2.5) * np.where(edge > 0, 1.0, 0.6)

    # --- acquisition: wavelet, lateral smoothing, noise, gain
    wavelet = ricker(rng.uniform(0.09, 0.16))
    trace = cv2.filter2D(refl, -1, wavelet[:, None], borderType=cv2.BORDER_REFLECT)
    trace = cv2.GaussianBlur(trace, (0, 0), sigmaX=rng.uniform(0.5, 1.5), sigmaY=0.3)
    noise = cv2.GaussianBlur(rng.normal(0, 1, (size, size)), (0, 0), rng.uniform(0.6, 1.2))
    trace = trace + noise * rng.uniform(0.05, 0.25) * trace.std()
    gain = rng.uniform(25, 60) / (trace.std() + 1e-6)
    img = 128 + rng.uniform(-15, 15) + gain * trace
    return np.clip(img, 0, 255).astype(np.uint8)


def make_sample(index: int, seed: int = 0, salt_prob: float = 0.6
                ) -> Tuple[np.ndarray, np.ndarray, float]:
    """Image (uint8), mask (uint8 0/255) and depth (m) of sample ``index`` of dataset ``seed``."""
    rng = np.random.default_rng([seed, index])
    depth = float(rng.uniform(50, 960))
    mask = np.zeros((SIZE, SIZE), bool)
    if rng.random() < salt_prob:
        for _ in range(5):  # redraw bodies that fall completely outside the frame
            mask = salt_mask(rng)
            if mask.sum() >= 10:
                break
    img = seismic_section(rng, mask if mask.any() else None)
    return img, mask.astype(np.uint8) * 255, depth


def _sample_id(rng: np.random.Generator, taken: set) -> str:
    while True:
        sid = rng.bytes(5).hex()
        if sid not in taken:
            taken.add(sid)
            return sid


def write_tgs_dataset(root: str, num_train: int = 1200, num_test: int = 100, seed: int = 0,
                      channels: int = 3, write_masks: bool = True) -> Dict[str, int]:
    """Write a synthetic dataset in the Kaggle layout under ``root``.

    Writes ``train/images``, ``train/masks`` (unless ``write_masks=False``: RLE only),
    ``train.csv`` (``id,rle_mask``), ``test/images``, ``depths.csv`` (``id,z``) and
    ``sample_submission.csv``. Images are grayscale stored with ``channels`` (1 or 3) channels.

    Returns counts: ``train``, ``test``, ``empty`` (train masks without salt).
    """
    if channels not in (1, 3):
        raise ValueError('channels must be 1 or 3')
    for sub in ('train/images', 'train/masks', 'test/images'):
        if sub != 'train/masks' or write_masks:
            os.makedirs(osp.join(root, sub), exist_ok=True)
    rng = np.random.default_rng(seed)
    taken: set = set()
    rows, depths, empty = [], [], 0
    for i in range(num_train + num_test):
        sid = _sample_id(rng, taken)
        img, mask, z = make_sample(i, seed)
        split = 'train' if i < num_train else 'test'
        out = cv2.merge([img] * 3) if channels == 3 else img
        cv2.imwrite(osp.join(root, split, 'images', sid + '.png'), out)
        depths.append((sid, int(round(z))))
        if split == 'train':
            if write_masks:
                cv2.imwrite(osp.join(root, 'train', 'masks', sid + '.png'), mask)
            rows.append((sid, rle_encode(mask)))
            empty += int(not mask.any())
    with open(osp.join(root, 'train.csv'), 'w', newline='') as f:
        w = csv.writer(f)
        w.writerow(['id', 'rle_mask'])
        w.writerows(rows)
    with open(osp.join(root, 'depths.csv'), 'w', newline='') as f:
        w = csv.writer(f)
        w.writerow(['id', 'z'])
        w.writerows(depths)
    test_ids = [sid for sid, _ in depths[num_train:]]
    with open(osp.join(root, 'sample_submission.csv'), 'w', newline='') as f:
        w = csv.writer(f)
        w.writerow(['id', 'rle_mask'])
        w.writerows([(sid, '1 1') for sid in test_ids])
    return dict(train=num_train, test=num_test, empty=empty)

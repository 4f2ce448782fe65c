"""Synthetic bi-temporal aerial scenes for change detection, written in the LEVIR-CD layout.

Scene A: textured ground (soil/grass fields), roads, tree clumps and rectangular buildings with
gable roofs and cast shadows. Scene B (a later acquisition) removes some buildings and builds new
ones -- the only *labelled* change -- and differs in ways that must not be labelled: another sun
angle (shadows move), illumination, contrast, colour cast and vegetation season, sensor noise, and
a misregistration of up to ±2 px. Labels are 0/255 PNGs of the changed building footprints.

Layout: ``{train,val,test}/{A,B,label}/<name>.png``.
"""
import os
import os.path as osp
from typing import Dict, List, Optional, Tuple

import cv2
import numpy as np

# cx, cy, w, h, angle (degrees), roof colour (BGR)
Building = Tuple[float, float, float, float, float, Tuple[int, int, int]]

ROOF_COLOURS = [(60, 60, 170), (50, 80, 140), (150, 150, 150), (200, 200, 205), (140, 110, 90),
                (90, 90, 100), (170, 120, 70), (70, 110, 160)]  # BGR: red tiles, brown, greys...


def _noise(rng: np.random.Generator, size: int, scales=(32, 8, 2), weights=(1.0, 0.5, 0.25)):
    """Multi-scale smooth noise in [-1, 1] (sum of blurred white noise)."""
    out = np.zeros((size, size), np.float32)
    for s, w in zip(scales, weights):
        n = cv2.GaussianBlur(rng.standard_normal((size, size)).astype(np.float32), (0, 0), s)
        out += w * n / (n.std() + 1e-6)
    return out / sum(weights)


def _ground(rng: np.random.Generator, size: int) -> np.ndarray:
    soil = np.array([rng.uniform(70, 110), rng.uniform(110, 140), rng.uniform(130, 160)])
    grass = np.array([rng.uniform(40, 70), rng.uniform(100, 140), rng.uniform(60, 90)])
    mix = np.clip(0.5 + 0.8 * _noise(rng, size, (48, 16), (1.0, 0.4)), 0, 1)[..., None]
    img = mix * grass + (1 - mix) * soil
    img += 18 * _noise(rng, size, (6, 2, 1), (1, 0.6, 0.4))[..., None]
    return img


def _roads(rng: np.random.Generator, size: int, img: np.ndarray) -> np.ndarray:
    mask = np.zeros((size, size), np.uint8)
    for _ in range(rng.integers(1, 4)):
        width = max(2, int(rng.integers(6, 13) * size / 256))
        if rng.random() < 0.5:
            y0, y1 = rng.uniform(0, size, 2)
            p0, p1 = (0, int(y0)), (size - 1, int(y1))
        else:
            x0, x1 = rng.uniform(0, size, 2)
            p0, p1 = (int(x0), 0), (int(x1), size - 1)
        cv2.line(mask, p0, p1, 1, width)
    grey = rng.uniform(85, 125)
    tex = grey + 6 * _noise(rng, size, (2, 1), (1, 1))
    img[mask > 0] = np.stack([tex] * 3, -1)[mask > 0]
    return mask


def _trees(rng: np.random.Generator, size: int, img: np.ndarray, avoid: np.ndarray) -> None:
    for _ in range(rng.integers(3, 12)):
        cx, cy = rng.uniform(0, size, 2)
        for _ in range(rng.integers(3, 10)):
            x, y = int(cx + rng.normal(0, 8)), int(cy + rng.normal(0, 8))
            r = int(rng.integers(3, 7))
            if 0 <= x < size and 0 <= y < size and not avoid[y, x]:
                shade = rng.uniform(0.7, 1.0)
                cv2.circle(img, (x, y), r, (30 * shade, 75 * shade, 40 * shade), -1)


def _corners(b: Building) -> np.ndarray:
    cx, cy, w, h, angle, _ = b
    return cv2.boxPoints(((cx, cy), (w, h), angle)).astype(np.float32)


def _footprint(b: Building, size: int) -> np.ndarray:
    m = np.zeros((size, size), np.uint8)
    cv2.fillConvexPoly(m, np.round(_corners(b)).astype(np.int32), 1)
    return m


def _draw_buildings(img: np.ndarray, buildings: List[Building], sun: np.ndarray,
                    size: int) -> None:
    """Shadows first (offset footprint towards ``sun``), then roofs with two shaded halves."""
    shadow = np.zeros((size, size), np.uint8)
    for b in buildings:
        c = _corners(b)
        hull = cv2.convexHull(np.concatenate([c, c + sun]).astype(np.int32))
        cv2.fillConvexPoly(shadow, hull, 1)
    img[shadow > 0] *= 0.45
    for b in buildings:
        cx, cy, w, h, angle, colour = b
        c = np.round(_corners(b)).astype(np.int32)
        cv2.fillConvexPoly(img, c, colour)
        # gable roof: the half away from the sun is darker
        half = cv2.boxPoints(((cx, cy), (w / 2, h), angle)).astype(np.float32)
        shift = (c[0] + c[1] - c[2] - c[3]) / 4.0
        side = half + shift * (1 if np.dot(shift, sun) < 0 else -1) * 0.5
        cv2.fillConvexPoly(img, np.round(side).astype(np.int32),
                           tuple(0.72 * np.array(colour, np.float64)))
        cv2.polylines(img, [c], True, tuple(0.55 * np.array(colour, np.float64)), 1)


def _random_buildings(rng: np.random.Generator, n: int, size: int, occupied: np.ndarray,
                      tries: int = 40) -> List[Building]:
    out: List[Building] = []
    aligned = rng.uniform(-12, 12)  # a neighbourhood shares an orientation
    for _ in range(n):
        for _ in range(tries):
            w, h = rng.uniform(10, 34) * size / 256, rng.uniform(10, 26) * size / 256
            b = (rng.uniform(w, size - w), rng.uniform(h, size - h), w, h,
                 aligned + rng.choice([0, 90]) + rng.normal(0, 3),
                 tuple(int(v) for v in np.clip(np.array(ROOF_COLOURS[rng.integers(
                     len(ROOF_COLOURS))]) * rng.uniform(0.85, 1.15), 0, 255)))
            fp = _footprint(b, size)
            grown = cv2.dilate(fp, np.ones((7, 7), np.uint8))
            if not (grown & occupied).any():
                occupied |= grown
                out.append(b)
                break
    return out


def _acquire(rng: np.random.Generator, img: np.ndarray, misregister: bool,
             size: int) -> np.ndarray:
    """Radiometry and geometry of one acquisition: gain, gamma, colour cast, noise, shift."""
    out = img * rng.uniform(0.8, 1.2) + rng.uniform(-20, 20)
    out = out * rng.uniform(0.9, 1.1, 3)  # colour cast
    out = np.clip(out, 0, 255)
    out = 255 * (out / 255) ** rng.uniform(0.8, 1.25)
    out += rng.normal(0, rng.uniform(2, 5), out.shape)
    if misregister:
        tx, ty = rng.uniform(-2, 2, 2)
        rot = rng.uniform(-0.5, 0.5)
        m = cv2.getRotationMatrix2D((size / 2, size / 2), rot, 1.0)
        m[:, 2] += (tx, ty)
        out = cv2.warpAffine(out.astype(np.float32), m, (size, size),
                             borderMode=cv2.BORDER_REFLECT)
    return np.clip(out, 0, 255).astype(np.uint8)


def make_pair(index: int, seed: int = 0, size: int = 256, no_change_prob: float = 0.15
              ) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Images A, B (uint8 BGR) and the change label (uint8 0/255) of pair ``index``."""
    rng = np.random.default_rng([seed, index, 7])
    base = _ground(rng, size)
    road = _roads(rng, size, base)
    occupied = cv2.dilate(road, np.ones((9, 9), np.uint8)).astype(np.uint8)
    existing = _random_buildings(rng, int(rng.integers(3, 14)), size, occupied)

    if rng.random() < no_change_prob:
        removed_idx: List[int] = []
        added: List[Building] = []
    else:
        removed_idx = [i for i in range(len(existing)) if rng.random() < 0.15]
        added = _random_buildings(rng, int(rng.integers(1, 8)), size, occupied)
    kept_b = [b for i, b in enumerate(existing) if i not in removed_idx]

    _trees(rng, size, base, occupied > 0)  # static scenery, clear of every building
    scene_a, scene_b = base.copy(), base.copy()
    # season: vegetation greener or browner in B
    green = base[..., 1] > base[..., 2] + 10
    season = rng.uniform(-12, 12)
    scene_b[green, 1] += season
    scene_b[green, 2] -= season / 2
    angle_a, angle_b = rng.uniform(0, 2 * np.pi, 2)
    sun_a = rng.uniform(3, 7) * np.array([np.cos(angle_a), np.sin(angle_a)])
    sun_b = rng.uniform(3, 7) * np.array([np.cos(angle_b), np.sin(angle_b)])
    _draw_buildings(scene_a, existing, sun_a, size)
    _draw_buildings(scene_b, kept_b + added, sun_b, size)

    label = np.zeros((size, size), np.uint8)
    for b in [existing[i] for i in removed_idx] + added:
        label |= _footprint(b, size)
    img_a = _acquire(rng, scene_a, misregister=False, size=size)
    img_b = _acquire(rng, scene_b, misregister=True, size=size)
    return img_a, img_b, label * 255


def write_levir_dataset(root: str, splits: Optional[Dict[str, int]] = None, seed: int = 0,
                        size: int = 256) -> Dict[str, Dict[str, int]]:
    """Write ``{split}/{A,B,label}/<name>.png`` under ``root``; returns per-split counts."""
    splits = splits or dict(train=320, val=40, test=60)
    stats: Dict[str, Dict[str, int]] = {}
    offset = 0
    for split, n in splits.items():
        for sub in ('A', 'B', 'label'):
            os.makedirs(osp.join(root, split, sub), exist_ok=True)
        unchanged = 0
        for i in range(n):
            a, b, lab = make_pair(offset + i, seed, size)
            name = f'{split}_{i + 1}.png'
            cv2.imwrite(osp.join(root, split, 'A', name), a)
            cv2.imwrite(osp.join(root, split, 'B', name), b)
            cv2.imwrite(osp.join(root, split, 'label', name), lab)
            unchanged += int(not lab.any())
        stats[split] = dict(pairs=n, unchanged=unchanged)
        offset += n
    return stats

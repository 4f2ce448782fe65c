"""``DenseCRF``: fully connected CRF refinement with a PyTorch or a pydensecrf backend."""
from collections import OrderedDict
from typing import Optional, Sequence, Union

import numpy as np
import torch
from torch import Tensor

from .checks import as_batch
from .mean_field import (
    NormalizedKernel,
    PottsMessage,
    mean_field,
    normalized_filter,
    pixel_features,
    potts,
    unary_from_probs,
)
from .permutohedral import build_lattice
from .pydensecrf_backend import pydensecrf_inference

Compat = Union[float, Sequence[Sequence[float]], None]


class DenseCRF:
    """Fully connected CRF (Krähenbühl & Koltun, 2011) on a prediction's class probabilities.

    Unary ``-log p``; an appearance-free Gaussian kernel over position (``gaussian``: ``sxy``,
    ``compat``) and a bilateral kernel over position and intensity (``bilateral``: ``sxy``,
    ``srgb``, ``compat``) -- any number of image channels: gray (TGS), RGB, or A|B of a change pair;
    Potts compatibility (a weight) or a (C, C) matrix; ``iterations`` mean-field steps.

    Backends behind the one call: ``'torch'`` (permutohedral lattice, batched; compiled kernels
    on the CPU, tensor operations on CUDA; the default) and ``'pydensecrf'`` (pydensecrf2,
    Krähenbühl's C++ code, CPU, one image at a time: the reference). Both use the same features in
    the same order, so they agree up to float rounding.

    Call: ``crf(probs, image, valid=None)`` with probs (B, C, H, W) (or (C, H, W)) at the image's
    original size and image (B, H, W, K) (or (H, W[, K])); ``valid`` (B, H, W) restricts the CRF
    to those pixels (e.g. excludes padding), leaving the others unchanged. Returns refined
    probabilities of the same shape, on the probabilities' device. The position-only lattice of
    the Gaussian kernel is cached per image size (``cache_size`` sizes).
    """

    def __init__(self,
                 iterations: int = 5,
                 gaussian: Optional[dict] = dict(sxy=3.0, compat=3.0),
                 bilateral: Optional[dict] = dict(sxy=80.0, srgb=13.0, compat=10.0),
                 backend: str = 'torch',
                 clip: float = 1e-5,
                 cache_size: int = 4) -> None:
        if backend not in ('torch', 'pydensecrf'):
            raise ValueError(f"backend must be 'torch' or 'pydensecrf', got {backend!r}")
        if iterations < 0:
            raise ValueError('iterations must be >= 0')
        self.iterations = iterations
        self.gaussian = dict(gaussian) if gaussian else None
        self.bilateral = dict(bilateral) if bilateral else None
        self.backend = backend
        self.clip = clip
        # the position-only (Gaussian) lattice depends on the image size alone: datasets of
        # same-size images reuse it (most recent ``cache_size`` sizes kept)
        self.cache_size = cache_size
        self._lattice_cache: 'OrderedDict[tuple, object]' = OrderedDict()

    def __repr__(self) -> str:
        return (f'DenseCRF(iterations={self.iterations}, gaussian={self.gaussian}, '
                f'bilateral={self.bilateral}, backend={self.backend!r})')

    @staticmethod
    def _compat(value: Compat, num_classes: int, device) -> Optional[Tensor]:
        if value is None:
            return None
        arr = torch.as_tensor(value, dtype=torch.float32, device=device)
        if arr.ndim == 0:
            return None if float(arr) == 0 else potts(num_classes, float(arr), device)
        if tuple(arr.shape) != (num_classes, num_classes):
            raise ValueError(f'compatibility matrix must be {num_classes}x{num_classes}, got '
                             f'{tuple(arr.shape)}')
        return arr

    def __call__(self, probs: Tensor, image, valid: Optional[Tensor] = None) -> Tensor:
        probs, img, valid, single = as_batch(probs, image, valid)
        if self.backend == 'pydensecrf':
            out = self._pydensecrf(probs, img, valid)
        else:
            out = self._torch(probs, img, valid)
        return out[0] if single else out

    def _torch(self, probs: Tensor, img: Tensor, valid: Optional[Tensor]) -> Tensor:
        b, c, h, w = probs.shape
        dev = probs.device
        flat = probs.permute(0, 2, 3, 1).reshape(b * h * w, c)
        keep = valid.reshape(-1) if valid is not None else None
        # lattice keys of different images differ by the image index (none needed for one image)
        batch = torch.arange(b, device=dev).repeat_interleave(h * w) if b > 1 else None
        unary = unary_from_probs(flat, self.clip)
        specs = []
        if self.gaussian:
            specs.append((self.gaussian, None))
        if self.bilateral:
            specs.append((self.bilateral, img))
        potts_kernels, kernels = [], []
        for spec, image in specs:
            value = spec.get('compat', 1.0)
            if value is None or (np.ndim(value) == 0 and float(value) == 0):
                continue
            potts_weight = float(value) if np.ndim(value) == 0 else None
            # the position-only kernel depends on the size alone: its lattice and normalised
            # operator are kept for the next image of this size
            cacheable = image is None and keep is None and self.cache_size > 0
            key = (b, h, w, float(spec['sxy']), potts_weight, str(dev))
            if cacheable and key in self._lattice_cache:
                self._lattice_cache.move_to_end(key)
                lattice, operator = self._lattice_cache[key]
            else:
                feats = torch.cat([pixel_features(h, w, spec['sxy'],
                                                  None if image is None else image[i],
                                                  spec.get('srgb')).to(dev) for i in range(b)])
                bi = batch
                if keep is not None:
                    feats, bi = feats[keep], None if bi is None else bi[keep]
                lattice = build_lattice(feats, bi)
                operator = None if potts_weight is None else NormalizedKernel(lattice, potts_weight)
                if cacheable:
                    self._lattice_cache[key] = (lattice, operator)
                    while len(self._lattice_cache) > self.cache_size:
                        self._lattice_cache.popitem(last=False)
            if operator is not None:  # Potts: the kernels' messages are summed in one operator
                potts_kernels.append(operator)
            else:
                kernels.append((normalized_filter(lattice), self._compat(value, c, dev)))
        if potts_kernels:
            kernels.append((PottsMessage(potts_kernels), None))
        if keep is not None:
            q = flat.clone()
            q[keep] = mean_field(unary[keep], kernels, self.iterations)
        else:
            q = mean_field(unary, kernels, self.iterations)
        return q.reshape(b, h, w, c).permute(0, 3, 1, 2).contiguous()

    def _pydensecrf(self, probs: Tensor, img: Tensor, valid: Optional[Tensor]) -> Tensor:
        if valid is not None:
            raise ValueError("the 'pydensecrf' backend has no valid-pixel mask; crop the padding "
                             "or use backend='torch'")
        outs = []
        g, bl = self.gaussian or {}, self.bilateral or {}
        for i in range(probs.shape[0]):
            q = pydensecrf_inference(
                probs[i].cpu().numpy(), img[i].cpu().numpy().astype(np.float32),
                self.iterations, g.get('sxy', 3.0), g.get('compat') if g else None,
                bl.get('sxy', 80.0), bl.get('srgb', 13.0), bl.get('compat') if bl else None,
                self.clip)
            outs.append(torch.from_numpy(q))
        return torch.stack(outs).to(probs.device)

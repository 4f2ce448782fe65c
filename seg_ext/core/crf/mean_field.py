"""Mean-field inference for fully connected CRFs (Krähenbühl & Koltun, 2011), as pure functions.

The update is pydensecrf's: ``Q = softmax(-U + sum_k mu_k · K_k Q)`` with each kernel ``K_k`` the
symmetrically normalised lattice filter ``n ⊙ L(n ⊙ Q)``, ``n = 1 / sqrt(L(1))``, and ``mu_k`` the
label compatibility (Potts: ``w · I``, i.e. neighbours with similar features vote for their label).
"""
from typing import Callable, List, Optional, Sequence, Tuple

import torch
from torch import Tensor

from . import compiled
from .permutohedral import (
    Lattice,
    blur,
    build_lattice,
    csr,
    lattice_filter,
    slice_alpha,
)

Filter = Callable[[Tensor], Tensor]


def normalized_filter(lattice: Lattice) -> Filter:
    """The symmetric normalised kernel ``x -> n ⊙ L(n ⊙ x)`` of one lattice (pydensecrf default)."""
    ones = torch.ones(lattice.offsets.shape[0], 1, device=lattice.offsets.device)
    norm = 1.0 / torch.sqrt(lattice_filter(lattice, ones) + 1e-20)
    return lambda x: norm * lattice_filter(lattice, norm * x)


class NormalizedKernel:
    """One Potts kernel's message ``Q -> w · n ⊙ L(n ⊙ Q)``, ``n = 1 / sqrt(L(1))``, with ``n``
    folded into the splat weights and ``w · n`` into the slicing weights, so a message costs one
    splat, the blurs and one slice that adds into its output.

    On the CPU the three run in the compiled ``filter_add_cpu`` (point order, as pydensecrf);
    elsewhere (and with autograd) as sparse products. It depends on the lattice and the weight
    alone: ``DenseCRF`` keeps the position-only kernel's operator for every image of a size.
    """

    def __init__(self, lattice: Lattice, weight: float) -> None:
        ones = torch.ones(lattice.offsets.shape[0], 1, device=lattice.offsets.device)
        norm = (1.0 / torch.sqrt(lattice_filter(lattice, ones) + 1e-20))[:, 0]
        self.lattice, self.norm = lattice, norm
        self.splat_w = lattice.weights * norm[:, None]
        self.slice_w = lattice.weights * (slice_alpha(lattice.dim) * weight * norm)[:, None]
        self._csr = None

    def _sparse(self):
        """(splat (M+1, N), slice (N, M+1)) CSR matrices of the weights, built on first use: the
        lattice's own matrices with ``n`` on the splat's columns and the slice values replaced by
        ``slice_w`` (same regular layout, d+1 entries per point)."""
        if self._csr is None:
            sp, sl = self.lattice.splat, self.lattice.slice
            splat = csr(sp.crow_indices(), sp.col_indices(),
                        sp.values() * self.norm[sp.col_indices()], tuple(sp.shape))
            slice_ = csr(sl.crow_indices(), sl.col_indices(), self.slice_w.reshape(-1),
                         tuple(sl.shape))
            self._csr = (splat, slice_)
        return self._csr

    def __call__(self, q: Tensor, add: Optional[Tensor] = None) -> Tensor:
        if compiled.compiled_path(q):
            out = torch.zeros_like(q) if add is None else add.clone(
                memory_format=torch.contiguous_format)
            self.accumulate(q, out)
            return out
        splat, slice_ = self._sparse()
        blurred = blur(self.lattice, torch.sparse.mm(splat, q))
        if add is None:
            return torch.sparse.mm(slice_, blurred)
        return torch.addmm(add, slice_, blurred)

    def accumulate(self, q: Tensor, out: Tensor) -> None:
        """``out += message(q)`` in place (``out`` contiguous)."""
        if compiled.compiled_path(q) and out.is_contiguous():
            lat = self.lattice
            compiled.compiled_extension().filter_add_cpu(q, lat.offsets, self.splat_w,
                                                         self.slice_w, lat.neighbors, out)
            return
        splat, slice_ = self._sparse()
        out.addmm_(slice_, blur(self.lattice, torch.sparse.mm(splat, q)))


class PottsMessage:
    """``Q -> sum_k w_k · n_k ⊙ L_k(n_k ⊙ Q)`` for Potts kernels: the sum of
    :class:`NormalizedKernel` messages, accumulated by the slicing products (``add`` is fused
    into the first: ``add + message``)."""

    def __init__(self, kernels: Sequence[NormalizedKernel]) -> None:
        self.kernels = list(kernels)

    @classmethod
    def from_lattices(cls, lattices: Sequence[Lattice], weights: Sequence[float]
                      ) -> 'PottsMessage':
        return cls([NormalizedKernel(lat, w) for lat, w in zip(lattices, weights)])

    def __call__(self, q: Tensor, add: Optional[Tensor] = None) -> Tensor:
        out = self.kernels[0](q, add=add)  # a new tensor: ``add`` is left as it is
        for kernel in self.kernels[1:]:
            kernel.accumulate(q, out)
        return out


def pixel_features(height: int, width: int, sxy: float, image: Optional[Tensor] = None,
                   srgb: Optional[float] = None) -> Tensor:
    """Kernel features of every pixel, row-major: ``(row/sxy, col/sxy[, I_c/srgb...])`` (N, d).

    ``image`` (H, W, C) adds C intensity features (bilateral kernel); without it the kernel is the
    appearance-free Gaussian (smoothness) kernel. The order is that of pydensecrf's
    ``create_pairwise_gaussian``/``create_pairwise_bilateral`` (the lattice is not symmetric under
    reordering, so both backends must agree).
    """
    dev = image.device if image is not None else None
    ys, xs = torch.meshgrid(torch.arange(height, device=dev, dtype=torch.float32),
                            torch.arange(width, device=dev, dtype=torch.float32), indexing='ij')
    feats = [ys.reshape(-1, 1) / sxy, xs.reshape(-1, 1) / sxy]
    if image is not None:
        feats.append(image.reshape(height * width, -1).float() / srgb)
    return torch.cat(feats, dim=1)


def unary_from_probs(probs: Tensor, clip: float = 1e-5) -> Tensor:
    """Negative log-probabilities (pydensecrf's ``unary_from_softmax``)."""
    return -torch.log(probs.clamp(min=clip, max=1.0))


def mean_field(unary: Tensor, kernels: Sequence[Tuple[Filter, Optional[Tensor]]],
               iterations: int) -> Tensor:
    """Run ``iterations`` parallel mean-field updates.

    Args:
        unary: (N, C) unary energies.
        kernels: (filter, compatibility (C, C)) pairs; a Potts kernel of weight w is ``w * I``;
            ``None`` means the filter already includes its (Potts) weight, e.g.
            :class:`PottsMessage`.

    Returns:
        Q (N, C), the approximate marginals.
    """
    neg_unary = -unary
    q = softmax_rows(neg_unary)  # the clipped input probabilities, renormalised
    for _ in range(iterations):
        logits = neg_unary
        for filt, compat in kernels:
            if isinstance(filt, PottsMessage) and logits is neg_unary:
                logits = filt(q, add=neg_unary)  # -U + message in one sparse product
                continue
            msg = filt(q)
            logits = logits + (msg if compat is None else msg @ compat.T)
        q = softmax_rows(logits)
    return q


#: rows whose exp-sum after subtracting the global maximum is below this are recomputed exactly
#: (their own maximum is > 60 below the global one); elsewhere the error is below exp(-27)
UNDERFLOW = 1e-26


def softmax_rows(logits: Tensor) -> Tensor:
    """``softmax(logits, dim=1)`` of (N, C), contiguous.

    On the CPU: ``exp(x - max(x))`` with the maximum of the whole tensor, rows summed by a
    matrix-vector product, and rows whose sum underflows (their maximum > 60 below the global
    one) redone by ``torch.softmax``. torch's row-wise softmax pays a fixed cost per row (its
    reductions run over only C elements), 1.1-5x slower at 2-21 classes (``benchmark.py crf``'s
    softmax table).
    """
    if logits.device.type != 'cpu' or logits.numel() == 0:
        return torch.softmax(logits, dim=1)
    y = logits - logits.max()
    y.exp_()
    total = y @ torch.ones(logits.shape[1], 1, dtype=y.dtype)
    small = total[:, 0] < UNDERFLOW
    if bool(small.any()):
        y[small] = torch.softmax(logits[small], dim=1)
        total[small] = 1.0
    return y.div_(total)


def mean_field_energy(q: Tensor, unary: Tensor, kernels: Sequence[Tuple[Filter, Tensor]]) -> float:
    """Mean-field free energy ``E(Q) = <Q, U> - ½ Σ_k <Q, mu_k K_k Q> + <Q, log Q>`` (lower is
    better); mean-field updates decrease it on well-behaved problems."""
    energy = (q * unary).sum() + (q * torch.log(q.clamp(min=1e-30))).sum()
    for filt, compat in kernels:
        msg = filt(q)
        energy = energy - 0.5 * (q * (msg if compat is None else msg @ compat.T)).sum()
    return float(energy)


def potts(num_classes: int, weight: float, device=None) -> Tensor:
    """Potts compatibility ``weight * I`` (pydensecrf's ``compat=weight``)."""
    return weight * torch.eye(num_classes, device=device)


def build_kernels(features: List[Tensor], compat: List[Tensor]) -> List[Tuple[Filter, Tensor]]:
    """Lattices for each feature set, paired with their compatibility matrices."""
    return [(normalized_filter(build_lattice(f)), c) for f, c in zip(features, compat)]

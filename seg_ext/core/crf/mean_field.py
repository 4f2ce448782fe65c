"""Mean-field inference for fully connected CRFs (Krähenbühl & Koltun, 2011), as pure functions.

The update is pydensecrf's: ``Q = softmax(-U + sum_k mu_k · K_k Q)`` with each kernel ``K_k`` the
symmetrically normalised lattice filter ``n ⊙ L(n ⊙ Q)``, ``n = 1 / sqrt(L(1))``, and ``mu_k`` the
label compatibility (Potts: ``w · I``, i.e. neighbours with similar features vote for their label).
"""
from typing import Callable, List, Optional, Sequence, Tuple

import torch
from torch import Tensor

from .permutohedral import Lattice, blur, build_lattice, csr, lattice_filter

Filter = Callable[[Tensor], Tensor]


def normalized_filter(lattice: Lattice) -> Filter:
    """The symmetric normalised kernel ``x -> n ⊙ L(n ⊙ x)`` of one lattice (pydensecrf default)."""
    ones = torch.ones(lattice.offsets.shape[0], 1, device=lattice.offsets.device)
    norm = 1.0 / torch.sqrt(lattice_filter(lattice, ones) + 1e-20)
    return lambda x: norm * lattice_filter(lattice, norm * x)


class NormalizedKernel:
    """One Potts kernel's message ``Q -> w · n ⊙ L(n ⊙ Q)``, ``n = 1 / sqrt(L(1))``, with ``n``
    folded into the splat matrix's columns and ``w · n`` into the slicing matrix's rows, so a
    message costs one sparse product to splat, the blurs and one (fused ``add +``) to slice.

    It depends on the lattice and the weight alone: ``DenseCRF`` keeps the position-only
    kernel's operator for every image of a size.
    """

    def __init__(self, lattice: Lattice, weight: float) -> None:
        n = lattice.offsets.shape[0]
        ones = torch.ones(n, 1, device=lattice.offsets.device)
        norm = (1.0 / torch.sqrt(lattice_filter(lattice, ones) + 1e-20))[:, 0]
        sp, sl = lattice.splat, lattice.slice
        self.splat = csr(sp.crow_indices(), sp.col_indices(),
                         sp.values() * norm[sp.col_indices()], tuple(sp.shape))
        k = lattice.dim + 1  # slicing rows are regular: d+1 entries per point
        self.slice = csr(sl.crow_indices(), sl.col_indices(),
                         (sl.values().view(n, k) * (weight * norm)[:, None]).reshape(-1),
                         tuple(sl.shape))
        self.lattice = lattice

    def __call__(self, q: Tensor, add: Optional[Tensor] = None) -> Tensor:
        blurred = blur(self.lattice, torch.sparse.mm(self.splat, q))
        if add is None:
            return torch.sparse.mm(self.slice, blurred)
        return torch.addmm(add, self.slice, blurred)


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
        out = add
        for kernel in self.kernels:
            out = kernel(q, add=out)
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


#: up to this many classes a CPU softmax over rows is faster through the transposed layout
SMALL_C = 16


def softmax_rows(logits: Tensor) -> Tensor:
    """``softmax(logits, dim=1)`` of (N, C), contiguous. On CPU with few classes it runs on the
    (C, N) transpose: torch's row-wise softmax pays a fixed cost per row (~60 ms per million rows
    whatever C), the column-wise one vectorises over N (4-5× faster for C <= 14, slower at 21:
    ``benchmarks/crf.py``'s ``softmax_layouts``)."""
    if logits.device.type == 'cpu' and logits.shape[1] <= SMALL_C:
        return torch.softmax(logits.t(), dim=0).t().contiguous()
    return torch.softmax(logits, dim=1)


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

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


class PottsMessage:
    """``Q -> sum_k w_k · n_k ⊙ L_k(n_k ⊙ Q)`` for Potts kernels, in as few passes as possible.

    The symmetric normalisations ``n_k`` and the weights are folded into the splat/slice sparse
    matrices and the kernels are stacked, so one mean-field message costs one sparse product to
    splat, the blurs, and one sparse product to slice -- the same result as summing
    ``w_k * normalized_filter(L_k)(Q)`` without the elementwise passes over N x C. ``add`` is
    fused into the slicing product (``add + message``).
    """

    def __init__(self, lattices: Sequence[Lattice], weights: Sequence[float]) -> None:
        n = lattices[0].offsets.shape[0]
        dev = lattices[0].offsets.device
        crows, cols, vals, slice_cols, slice_vals, sizes = [], [], [], [], [], []
        nnz = 0
        for lat, w in zip(lattices, weights):
            ones = torch.ones(n, 1, device=dev)
            norm = (1.0 / torch.sqrt(lattice_filter(lat, ones) + 1e-20))[:, 0]
            # splat rows of this kernel, columns scaled by n (row-stacking CSR = concatenation)
            crow, col = lat.splat.crow_indices(), lat.splat.col_indices()
            crows.append(crow[:-1] + nnz)
            cols.append(col)
            vals.append(lat.splat.values() * norm[col])
            nnz += int(crow[-1])
            # slice: every point has d+1 entries per kernel, so the stacked rows stay regular
            alpha = 1.0 / (1.0 + 2.0**(-lat.dim))
            slice_cols.append(lat.offsets + sum(sizes))
            slice_vals.append(lat.weights * (alpha * w * norm)[:, None])
            sizes.append(lat.num_points + 1)
        self.splat = csr(torch.cat(crows + [torch.tensor([nnz], device=dev)]), torch.cat(cols),
                         torch.cat(vals), (sum(sizes), n))
        k = sum(c.shape[1] for c in slice_cols)
        self.slice = csr(torch.arange(0, n * k + 1, k, device=dev),
                         torch.cat(slice_cols, 1).reshape(-1), torch.cat(slice_vals, 1).reshape(-1),
                         (n, sum(sizes)))
        self.lattices = list(lattices)
        self.blocks = [(sum(sizes[:i]), size) for i, size in enumerate(sizes)]

    def __call__(self, q: Tensor, add: Optional[Tensor] = None) -> Tensor:
        buf = torch.sparse.mm(self.splat, q)
        parts = [blur(lat, buf[s:s + n]) for lat, (s, n) in zip(self.lattices, self.blocks)]
        blurred = torch.cat(parts) if len(parts) > 1 else parts[0]
        if add is None:
            return torch.sparse.mm(self.slice, blurred)
        return torch.addmm(add, self.slice, blurred)


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

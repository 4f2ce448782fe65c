"""Permutohedral-lattice Gaussian filtering (Adams, Baek & Davis, 2010), vectorised in PyTorch.

The construction follows Krähenbühl's ``permutohedral.cpp`` (the lattice inside pydensecrf) step by
step -- same elevation, rounding, ranks, barycentric weights, [1 2 1]/2 blur along the d+1 lattice
directions and the ``1 / (1 + 2**-d)`` slicing constant -- so its output matches pydensecrf's up to
float rounding. Points of several images share one lattice (a batch id is part of each lattice
key).

Two implementations of each step, chosen by device: on the CPU the compiled kernels of
``csrc/lattice.cpp`` (a hash-table lattice builder and the splat / blur / slice filter in point
order, as pydensecrf does it; built by ``pip install -e .``), elsewhere (CUDA) and under autograd
tensor operations and sparse products with no loop over pixels. Both build the same lattice (up to
the numbering of lattice points) and filter alike up to summation order; the tests hold them to it.
"""
import math
import warnings
from typing import Optional

import torch
from torch import Tensor

from . import compiled

# seed of the odd 63-bit multipliers that hash lattice keys to int64 when mixed-radix codes would
# overflow (wrap-around arithmetic; collisions are checked)
_HASH_SEED = 0x5EED


class Lattice:
    """A built lattice: where each input point splats and how lattice points neighbour.

    ``splat`` is built on first use when the builder did not make it (the compiled builder: its
    filter splats from ``offsets``; only the sparse-product path needs the matrix).
    """

    def __init__(self, offsets: Tensor, weights: Tensor, neighbors: Tensor, num_points: int,
                 dim: int, splat: Optional[Tensor], slice_: Tensor) -> None:
        self.offsets = offsets  # (N, d+1) int64: lattice point of each simplex vertex
        self.weights = weights  # (N, d+1) float: barycentric weights
        self.neighbors = neighbors  # (d+1, 2, M) int64: the two neighbours per direction (M: none)
        self.num_points, self.dim = num_points, dim  # M lattice points, d feature dimensions
        self._splat = splat
        self.slice = slice_  # (N, M+1) sparse CSR: alpha * barycentric weights

    @property
    def splat(self) -> Tensor:
        """(M+1, N) sparse CSR: barycentric weights, point -> lattice (row M empty)."""
        if self._splat is None:
            crow, col, val = compiled.compiled_extension().splat_csr_cpu(
                self.offsets, self.weights, self.num_points)
            self._splat = csr(crow, col, val, (self.num_points + 1, self.offsets.shape[0]))
        return self._splat


def _vertex_codes(rem0: Tensor, rank: Tensor, d: int, strides: Tensor,
                  extra: Tensor = None, extra_stride: int = 0) -> Tensor:
    """Mixed-radix codes (rows, d+1) of the simplex vertices of the given points.

    Vertex ``r`` has key ``k_i = rem0_i + r - (d+1)·[rank_i > d - r]`` (i < d). With each
    coordinate's range padded by 2(d+1) (``_simplex_codes``), codes are injective and a
    neighbour (every coordinate ±1, one coordinate ∓d) is plain code arithmetic that cannot alias
    another key; ``extra`` (the batch id) is a further digit that neighbours never change. The
    codes differ from ``_simplex_codes``' key layout only by a constant, which cancels out.
    """
    n = rem0.shape[0]
    r0 = rem0[:, :d].long()
    base = (r0 * strides).sum(1)
    # sum_i stride_i [rank_i > d - r] via a suffix sum over rank positions
    by_rank = torch.zeros(n, d + 2, dtype=torch.long, device=rem0.device)
    by_rank.scatter_add_(1, rank[:, :d].long(), strides.expand(n, d))
    suffix = by_rank.sum(1, keepdim=True) - torch.cumsum(by_rank, 1) + by_rank
    r = torch.arange(d + 1, device=rem0.device)
    above = suffix[:, d - r + 1]                                         # rank > d - r
    codes = base[:, None] + r * strides.sum() - (d + 1) * above
    if extra is not None:
        codes = codes + extra.long()[:, None] * extra_stride
    return codes


def _hashed_vertex_keys(rem0: Tensor, rank: Tensor, d: int, extra: Tensor = None) -> Tensor:
    """Fallback when mixed radix would overflow: the explicit keys (N, d+1, d[+1])."""
    r = torch.arange(d + 1, device=rem0.device)
    rank_i = rank[:, None, :d].long()
    canon = torch.where(rank_i <= d - r[None, :, None], r[None, :, None],
                        r[None, :, None] - (d + 1))
    keys = rem0[:, None, :d].long() + canon
    if extra is not None:
        n = keys.shape[0]
        keys = torch.cat([keys, extra.long().view(n, 1, 1).expand(n, d + 1, 1)], dim=2)
    return keys


def build_lattice(features: Tensor, batch_index: Tensor = None, impl: str = 'auto') -> Lattice:
    """Embed ``features`` (N, d), already divided by the kernel's standard deviations, in the
    permutohedral lattice. ``batch_index`` (N,) keeps points of different images apart.

    ``impl``: ``'cpp'`` (the compiled hash-table builder, CPU tensors; see ``_lattice_ext``),
    ``'torch'`` (vectorised tensor operations, any device) or ``'auto'`` (``'cpp'`` on the CPU,
    ``'torch'`` elsewhere). Both give the same lattice up to the numbering of lattice points.
    """
    if features.ndim != 2:
        raise ValueError(f'features must be (N, d), got {tuple(features.shape)}')
    if impl not in ('auto', 'cpp', 'torch'):
        raise ValueError(f"impl must be 'auto', 'cpp' or 'torch', got {impl!r}")
    if impl == 'cpp' or (impl == 'auto' and features.device.type == 'cpu'):
        return _build_compiled(features, batch_index)
    n, d = features.shape
    dev = features.device
    f = features.float()
    inv_std_dev = math.sqrt(2.0 / 3.0) * (d + 1)
    scale = torch.tensor([inv_std_dev / math.sqrt((i + 2) * (i + 1)) for i in range(d)],
                         device=dev)
    cf = f * scale
    # elevate: e_0 = sum_k cf_k ; e_j = sum_{k>j} cf_k - j * cf_j  (j = 1..d, 1-based cf)
    tail = torch.flip(torch.cumsum(torch.flip(cf, [1]), 1), [1])  # tail[:, j-1] = sum_{k>=j}
    j = torch.arange(1, d + 1, device=dev, dtype=cf.dtype)
    elevated = torch.cat([tail[:, :1], tail - (j + 1) * cf], dim=1)  # (N, d+1)

    # closest remainder-0 point; round half to even, as SSE's round-to-nearest
    v = torch.round(elevated / (d + 1))
    rem0 = v * (d + 1)
    total = v.sum(1, keepdim=True)
    # rank_i = #{j: d_j > d_i} + #{j < i: d_j == d_i} (permutohedral.cpp's pairwise loop): the
    # position of i in a stable descending sort of d = elevated - rem0
    rank = _descending_rank(elevated - rem0).to(cf.dtype) + total
    low, high = rank < 0, rank >= d + 1
    rank = rank + (d + 1) * low - (d + 1) * high
    rem0 = rem0 + (d + 1) * low - (d + 1) * high

    # barycentric coordinates
    bary = torch.zeros(n, d + 2, device=dev, dtype=cf.dtype)
    val = (elevated - rem0) / (d + 1)
    pos = (d - rank).long()
    bary.scatter_add_(1, pos, val)
    bary.scatter_add_(1, pos + 1, -val)
    bary[:, 0] += 1 + bary[:, d + 1]
    weights = bary[:, :d + 1].contiguous()

    simplex = _simplex_codes(rem0, rank, d, batch_index)
    if simplex is not None:
        return _build_from_simplices(simplex, rem0, rank, weights, d, batch_index)

    # general path: hash every vertex's explicit key (ranges too large for mixed radix)
    keys = _hashed_vertex_keys(rem0, rank, d, batch_index).reshape(n * (d + 1), -1)
    gen = torch.Generator().manual_seed(_HASH_SEED)
    mult = (torch.randint(1, 2**62, (keys.shape[1], ), generator=gen) * 2 + 1).to(dev)
    flat = (keys * mult).sum(-1)
    sorted_codes, perm, is_new, group = _sorted_groups(flat)
    uniq = sorted_codes[is_new]
    m = uniq.numel()
    inverse = torch.empty_like(group)
    inverse[perm] = group
    offsets = inverse.view(n, d + 1)

    neighbors = torch.empty(d + 1, 2, m, dtype=torch.long, device=dev)
    first = perm[is_new]
    ukeys = keys[first]
    if not torch.equal(ukeys[group], keys[perm]):  # 64-bit hash collision
        raise RuntimeError('permutohedral lattice key hash collision; please report')
    coords = ukeys[:, :d]
    for axis in range(d + 1):
        n1, n2 = coords - 1, coords + 1
        if axis < d:
            n1[:, axis] = coords[:, axis] + d
            n2[:, axis] = coords[:, axis] - d
        for side, nb in enumerate((n1, n2)):
            nb = torch.cat([nb, ukeys[:, d:]], dim=1)
            neighbors[axis, side] = _lookup(uniq, (nb * mult).sum(-1))
    k = d + 1
    splat = csr(_splat_crow(torch.bincount(group, minlength=m)), perm // k,
                weights.reshape(-1)[perm], (m + 1, n))
    return _finish(offsets, weights, neighbors, m, d, splat)


def _build_compiled(features: Tensor, batch_index: Tensor = None) -> Lattice:
    """``build_lattice`` by the compiled builder (``csrc/lattice.cpp``)."""
    if features.device.type != 'cpu':
        raise ValueError(f"impl='cpp' builds on the CPU; features are on {features.device}")
    ext = compiled.compiled_extension()
    batch = torch.empty(0, dtype=torch.long) if batch_index is None else batch_index
    offsets, weights, neighbors = ext.build_lattice_cpu(features.float().contiguous(), batch)
    return _finish(offsets, weights, neighbors, neighbors.shape[2], features.shape[1], None)


def _descending_rank(diff: Tensor) -> Tensor:
    """Position of each entry in a stable descending sort of its row (N, d+1):
    ``#{j: x_j > x_i} + #{j < i: x_j == x_i}``, by pairwise comparison (d+1 is small: cheaper
    than a row-wise argsort and the scatter that inverts it)."""
    k = diff.shape[1]
    rank = torch.zeros(diff.shape, dtype=torch.uint8, device=diff.device)
    for j in range(k):
        col = diff[:, j:j + 1]
        rank.add_(col > diff)  # x_j > x_i
        if j + 1 < k:  # x_j == x_i for i > j
            rank[:, j + 1:].add_(col == diff[:, j + 1:])
    return rank


def _sorted_groups(codes: Tensor):
    """Sort ``codes`` and label runs of equal values: (sorted codes, permutation, first-of-run
    mask, run index of each sorted entry)."""
    sorted_codes, perm = torch.sort(codes)
    is_new = torch.ones_like(sorted_codes, dtype=torch.bool)
    is_new[1:] = sorted_codes[1:] != sorted_codes[:-1]
    return sorted_codes, perm, is_new, torch.cumsum(is_new, 0) - 1


def _splat_crow(row_nnz: Tensor) -> Tensor:
    """CSR row pointers of the scatter matrix: one row per lattice point (entries ``row_nnz``)
    plus the empty boundary row ``m`` that blur reads as zero."""
    m = row_nnz.numel()
    crow = torch.zeros(m + 2, dtype=torch.long, device=row_nnz.device)
    crow[1:m + 1] = torch.cumsum(row_nnz, 0)
    crow[m + 1] = crow[m]
    return crow


def csr(crow: Tensor, col: Tensor, val: Tensor, size: tuple) -> Tensor:
    """A CSR matrix built from valid indices, without torch's beta/invariant-check warnings;
    int32 indices when they fit (torch's CPU sparse products convert int64 ones on every call,
    costing more than the product for the lattice's matrices: ``copy_`` of N·(d+1) entries)."""
    if max(size) < 2**31 and col.numel() < 2**31:
        crow, col = crow.int(), col.int()
    with warnings.catch_warnings():
        warnings.simplefilter('ignore', UserWarning)
        return torch.sparse_csr_tensor(crow, col, val, size=size, check_invariants=False)


def slice_alpha(d: int) -> float:
    """permutohedral.cpp's slicing constant ``1 / (1 + 2**-d)``."""
    return 1.0 / (1.0 + 2.0**(-d))


def _finish(offsets: Tensor, weights: Tensor, neighbors: Tensor, m: int, d: int,
            splat: Optional[Tensor]) -> Lattice:
    """Add the slicing matrix (regular: d+1 entries per point, times alpha) and pack (``splat``
    ``None``: built on first use)."""
    n, k = offsets.shape
    alpha = slice_alpha(d)
    slice_ = csr(torch.arange(0, n * k + 1, k, dtype=torch.long, device=offsets.device),
                 offsets.reshape(-1), weights.reshape(-1) * alpha, (n, m + 1))
    return Lattice(offsets, weights, neighbors, m, d, splat, slice_)


def _simplex_codes(rem0: Tensor, rank: Tensor, d: int, extra: Tensor = None):
    """One integer per point identifying its simplex (remainder-0 point and rank permutation), and
    the mixed-radix layout of lattice keys; ``None`` when 63 bits do not suffice."""
    r0 = rem0[:, :d].long()
    lo = r0.min(0).values - 2 * (d + 1)
    span = (r0.max(0).values + 2 * (d + 1)) - lo + 1
    spans = span.tolist() + ([int(extra.max()) + 1] if extra is not None else [])
    perm_radix = (d + 1)**(d + 1)  # rank vectors are permutations of 0..d
    if sum(math.log2(max(x, 1)) for x in spans) + math.log2(perm_radix) > 62:
        return None
    strides_all = [1]
    for x in spans[:-1]:
        strides_all.append(strides_all[-1] * x)
    strides = torch.tensor(strides_all[:d], dtype=torch.long, device=rem0.device)
    base = ((r0 - lo) * strides).sum(1)
    if extra is not None:
        base = base + extra.long() * strides_all[d]
    digits = (d + 1)**torch.arange(d + 1, device=rem0.device)
    code = base * perm_radix + (rank.long() * digits).sum(1)
    return code, strides, strides_all[d] if extra is not None else 0


def _build_from_simplices(simplex, rem0: Tensor, rank: Tensor, weights: Tensor, d: int,
                          extra: Tensor = None) -> Lattice:
    """Lattice from distinct simplices: many points share one, so vertex codes and their sort are
    computed per simplex, and the splat matrix is the product of two small-to-build sparse
    matrices -- points -> (simplex, vertex) slots (the points sorted by simplex, one run per
    slot) and slots -> lattice points (S·(d+1) entries) -- instead of sorting or expanding all
    N·(d+1) vertices into lattice order in Python-visible steps."""
    codes, strides, extra_stride = simplex
    n, k = rem0.shape[0], d + 1
    dev = rem0.device
    _, perm_s, new_s, sid_sorted = _sorted_groups(codes)
    num_s = int(sid_sorted[-1]) + 1
    start_s = torch.nonzero(new_s).squeeze(1)                       # in perm_s order
    simplex_of = torch.empty_like(sid_sorted)
    simplex_of[perm_s] = sid_sorted
    rep = perm_s[start_s]
    vcodes = _vertex_codes(rem0[rep], rank[rep], d, strides,
                           None if extra is None else extra[rep], extra_stride)  # (S, d+1)

    flat = vcodes.reshape(-1)
    sorted_v, perm_v, new_v, vid_sorted = _sorted_groups(flat)
    uniq = sorted_v[new_v]
    m = uniq.numel()
    slot_vertex = torch.empty_like(vid_sorted)
    slot_vertex[perm_v] = vid_sorted
    offsets = slot_vertex.view(num_s, k)[simplex_of]                  # (N, d+1)

    # gather: slot r*S + s sums weights[p, r] * values[p] over the points p of simplex s (rows
    # of one r are the simplices' runs of perm_s); scatter: slot -> its lattice point; their
    # sparse product (SpGEMM, ~5x faster than assembling it entry by entry) is the splat matrix
    crow = torch.cat([start_s + r * n for r in range(k)] + [start_s.new_tensor([n * k])])
    gather = csr(crow, perm_s.repeat(k), weights[perm_s].t().reshape(-1), (k * num_s, n))
    slots = (perm_v % k) * num_s + perm_v // k
    scatter = csr(_splat_crow(torch.bincount(vid_sorted, minlength=m)), slots,
                  torch.ones(slots.numel(), device=dev, dtype=weights.dtype), (m + 1, k * num_s))

    neighbors = torch.empty(d + 1, 2, m, dtype=torch.long, device=dev)
    total_stride = strides.sum()
    for axis in range(d + 1):
        step = (d + 1) * strides[axis] if axis < d else 0
        for side, code in enumerate((uniq - total_stride + step, uniq + total_stride - step)):
            neighbors[axis, side] = _lookup(uniq, code)
    return _finish(offsets, weights, neighbors, m, d, torch.sparse.mm(scatter, gather))


def _lookup(uniq: Tensor, code: Tensor) -> Tensor:
    """Index of each ``code`` in the sorted ``uniq``, or ``len(uniq)`` when absent."""
    m = uniq.numel()
    pos = torch.searchsorted(uniq, code).clamp(max=m - 1)
    return torch.where(uniq[pos] == code, pos, torch.full_like(pos, m))


def blur(lattice: Lattice, buf: Tensor, reverse: bool = False) -> Tensor:
    """[1 2 1]/2 blur of lattice values ``buf`` (M+1, C) along every lattice direction."""
    if compiled.compiled_path(buf):  # one pass per direction, no temporaries (the same arithmetic)
        return compiled.compiled_extension().blur_cpu(buf, lattice.neighbors, reverse)
    m, d = lattice.num_points, lattice.dim
    order = range(d, -1, -1) if reverse else range(d + 1)
    for axis in order:
        n1, n2 = lattice.neighbors[axis]
        nb = buf.index_select(0, n1).add_(buf.index_select(0, n2))
        new = torch.empty_like(buf)
        torch.add(buf[:m], nb, alpha=0.5, out=new[:m])
        new[m:] = 0
        buf = new
    return buf


def lattice_filter(lattice: Lattice, values: Tensor, reverse: bool = False) -> Tensor:
    """Approximate Gaussian filtering of ``values`` (N, C): splat, blur, slice.

    ``reverse`` blurs the directions in reverse order (the transpose of the operator).
    """
    values = values.float()
    if compiled.compiled_path(values) and not reverse:  # in point order, no sparse matrices
        out = torch.zeros(values.shape, dtype=torch.float32)
        slice_w = lattice.slice.values().view(lattice.weights.shape)  # alpha * weights
        compiled.compiled_extension().filter_add_cpu(values, lattice.offsets, lattice.weights,
                                                     slice_w, lattice.neighbors, out)
        return out
    buf = torch.sparse.mm(lattice.splat, values)  # (M+1, C); row M stays zero
    return torch.sparse.mm(lattice.slice, blur(lattice, buf, reverse))

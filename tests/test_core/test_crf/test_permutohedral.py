import math

import pytest
import torch

from seg_ext.core.crf import build_lattice, lattice_filter, normalized_filter


def test_filter_approximates_a_gaussian_blur():
    # 1-D signal along a row of 200 pixels, features x / sigma: the lattice filter must be close to
    # an exact Gaussian of std sigma (up to scale; compare the normalised responses)
    sigma = 4.0
    x = torch.arange(200, dtype=torch.float32)
    values = (torch.sin(x / 7) + (x > 100).float())[:, None]
    lat = build_lattice((x / sigma)[:, None])
    approx = lattice_filter(lat, values)[:, 0] / lattice_filter(lat, torch.ones(200, 1))[:, 0]
    k = torch.exp(-(x[:, None] - x[None, :])**2 / (2 * sigma**2))
    exact = (k @ values[:, 0]) / k.sum(1)
    inner = slice(20, 180)
    assert torch.corrcoef(torch.stack([approx[inner], exact[inner]]))[0, 1] > 0.99
    assert (approx[inner] - exact[inner]).abs().max() < 0.15


def test_structure_counts_and_weights():
    feats = torch.randn(500, 3)
    lat = build_lattice(feats)
    assert lat.offsets.shape == (500, 4) and lat.weights.shape == (500, 4)
    # barycentric weights of each point sum to one and are non-negative
    assert torch.allclose(lat.weights.sum(1), torch.ones(500), atol=1e-5)
    assert lat.weights.min() > -1e-6
    assert lat.neighbors.shape == (4, 2, lat.num_points)
    assert lat.num_points < 500 * 4  # shared vertices


def test_batch_index_keeps_images_apart():
    feats = torch.randn(300, 2)
    vals = torch.randn(300, 2)
    both = build_lattice(torch.cat([feats, feats]), torch.arange(2).repeat_interleave(300))
    one = build_lattice(feats)
    out2 = lattice_filter(both, torch.cat([vals, 10 * vals]))
    out1 = lattice_filter(one, vals)
    assert torch.allclose(out2[:300], out1, atol=1e-5)
    assert torch.allclose(out2[300:], 10 * out1, atol=1e-4)


def test_symmetric_normalisation_maps_ones_close_to_ones():
    feats = torch.rand(400, 2) * 10
    filt = normalized_filter(build_lattice(feats))
    out = filt(torch.ones(400, 1))
    assert math.isclose(float(out.mean()), 1.0, rel_tol=0.1)


def test_hashed_fallback_path_matches_mixed_radix(monkeypatch):
    """Huge coordinate ranges use 64-bit hashing of explicit keys: same lattice, same filter."""
    import seg_ext.core.crf.permutohedral as P
    feats = torch.rand(600, 5) * 8
    vals = torch.randn(600, 3)
    radix = lattice_filter(build_lattice(feats, impl='torch'), vals)
    monkeypatch.setattr(P, '_simplex_codes', lambda *a, **k: None)
    hashed_lat = build_lattice(feats, impl='torch')
    assert torch.allclose(lattice_filter(hashed_lat, vals), radix, atol=1e-5)


def test_descending_rank_is_a_stable_descending_argsort():
    """The pairwise rank equals the position in a stable descending sort, ties included."""
    from hypothesis import given, settings
    from hypothesis import strategies as st

    from seg_ext.core.crf.permutohedral import _descending_rank

    @settings(max_examples=60, deadline=None)
    @given(st.integers(1, 7), st.integers(1, 30), st.integers(0, 2**31 - 1), st.booleans())
    def check(k, n, seed, ties):
        gen = torch.Generator().manual_seed(seed)
        x = torch.randn(n, k, generator=gen)
        if ties:  # few distinct values: many equal entries in a row
            x = torch.round(x)
        order = torch.argsort(x, dim=1, descending=True, stable=True)
        expected = torch.argsort(order, dim=1)
        assert torch.equal(_descending_rank(x).long(), expected)
    check()


@pytest.mark.parametrize('impl', ['torch', 'cpp'])
def test_splat_matrix_is_the_barycentric_scatter(impl):
    """The splat CSR (vectorised: a product of two sparse matrices; compiled: a counting sort)
    holds exactly weights[p, r] at (offsets[p, r], p), also with a batch index and duplicate
    points."""
    gen = torch.Generator().manual_seed(3)
    feats = torch.cat([torch.rand(300, 4, generator=gen) * 6, torch.zeros(5, 4)])
    batch = (torch.arange(305) % 2)
    for lat in (build_lattice(feats, impl=impl), build_lattice(feats, batch, impl=impl)):
        dense = torch.zeros(lat.num_points + 1, 305)
        cols = torch.arange(305)[:, None].expand_as(lat.offsets)
        dense.index_put_((lat.offsets, cols), lat.weights, accumulate=True)
        assert torch.allclose(lat.splat.to_dense(), dense, atol=1e-6)
        assert float(lat.splat.to_dense()[-1].abs().sum()) == 0  # the boundary row stays empty


def test_softmax_rows_equals_softmax():
    from seg_ext.core.crf.mean_field import softmax_rows
    for c in (1, 2, 3, 8, 16, 17, 21):
        x = torch.randn(1000, c) * 5
        out = softmax_rows(x)
        assert out.is_contiguous() and out.shape == x.shape
        assert torch.allclose(out, torch.softmax(x, 1), atol=1e-6)
    # rows far below the global maximum (their exp-sum underflows) are redone exactly; -inf
    # entries, and a row of -inf as torch has it (NaN)
    x = torch.randn(200, 5) + torch.linspace(-300, 40, 200)[:, None]
    x[3, 1] = -math.inf
    assert torch.allclose(softmax_rows(x), torch.softmax(x, 1), atol=1e-6, rtol=1e-5)
    assert softmax_rows(x)[3, 1] == 0
    y = torch.full((2, 3), -math.inf)
    y[0] = 0.0
    assert torch.equal(softmax_rows(y).isnan(), torch.softmax(y, 1).isnan())
    assert softmax_rows(torch.zeros(0, 4)).shape == (0, 4)


def test_build_lattice_impl_argument():
    with pytest.raises(ValueError, match="impl must be 'auto', 'cpp' or 'torch', got 'c'"):
        build_lattice(torch.zeros(3, 2), impl='c')
    with pytest.raises(ValueError, match=r'features must be \(N, d\), got \(3,\)'):
        build_lattice(torch.zeros(3), impl='cpp')


def test_csr_stores_int32_indices_for_the_cpu_sparse_products():
    """int64 indices are converted on every MKL product; csr() stores int32 when they fit, and
    the product is unchanged."""
    from seg_ext.core.crf.permutohedral import csr
    dense = torch.tensor([[1.0, 0, 2], [0, 0, 3]])
    ref = dense.to_sparse_csr()
    mat = csr(ref.crow_indices(), ref.col_indices(), ref.values(), (2, 3))
    assert mat.crow_indices().dtype == torch.int32 and mat.col_indices().dtype == torch.int32
    x = torch.randn(3, 4)
    assert torch.equal(torch.sparse.mm(mat, x), dense @ x)


@pytest.mark.parametrize('compiled', [True, False])
def test_normalized_kernel_is_the_weighted_normalized_filter(compiled, monkeypatch):
    """NormalizedKernel folds n and w into the splat and slice weights; PottsMessage sums kernels
    into ``add``: both equal the unfolded ``w * n * L(n * q)`` (compiled and sparse paths)."""
    import seg_ext.core.crf.compiled as P
    from seg_ext.core.crf.mean_field import NormalizedKernel, PottsMessage
    if not compiled:
        monkeypatch.setattr(P, 'compiled_path', lambda x: False)
    gen = torch.Generator().manual_seed(1)
    lat_a = build_lattice(torch.rand(500, 2, generator=gen) * 9)
    lat_b = build_lattice(torch.rand(500, 5, generator=gen) * 4)
    q = torch.softmax(torch.randn(500, 3, generator=gen), 1)
    add = torch.randn(500, 3, generator=gen)
    ref_a = 3.0 * normalized_filter(lat_a)(q)
    ref_b = 10.0 * normalized_filter(lat_b)(q)
    assert torch.allclose(NormalizedKernel(lat_a, 3.0)(q), ref_a, atol=1e-5)
    both = PottsMessage.from_lattices([lat_a, lat_b], [3.0, 10.0])
    assert torch.allclose(both(q, add=add), add + ref_a + ref_b, atol=1e-4)
    assert torch.allclose(both(q), ref_a + ref_b, atol=1e-4)

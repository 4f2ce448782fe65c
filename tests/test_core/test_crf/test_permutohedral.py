import math

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
    radix = lattice_filter(build_lattice(feats), vals)
    monkeypatch.setattr(P, '_simplex_codes', lambda *a, **k: None)
    hashed_lat = build_lattice(feats)
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


def test_splat_matrix_is_the_barycentric_scatter():
    """The splat CSR (built as a product of two sparse matrices) holds exactly weights[p, r] at
    (offsets[p, r], p), also with a batch index and duplicate points."""
    gen = torch.Generator().manual_seed(3)
    feats = torch.cat([torch.rand(300, 4, generator=gen) * 6, torch.zeros(5, 4)])
    batch = (torch.arange(305) % 2)
    for lat in (build_lattice(feats), build_lattice(feats, batch)):
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

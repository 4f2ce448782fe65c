"""The compiled CPU kernels (csrc/lattice.cpp) against the tensor / sparse-product path that CUDA
and autograd use: the same lattice, the same filter, the same CRF."""
import pytest
import torch

from seg_ext.core.crf import build_lattice, lattice_filter


def assert_same_lattice(a, b):
    """``a`` and ``b`` are the same lattice up to the numbering of lattice points: same count,
    bitwise-equal barycentric weights, offsets and neighbours equal after relabelling."""
    assert a.num_points == b.num_points and a.dim == b.dim
    assert torch.equal(a.weights, b.weights)
    m = a.num_points
    relabel = torch.full((m + 1, ), -1, dtype=torch.long)  # b's index -> a's index
    relabel[b.offsets.reshape(-1)] = a.offsets.reshape(-1)
    relabel[m] = m  # the 'absent' neighbour
    assert int((relabel < 0).sum()) == 0  # every lattice point is some point's vertex
    assert torch.equal(relabel[b.offsets], a.offsets)
    inverse = torch.empty_like(relabel)
    inverse[relabel] = torch.arange(m + 1)
    assert torch.equal(relabel[b.neighbors][..., inverse[:m]], a.neighbors)


def test_compiled_extension_is_built():
    """tools/install.sh (pip install -e .) compiles csrc/lattice.cpp; a missing module would send
    every CPU CRF to an ImportError."""
    from seg_ext.core.crf.compiled import compiled_extension
    assert hasattr(compiled_extension(), 'build_lattice_cpu')


@pytest.mark.parametrize('d', [1, 2, 3, 5, 8])
@pytest.mark.parametrize('batched', [False, True])
def test_compiled_builder_is_the_vectorised_lattice(d, batched):
    """Same float32 steps in the same order: identical keys, weights and neighbours; the filter
    differs only by summation order."""
    gen = torch.Generator().manual_seed(d)
    feats = torch.randn(3000, d, generator=gen) * 4
    batch = torch.randint(0, 3, (3000, ), generator=gen) if batched else None
    a = build_lattice(feats, batch, impl='torch')
    b = build_lattice(feats, batch, impl='cpp')
    assert_same_lattice(a, b)
    vals = torch.randn(3000, 4, generator=gen)
    assert torch.allclose(lattice_filter(a, vals), lattice_filter(b, vals), rtol=1e-5, atol=1e-4)


def test_compiled_builder_on_ties_and_integer_features():
    """Integer features put remainders exactly on ties (rank and rounding tie rules) and many
    points on one simplex; a single point and duplicates are edge cases of the hash table."""
    gen = torch.Generator().manual_seed(0)
    for feats in (torch.randint(0, 5, (4000, 3), generator=gen).float(), torch.zeros(1, 2),
                  torch.zeros(50, 4), torch.tensor([[0.5, -0.5], [1e3, -1e3]])):
        assert_same_lattice(build_lattice(feats, impl='torch'), build_lattice(feats, impl='cpp'))


def test_compiled_builder_property():
    from hypothesis import given, settings
    from hypothesis import strategies as st

    @settings(max_examples=40, deadline=None)
    @given(st.integers(1, 6), st.integers(1, 400), st.floats(0.01, 300), st.integers(0, 2**31 - 1),
           st.booleans())
    def check(d, n, spread, seed, batched):
        gen = torch.Generator().manual_seed(seed)
        feats = torch.randn(n, d, generator=gen) * spread
        batch = torch.randint(0, 4, (n, ), generator=gen) if batched else None
        assert_same_lattice(build_lattice(feats, batch, impl='torch'),
                            build_lattice(feats, batch, impl='cpp'))
    check()


def _photo_like(seed=0, n=2500, d=5):
    gen = torch.Generator().manual_seed(seed)
    return torch.rand(n, d, generator=gen) * 6, gen


@pytest.mark.parametrize('channels', [1, 2, 3, 4, 5, 21])
def test_compiled_filter_equals_the_sparse_products(channels, monkeypatch):
    """filter_add_cpu (point-order splat, compiled blur, slice; unrolled for C <= 4) is the
    sparse-matrix filter up to summation order."""
    import seg_ext.core.crf.compiled as P
    feats, gen = _photo_like(channels)
    lat = build_lattice(feats)
    vals = torch.randn(2500, channels, generator=gen)
    compiled = lattice_filter(lat, vals)
    monkeypatch.setattr(P, 'compiled_path', lambda x: False)
    sparse = lattice_filter(lat, vals)
    assert torch.allclose(compiled, sparse, rtol=1e-5, atol=1e-4)
    assert float(sparse.abs().max()) > 1  # a real signal, not zeros on both sides


@pytest.mark.parametrize('reverse', [False, True])
@pytest.mark.parametrize('channels', [2, 7])
def test_compiled_blur_equals_the_tensor_blur(reverse, channels, monkeypatch):
    import seg_ext.core.crf.compiled as P
    from seg_ext.core.crf.permutohedral import blur
    feats, gen = _photo_like(1, d=3)
    lat = build_lattice(feats)
    buf = torch.randn(lat.num_points + 1, channels, generator=gen)
    buf[-1] = 0
    compiled = blur(lat, buf, reverse)
    monkeypatch.setattr(P, 'compiled_path', lambda x: False)
    assert torch.allclose(compiled, blur(lat, buf, reverse), atol=1e-5)
    assert float(compiled[-1].abs().sum()) == 0
    assert not torch.allclose(blur(lat, buf, True), blur(lat, buf, False), atol=1e-3)


def test_dense_crf_compiled_and_sparse_paths_agree(monkeypatch):
    """The whole CRF through the compiled kernels and through the sparse (CUDA) path."""
    import seg_ext.core.crf.compiled as P
    from seg_ext.core.crf import DenseCRF
    from seg_ext.core.synthetic.crf_problem import make_crf_problem
    image, probs, _ = make_crf_problem(48, 64, 3, 3, seed=4)
    probs = torch.from_numpy(probs)
    compiled = DenseCRF(iterations=5)(probs, image)
    monkeypatch.setattr(P, 'compiled_path', lambda x: False)
    sparse = DenseCRF(iterations=5)(probs, image)
    assert torch.allclose(compiled, sparse, atol=1e-5)
    assert float((compiled - probs).abs().max()) > 0.05  # the CRF changed something


def test_compiled_path_rule():
    from seg_ext.core.crf.compiled import compiled_path
    assert compiled_path(torch.zeros(2))
    assert not compiled_path(torch.zeros(2, dtype=torch.float64))
    assert not compiled_path(torch.zeros(2, requires_grad=True))


def test_compiled_builder_refuses_non_finite_and_huge_features():
    """NaN or out-of-range features would make undefined integer keys: refused, naming a point."""
    for bad in (float('nan'), float('inf'), 1e12):
        feats = torch.zeros(4, 2)
        feats[2, 1] = bad
        with pytest.raises(RuntimeError, match='features must be finite and below ~1e8 in '
                           'magnitude.*at point 2'):
            build_lattice(feats, impl='cpp')

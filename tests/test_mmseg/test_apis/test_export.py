"""ONNX export of the mmseg-side models checked with the real runtime: onnxruntime reproduces
mmseg's own test path (``model.test_step``: preprocessing, reflect padding and its crop,
sigmoid/softmax) to 1e-4 with identical label maps on 8+ images, for freshly built and briefly
trained weights; a batch of 3 equals 3 single runs; the sidecar says what a caller needs."""
import json
import random

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn

pytest.importorskip('onnxruntime')

from seg_ext.core.errors import DataError, MissingDataError  # noqa: E402
from seg_ext.mmseg.apis.export import (  # noqa: E402
    FirstMaxPool2d,
    deploy_spec,
    export_onnx,
    sidecar,
)
from seg_ext.mmseg.apis.onnx_check import (  # noqa: E402
    build_test_dataset,
    compare_with_mmseg,
    load_config,
    load_model,
    loaded_image,
    unpooling_ties,
)
from seg_ext.mmseg.apis.onnx_predictor import OnnxPredictor, labels_from_probs  # noqa: E402

from conftest import repo_path  # noqa: E402

MODELS = [('unet_salt_demo.py', 'tgs'), ('segnet_salt_demo.py', 'tgs'),
          ('fcn8s_salt_demo.py', 'tgs'), ('changedet_levir_demo.py', 'levir'),
          ('changedet_levir_early_demo.py', 'levir')]
@pytest.fixture(scope='module')
def levir8(tmp_path_factory):
    """8 test pairs of 64x64 (the shared fixture has 3)."""
    from seg_ext.core.synthetic import write_levir_dataset
    root = str(tmp_path_factory.mktemp('levir8'))
    write_levir_dataset(root, dict(train=2, val=1, test=8), seed=4, size=64)
    return root


def brief_training(model, cfg, data_root, steps=3):
    """A few SGD steps of the config's losses on its training pipeline."""
    from mmengine.dataset import pseudo_collate
    from mmengine.optim import OptimWrapper
    from mmseg.registry import DATASETS
    ds_cfg = cfg.train_dataloader.dataset.copy()
    ds_cfg['data_root'] = data_root
    ds = DATASETS.build(ds_cfg)
    wrapper = OptimWrapper(torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9))
    model.train()
    torch.manual_seed(0)
    # the pipeline's flips draw from NumPy: fixed, so the trained weights are the same every run
    # (with this order SegNet's onnxruntime run decides a few near-tied pooling windows
    # differently from PyTorch: see test_onnxruntime_reproduces_mmseg)
    np.random.seed(0)
    random.seed(0)
    for _ in range(steps):
        model.train_step(pseudo_collate([ds[0], ds[1]]), wrapper)
    return model.eval()


@pytest.mark.slow  # ~10 s per model alone (two exports, a brief training, 16 comparisons)
@pytest.mark.parametrize('config,kind', MODELS, ids=[m[0] for m in MODELS])
def test_onnxruntime_reproduces_mmseg(config, kind, tgs_root, levir8, tmp_path):
    root = tgs_root if kind == 'tgs' else levir8
    shape = (101, 101) if kind == 'tgs' else (64, 64)
    cfg = load_config(repo_path('configs', config))
    torch.manual_seed(0)
    model = load_model(cfg)
    dataset = build_test_dataset(cfg, root)
    assert len(dataset) >= 8
    for weights in ('random', 'trained'):
        if weights == 'trained':
            model = brief_training(model, cfg, root)
        out = str(tmp_path / f'{weights}.onnx')
        export_onnx(model, deploy_spec(cfg, model, shape), out)
        r = compare_with_mmseg(out, model, dataset, list(range(8)), check_batch=False)
        if config.startswith('segnet'):
            # max-unpooling is discontinuous where a pooling window holds two (nearly) equal
            # maxima: onnxruntime's rounding may pick the other one. Every difference must come
            # from such near-ties, and with the same choices the graph is PyTorch's to 1e-4.
            ties = unpooling_ties(model, deploy_spec(cfg, model, shape), dataset, list(range(8)))
            assert ties['max_abs_diff'] == pytest.approx(r['max_abs_diff'], abs=1e-6)
            assert ties['max_abs_diff_same_choice'] <= 1e-4, (weights, ties)
            assert ties['flips'] <= 1e-5 * ties['windows'], (weights, ties)
            assert ties['max_rel_gap'] <= 1e-5, (weights, ties)
            if weights == 'trained':  # this training's data order gives near-ties (README)
                assert ties['flips'] > 0 and r['max_abs_diff'] > 1e-4, (weights, ties, r)
                assert r['labels_equal'] >= 7, r
                continue
        assert r['n'] == 8 and r['labels_equal'] == 8, (weights, r)
        assert r['max_abs_diff'] <= 1e-4, (weights, r)

    # a batch of 3 through the dynamic axis equals 3 single runs
    predictor = OnnxPredictor(out)
    images = [loaded_image(dataset, i) for i in range(3)]
    batch = np.stack([predictor._input(im) for im in images])
    together = predictor.run(batch)
    assert together.shape == (3, 2) + shape
    for i in range(3):
        assert np.abs(predictor.run(batch[i:i + 1])[0] - together[i]).max() <= 1e-5
    # probabilities sum to one; the labels follow the sidecar's threshold
    assert np.allclose(together.sum(axis=1), 1, atol=1e-5)
    spec = sidecar(out)
    assert spec['threshold'] == 0.5 and spec['activation'] == 'sigmoid'
    assert labels_from_probs(together[0], 0.5).tolist() == \
        (together[0][1] > 0.5).astype(np.uint8).tolist()


def test_sidecar_salt_and_change(tgs_root, levir8, tmp_path):
    cfg = load_config(repo_path('configs', 'unet_salt_demo.py'))
    model = load_model(cfg)
    spec = deploy_spec(cfg, model, (101, 101))
    export_onnx(model, spec, str(tmp_path / 'salt.onnx'))
    side = json.load(open(tmp_path / 'salt.json'))
    assert side['input_names'] == ['image'] and side['channels_per_input'] == 1
    assert side['mean'] == [128.0] and side['std'] == [40.0] and not side['bgr_to_rgb']
    assert side['padding'] == dict(mode='reflect', size=[128, 128], value=0.0,
                                   pads=[13, 14, 13, 14])
    assert side['classes'] == ['background', 'salt'] and side['num_classes'] == 2
    assert side['input_range'] == [0, 255] and side['dynamic_axes']['batch'] is True

    cfg = load_config(repo_path('configs', 'changedet_levir_demo.py'))
    model = load_model(cfg)
    spec = deploy_spec(cfg, model, (64, 64))
    assert spec['input_names'] == ['image_a', 'image_b'] and spec['channels_per_input'] == 3
    assert spec['bgr_to_rgb'] and spec['padding'] is None
    assert spec['mean'] == pytest.approx([123.675, 116.28, 103.53] * 2)


def test_predictor_errors(tmp_path, tgs_root):
    with pytest.raises(MissingDataError, match='x.onnx: ONNX file not found'):
        OnnxPredictor(str(tmp_path / 'x.onnx'))
    (tmp_path / 'y.onnx').write_bytes(b'not onnx')
    with pytest.raises(MissingDataError, match=r'y\.json: the sidecar json of y\.onnx'):
        OnnxPredictor(str(tmp_path / 'y.onnx'))
    (tmp_path / 'y.json').write_text(json.dumps(dict(format='seg_ext-onnx-1')))
    with pytest.raises(DataError, match=r'y\.onnx: onnxruntime cannot load it'):
        OnnxPredictor(str(tmp_path / 'y.onnx'))
    cfg = load_config(repo_path('configs', 'unet_salt_demo.py'))
    model = load_model(cfg)
    export_onnx(model, deploy_spec(cfg, model, (101, 101)), str(tmp_path / 's.onnx'))
    with pytest.raises(DataError, match=r'got an image of 64x80 with 1 channel\(s\); this '
                       r'graph takes 101x101 with 1'):
        OnnxPredictor(str(tmp_path / 's.onnx')).predict_probs([np.zeros((64, 80), np.uint8)])


def test_scatter_unpool_equals_max_unpool():
    from seg_ext.mmseg.apis.export import ScatterMaxUnpool2d
    x = torch.randn(2, 3, 7, 9)
    pooled, idx = torch.nn.functional.max_pool2d(x, 2, 2, ceil_mode=True, return_indices=True)
    ref = torch.nn.MaxUnpool2d(2, 2)(pooled, idx, output_size=(7, 9))
    assert torch.equal(ScatterMaxUnpool2d()(pooled, idx, (7, 9)), ref)


@settings(max_examples=40, deadline=None)
@given(h=st.integers(2, 9), w=st.integers(2, 9), ceil_mode=st.booleans(),
       levels=st.integers(1, 4), seed=st.integers(0, 2**16))
def test_first_max_pool_is_pytorchs_pooling(h, w, ceil_mode, levels, seed):
    # few distinct values: most windows hold ties, which PyTorch breaks towards the first
    # maximum in row-major window order
    g = torch.Generator().manual_seed(seed)
    x = torch.randint(0, levels, (2, 3, h, w), generator=g).float()
    values, indices = nn.MaxPool2d(2, 2, ceil_mode=ceil_mode, return_indices=True)(x)
    mine_values, mine_indices = FirstMaxPool2d(ceil_mode)(x)
    assert torch.equal(values, mine_values) and torch.equal(indices, mine_indices)


def test_first_max_pool_in_onnxruntime_breaks_ties_like_pytorch(tmp_path):
    import onnxruntime as ort
    x = torch.zeros(1, 2, 5, 7)
    x[0, 0, :2, :2] = 1.0                     # a 4-way tie
    x[0, 1, 2:4, 2:4] = torch.tensor([[0.0, 2.0], [2.0, 1.0]])  # a 2-way tie, not first
    pool = FirstMaxPool2d(ceil_mode=True)
    torch.onnx.export(pool, (x, ), str(tmp_path / 'pool.onnx'), dynamo=False,
                      input_names=['x'], dynamic_axes={'x': {0: 'batch'}})
    sess = ort.InferenceSession(str(tmp_path / 'pool.onnx'), providers=['CPUExecutionProvider'])
    for batch in (x, torch.cat([x, -x])):
        values, indices = sess.run(None, {'x': batch.numpy()})
        ref_values, ref_indices = nn.MaxPool2d(2, 2, ceil_mode=True, return_indices=True)(batch)
        assert np.array_equal(values, ref_values.numpy())
        assert np.array_equal(indices, ref_indices.numpy())
    assert int(ref_indices[0, 1, 1, 1]) == 2 * 7 + 3  # (row 2, col 3): the first of the two


def test_exportable_swaps_only_index_pooling():
    from seg_ext.mmseg.apis.export import ScatterMaxUnpool2d, exportable
    model = nn.Sequential(nn.MaxPool2d(2, 2, return_indices=True), nn.MaxPool2d(2, 2),
                          nn.MaxPool2d(3, 2, return_indices=True), nn.MaxUnpool2d(2, 2))
    copy = exportable(model)
    assert [type(m) for m in copy] == [FirstMaxPool2d, nn.MaxPool2d, nn.MaxPool2d,
                                       ScatterMaxUnpool2d]
    assert [type(m) for m in model] == [nn.MaxPool2d, nn.MaxPool2d, nn.MaxPool2d,
                                        nn.MaxUnpool2d]  # the original is left alone
    plain = nn.Sequential(nn.Conv2d(1, 1, 1), nn.MaxPool2d(2, 2))
    assert exportable(plain) is plain


@pytest.mark.slow  # a brief SegNet training, two exports with --verify
def test_pytorch2onnx_verify_explains_segnet_ties(tgs_root, tmp_path, capsys):
    from helpers.run_script import run_script
    from mmengine.runner import save_checkpoint
    cfg = load_config(repo_path('configs', 'segnet_salt_demo.py'))
    torch.manual_seed(0)
    model = brief_training(load_model(cfg), cfg, tgs_root)
    ckpt = str(tmp_path / 'segnet.pth')
    save_checkpoint(model.state_dict(), ckpt)
    args = [repo_path('configs', 'segnet_salt_demo.py'), '--checkpoint', ckpt, '--shape', 101,
            101, '--output-file', tmp_path / 'segnet.onnx', '--verify', 8, '--data-root',
            tgs_root]
    rc, out = run_script(repo_path('tools', 'deployment', 'pytorch2onnx.py'), args, capsys)
    assert rc == 0, out
    assert 'onnxruntime vs mmseg on 8 images' in out
    if 'identical label maps 8/8' not in out:  # near-ties decided the other way: explained
        assert 'the differences come from' in out and 'max-pooling windows' in out, out
    # a tolerance below float rounding: the same choices no longer suffice, one error line
    rc, out = run_script(repo_path('tools', 'deployment', 'pytorch2onnx.py'),
                         args + ['--tolerance', 1e-12], capsys)
    assert rc == 1
    assert out.strip().splitlines()[-1] == (f"error: {tmp_path / 'segnet.onnx'}: does not "
                                            'reproduce mmseg (see above)')

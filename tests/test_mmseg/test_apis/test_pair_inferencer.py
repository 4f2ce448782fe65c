"""PairInferencer: same change maps as tools/test.py, arrays = paths, tiling, one-line errors."""
import os
import os.path as osp
import subprocess
import sys

import cv2
import numpy as np
import pytest
import torch
from mmengine.runner import save_checkpoint

from seg_ext.core.errors import ConfigError, DataError, MissingDataError
from seg_ext.mmseg.apis.pair_inferencer import PairInferencer

from conftest import repo_path

CONFIG = repo_path('configs', 'changedet_levir_demo.py')


@pytest.fixture(scope='module')
def checkpoint(tmp_path_factory) -> str:
    """A freshly built change model whose classifier is made decisive (std-1 weights, no bias:
    about as many change as no-change pixels, few near the threshold), saved as a checkpoint."""
    inferencer = PairInferencer(CONFIG)
    head = inferencer.model.decode_head.conv_seg
    gen = torch.Generator().manual_seed(0)
    with torch.no_grad():
        head.weight.copy_(torch.randn(head.weight.shape, generator=gen))
        head.bias.zero_()
    path = str(tmp_path_factory.mktemp('ckpt') / 'fresh.pth')
    save_checkpoint(dict(state_dict=inferencer.model.state_dict(),
                         meta=dict(dataset_meta=dict(classes=('unchanged', 'changed')))), path)
    return path


@pytest.fixture(scope='module')
def inferencer(checkpoint) -> PairInferencer:
    return PairInferencer(CONFIG, checkpoint)


def pair_paths(root: str, name: str, split: str = 'test'):
    return osp.join(root, split, 'A', name), osp.join(root, split, 'B', name)


def test_protocol_arrays_equal_paths_and_tiles(inferencer, levir_root):
    a, b = pair_paths(levir_root, 'test_1.png')
    assert inferencer.num_classes == 2 and inferencer.threshold == 0.5
    assert inferencer.classes == ('unchanged', 'changed') and inferencer.name.endswith('.pth')
    res = inferencer(a, b)
    assert res.change_map.shape == (64, 64) and res.change_map.dtype == np.uint8
    assert res.probs.shape == (2, 64, 64) and res.probs.dtype == np.float32
    np.testing.assert_allclose(res.probs.sum(0), 1, atol=1e-6)
    np.testing.assert_array_equal(res.change_prob, res.probs[1])
    np.testing.assert_array_equal(res.change_map, res.change_prob > 0.5)
    assert 0 < res.change_map.mean() < 1
    # BGR arrays as cv2 reads them give the same probabilities
    probs = inferencer.predict_probs([(cv2.imread(a), cv2.imread(b))])[0]
    np.testing.assert_allclose(probs, res.probs, atol=1e-6)
    # one window of the whole size is the whole prediction; smaller windows cover the pair
    np.testing.assert_allclose(inferencer(a, b, tile=64).probs, res.probs, atol=1e-6)
    tiled = inferencer(a, b, tile=(48, 64), overlap=16, batch_size=2)
    assert tiled.probs.shape == (2, 64, 64)
    np.testing.assert_allclose(tiled.probs.sum(0), 1, atol=1e-5)


def test_errors_name_the_file(inferencer, levir_root, tmp_path):
    a, b = pair_paths(levir_root, 'test_1.png')
    missing = str(tmp_path / 'B' / 'test_1.png')
    with pytest.raises(MissingDataError, match=f'^{missing}: image not found \\(partner of'):
        inferencer(a, missing)
    with pytest.raises(DataError, match=f'^{a}: the tile 96x96 is larger than the image 64x64'):
        inferencer(a, b, tile=96, overlap=8)
    small = str(tmp_path / 'small.png')
    cv2.imwrite(small, cv2.imread(b)[:32])
    with pytest.raises(DataError, match=f'^{small}: image B is 32x64x3 but its partner'):
        inferencer(a, small)
    with pytest.raises(ConfigError, match='not a change-detection config: its test pipeline '
                       'starts with LoadCheckedImageFromFile'):
        PairInferencer(repo_path('configs', 'unet_salt_demo.py'))


def test_refuses_a_checkpoint_of_another_model(tmp_path):
    other = str(tmp_path / 'other.pth')
    save_checkpoint(dict(state_dict={'backbone.stem.0.weight': torch.zeros(3)}), other)
    with pytest.raises(DataError, match=f'^{other}: checkpoint does not match the model'):
        PairInferencer(CONFIG, other)


@pytest.mark.slow
def test_change_maps_equal_tools_test(checkpoint, inferencer, levir_root, tmp_path):
    out = tmp_path / 'preds'
    opts = ['test_dataloader.dataset.data_root=' + levir_root,
            'test_dataloader.num_workers=0', 'test_dataloader.persistent_workers=False']
    proc = subprocess.run(
        [sys.executable, repo_path('tools', 'test.py'), CONFIG, checkpoint, '--work-dir',
         str(tmp_path / 'work'), '--out', str(out), '--cfg-options'] + opts,
        capture_output=True, text=True, timeout=600,
        env=dict(os.environ, PYTHONWARNINGS='ignore'))
    assert proc.returncode == 0, proc.stderr[-3000:]
    names = sorted(os.listdir(osp.join(levir_root, 'test', 'A')))
    assert sorted(os.listdir(out)) == names
    changed = 0
    for name in names:
        expected = cv2.imread(str(out / name), cv2.IMREAD_UNCHANGED)
        got = inferencer(*pair_paths(levir_root, name)).change_map
        np.testing.assert_array_equal(got, expected)
        changed += int(got.sum())
    assert 0 < changed < len(names) * 64 * 64

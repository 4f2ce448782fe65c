"""tools/analysis_tools/browse_dataset.py: mmseg's flags, 1-channel salt and 6-channel pairs."""
import os
import os.path as osp

import cv2
import numpy as np
from helpers.run_script import run_script

from conftest import repo_path

TOOL = repo_path('tools', 'analysis_tools', 'browse_dataset.py')


def browse(argv, capsys):
    return run_script(TOOL, argv, capsys)


def test_salt_one_channel_drawn_gray_with_the_mask(tgs_root, tmp_path, capsys):
    out = tmp_path / 'vis'
    rc, text = browse([repo_path('configs', 'unet_salt_demo.py'), '--not-show', '--output-dir',
                       out, '--max-samples', 3, '--cfg-options',
                       f'train_dataloader.dataset.data_root={tgs_root}'], capsys)
    assert rc == 0, text
    files = sorted(os.listdir(out))
    assert len(files) == 3 and '3 sample(s) drawn' in text
    img = cv2.imread(str(out / files[0]))
    assert img.shape == (128, 128, 3)  # the padded network input (ReflectPad 101 -> 128)


def test_change_pair_drawn_as_a_panel(levir_root, tmp_path, capsys):
    out = tmp_path / 'vis'
    rc, text = browse([repo_path('configs', 'changedet_levir_demo.py'), '--split', 'val',
                       '--not-show', '--output-dir', out, '--cfg-options',
                       f'val_dataloader.dataset.data_root={levir_root}'], capsys)
    assert rc == 0, text
    files = sorted(os.listdir(out))
    assert len(files) == len(os.listdir(osp.join(levir_root, 'val', 'A')))  # one per pair
    panel = cv2.imread(str(out / files[0]))
    assert panel.shape[1] == 2 * panel.shape[0]  # A | B, 64x64 each
    a = panel[:, :panel.shape[1] // 2]
    name = osp.splitext(files[0])[0]
    src = [f for f in os.listdir(osp.join(levir_root, 'val', 'A')) if f.startswith(name)][0]
    assert np.array_equal(a, cv2.imread(osp.join(levir_root, 'val', 'A', src)))  # A undrawn


def test_a_bad_config_is_one_line(tmp_path, capsys):
    rc, text = browse([tmp_path / 'nope.py'], capsys)
    assert rc != 0 and 'nope.py: config file not found' in text

"""The README's confusion-matrix and pair-prediction snippets, executed as written (paths mapped
to small data in tmp_path)."""
import os
import re

import numpy as np
import pytest

from conftest import repo_path


def readme_python_block(containing: str) -> str:
    text = open(repo_path('README.md')).read()
    blocks = [b for b in re.findall(r'```python\n(.*?)```', text, re.S) if containing in b]
    assert len(blocks) == 1, f'expected one README python block with {containing!r}'
    # blocks inside a list item are indented
    lines = blocks[0].splitlines()
    indent = min(len(x) - len(x.lstrip()) for x in lines if x.strip())
    return '\n'.join(x[indent:] for x in lines) + '\n'


def test_confusion_matrix_snippet(tmp_path, monkeypatch, capsys):
    from seg_ext.core.confusion_report import save_confusion_matrix
    save_confusion_matrix(np.array([[90, 10], [5, 15]]), ['background', 'salt'],
                          str(tmp_path / 'work_dirs' / 'unet_salt' / 'test'))
    monkeypatch.chdir(tmp_path)
    exec(readme_python_block('read_confusion_csv'), {})
    out = capsys.readouterr().out
    assert "['background', 'salt'] 120" in out and '0.9' in out and '0.25' in out


@pytest.mark.slow
def test_predict_a_pair_snippet(tmp_path, monkeypatch, capsys):
    import torch
    from mmengine.runner import save_checkpoint

    from seg_ext.core.synthetic import write_levir_dataset
    from seg_ext.mmseg.apis.pair_inferencer import PairInferencer

    write_levir_dataset(str(tmp_path / 'data' / 'levir_cd_demo'), dict(test=1),
                        seed=0, size=160)
    model = PairInferencer(repo_path('configs', 'changedet_levir_demo.py')).model
    os.makedirs(tmp_path / 'work_dirs' / 'changedet_levir_demo')
    save_checkpoint(dict(state_dict=model.state_dict()),
                    str(tmp_path / 'work_dirs' / 'changedet_levir_demo' / 'best_F1_iter_600.pth'))
    os.symlink(repo_path('configs'), tmp_path / 'configs')
    monkeypatch.chdir(tmp_path)
    scope = {}
    with torch.no_grad():
        exec(readme_python_block('PairInferencer'), scope)
    assert scope['result'].change_map.shape == (160, 160)
    assert scope['tiled'].change_prob.shape == (160, 160)
    assert scope['probs'][0].shape == (2, 160, 160)
    printed = capsys.readouterr().out.strip().splitlines()[-1].split()
    assert [float(x) for x in printed] == pytest.approx(
        [scope['result'].change_map.mean(), scope['result'].change_prob.max()])

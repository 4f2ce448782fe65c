"""The Python snippets of README's "The TGS recipe" section run as written (in a temp dir)."""
import os
import re

import pytest
from mmengine.config import Config

from conftest import repo_path

SECTION = '## The TGS recipe'


def recipe_snippets():
    text = open(repo_path('README.md')).read()
    start = text.index(SECTION)
    section = text[start:text.index('\n## ', start + 1)]
    return re.findall(r'```python\n(.*?)```', section, flags=re.S)


def test_section_has_three_python_snippets():
    assert len(recipe_snippets()) == 3


@pytest.mark.parametrize('index', [0, 1])
def test_snippet_runs(index, tmp_path, monkeypatch):
    code = recipe_snippets()[index]
    if index == 1:  # it opens a config by its repo path
        monkeypatch.chdir(repo_path())
    else:
        monkeypatch.chdir(tmp_path)
    exec(compile(code, f'README snippet {index}', 'exec'), {})
    if index == 0:
        assert os.path.isfile(tmp_path / 'resnet18_v1c_rgb.pth')


def test_val_loss_config_snippet_builds(tmp_path):
    """The val-loss/early-stopping lines merged into the demo config build the runner's loop
    and hooks."""
    from mmseg.registry import HOOKS, LOOPS
    snippet = tmp_path / 'snippet.py'
    snippet.write_text(f"_base_ = [{repo_path('configs', 'unet_salt_demo.py')!r}]\n"
                       + recipe_snippets()[2])
    cfg = Config.fromfile(str(snippet))
    assert LOOPS.get(cfg.val_cfg.type).__name__ == 'ValLossLoop'
    assert cfg.default_hooks.checkpoint.save_best == 'val_loss'
    hook = HOOKS.build(cfg.custom_hooks[-1])
    assert hook.monitor == 'val_loss' and hook.rule == 'less'

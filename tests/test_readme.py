"""Every README example runs: each ```python block that is a config (it sets ``_base_``) is built
and trained for 2 iterations (with a validation pass), each ``--cfg-options`` command (in a code
block or an inline code span) is built with its options, and trained for 2 iterations when it is
a ``tools/train.py`` command. The README is parsed, so a new snippet cannot go untested: one that
cannot run here must be listed in ``SKIPPED`` with the reason."""
import os.path as osp
import re
import shlex
import uuid

import pytest
from mmengine.config import DictAction

from conftest import repo_path

README = repo_path('README.md')

#: commands that cannot run in a test, each with the reason (matched as a substring)
SKIPPED = {
    '[--cfg-options k=v]': 'a synopsis: the options are placeholders',
}

#: tiny data per dataset type (conftest fixtures)
DATA_FIXTURE = {'TGSSaltDataset': 'tgs_root', 'BiTemporalCDDataset': 'levir_root'}


def code_blocks(text):
    """``(language, body, line)`` of every fenced code block."""
    out = []
    for m in re.finditer(r'^```(\w*)[ \t]*\n(.*?)^```', text, re.S | re.M):
        out.append((m.group(1), m.group(2), text.count('\n', 0, m.start()) + 1))
    return out


def config_snippets(text):
    return [(body, line) for lang, body, line in code_blocks(text)
            if lang == 'python' and re.search(r'^_base_\s*=', body, re.M)]


def cfg_option_commands(text):
    """``(argv, line)`` of every ``python ... --cfg-options ...`` command: in code blocks (with
    ``\\`` continuations joined) and in inline code spans."""
    found = []
    for lang, body, line in code_blocks(text):
        if lang not in ('', 'bash', 'sh', 'shell', 'console'):
            continue
        for cmd in body.replace('\\\n', ' ').splitlines():
            cmd = re.sub(r'\s+', ' ', cmd.split(' #')[0]).strip().lstrip('$ ')
            if cmd.startswith('python') and '--cfg-options' in cmd:
                found.append((cmd, line))
    prose = re.sub(r'^```.*?^```', '', text, flags=re.S | re.M)
    for m in re.finditer(r'`(python [^`]*--cfg-options[^`]*)`', prose):
        found.append((m.group(1), text.count('\n', 0, text.find(m.group(1))) + 1))
    return found


def test_the_parser_finds_the_examples():
    text = open(README).read()
    assert len(config_snippets(text)) >= 1
    cmds = [c for c, _ in cfg_option_commands(text)]
    assert any('loss_decode.1.loss_type=multi_class' in c for c in cmds), cmds
    sample = 'x\n```bash\npython tools/train.py a.py --cfg-options a=1 \\\n    b=2  # note\n```\n'
    assert cfg_option_commands(sample) == [('python tools/train.py a.py --cfg-options a=1 b=2',
                                            2)]


def skip_reason(cmd):
    return next((why for key, why in SKIPPED.items() if key in cmd), None)


#: shell variables of README loops (the "Ablation" loop), one representative value each; an
#: unknown variable fails the test (KeyError) so a new loop gets a value here
SHELL_VARS = dict(seed='0', name='scse', extra='model.decode_head.scse=True')


def parse_command(cmd):
    """``(tool, config, {key: value})`` of a ``python tools/X.py CONFIG ... --cfg-options ...``."""
    cmd = re.sub(r'\$(\w+)', lambda m: SHELL_VARS[m.group(1)], cmd)
    argv = shlex.split(cmd)
    tool = argv[1]
    config = next(a for a in argv[2:] if a.endswith('.py'))
    i = argv.index('--cfg-options')
    opts = []
    for a in argv[i + 1:]:
        if a.startswith('--'):
            break
        opts.append(a)
    ns = type('NS', (), {})()
    DictAction(['--cfg-options'], 'cfg_options')(None, ns, opts)
    return tool, config, ns.cfg_options


def use_tiny_data(cfg, request, tmp_path):
    """Point every dataloader at the session's tiny data; a short, quiet 2-iteration schedule."""
    for split in ('train', 'val', 'test'):
        loader = cfg.get(f'{split}_dataloader')
        if not loader:
            continue
        kind = loader.dataset.get('type')
        if kind not in DATA_FIXTURE:
            pytest.skip(f'{kind}: no tiny data for this dataset type in the tests')
        loader.dataset.data_root = request.getfixturevalue(DATA_FIXTURE[kind])
        if kind == 'TGSSaltDataset' and 'fold' in str(loader.dataset.get('ann_file', '')):
            # the session's data has 4 folds (0-3), as the README's examples use
            loader.dataset.ann_file = re.sub(r'fold[4-9]', 'fold0', loader.dataset.ann_file)
        loader.dataset.indices = 4 if split == 'train' else 2  # the first samples only
        loader.batch_size = 2
        loader.num_workers = 0
        loader.persistent_workers = False
    cfg.train_cfg = dict(type='IterBasedTrainLoop', max_iters=2, val_interval=2)
    # the demo schedule's poly decay begins after a 50-iteration warm-up: keep the two iterations
    # inside the warm-up
    cfg.param_scheduler = [s for s in cfg.get('param_scheduler', []) if s.get('begin', 0) < 2]
    cfg.default_hooks.logger = dict(type='LoggerHook', interval=1)
    cfg.default_hooks.checkpoint = dict(type='CheckpointHook', interval=1000)
    cfg.custom_hooks = [h for h in cfg.get('custom_hooks', [])
                        if h.get('type') != 'InferenceStatsHook']
    cfg.work_dir = str(tmp_path)
    cfg.experiment_name = f'readme_{uuid.uuid4().hex[:8]}'
    cfg.launcher = 'none'
    cfg.env_cfg = dict(cudnn_benchmark=False, dist_cfg=dict(backend='gloo'),
                       mp_cfg=dict(mp_start_method='fork', opencv_num_threads=0))


def train_two_iterations(cfg, config_path):
    """Build the runner as ``tools/train.py`` does and train; returns the validation metrics."""
    from seg_ext.mmseg.apis import runner_setup
    runner = runner_setup.build_runner(cfg, config_path, 'train')
    runner.train()
    return runner.message_hub.get_info('val_metrics') or \
        {k: v.current() for k, v in runner.message_hub.log_scalars.items() if k.startswith('val/')}


@pytest.mark.slow
@pytest.mark.parametrize('index', range(len(config_snippets(open(README).read()))))
def test_readme_config_snippet_trains(index, request, tmp_path):
    body, line = config_snippets(open(README).read())[index]
    body = re.sub(r"(['\"])\.\.?/", lambda m: m.group(1) + repo_path('configs') + '/', body)
    path = tmp_path / f'readme_line{line}.py'
    path.write_text(body)
    from seg_ext.mmseg.apis.runner_setup import load_config
    cfg = load_config(str(path))
    use_tiny_data(cfg, request, tmp_path)
    metrics = train_two_iterations(cfg, str(path))
    assert metrics, f'README line {line}: no validation metrics'


@pytest.mark.slow
@pytest.mark.parametrize('index', range(len(cfg_option_commands(open(README).read()))))
def test_readme_cfg_options_command(index, request, tmp_path):
    cmd, line = cfg_option_commands(open(README).read())[index]
    why = skip_reason(cmd)
    if why:
        pytest.skip(f'README line {line}: {why}')
    tool, config, options = parse_command(cmd)
    config_path = repo_path(config)
    assert osp.isfile(config_path), f'README line {line}: {config} does not exist'
    from mmseg.registry import MODELS

    from seg_ext.mmseg.apis import runner_setup
    cfg = runner_setup.load_config(config_path, options)
    for key in options:  # every option lands in the config (a misspelt path would be added)
        head = key.split('.')[0]
        assert head in cfg, f'README line {line}: {key} is not a key of {config}'
    if tool.endswith('train.py'):
        use_tiny_data(cfg, request, tmp_path)
        metrics = train_two_iterations(cfg, config_path)
        assert metrics, f'README line {line}: no validation metrics'
    elif tool.endswith('test.py'):
        crf = runner_setup.crf_settings(cfg, None, config_path)
        if crf is not None:
            runner_setup.enable_crf(cfg, crf, compare=cfg.get('crf_compare', True))
        MODELS.build(cfg.model)
    else:
        MODELS.build(cfg.model)

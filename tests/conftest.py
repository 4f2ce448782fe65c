"""Shared fixtures: mmseg registries in the default scope, small synthetic datasets on disk."""
import os
import os.path as osp
import sys

import pytest

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
sys.path.insert(0, ROOT)

# each plugin is optional (extras 'mmseg' and 'd2'): skip its tests where its framework is absent
collect_ignore_glob = []
try:
    import detectron2  # noqa: F401

    import seg_ext.d2  # noqa: F401  (its shims before any test module imports detectron2.*)
except ImportError:
    collect_ignore_glob += ['test_d2/*', 'test_tools/test_d2_*.py']
try:
    import mmseg  # noqa: F401
    HAS_MMSEG = True
except ImportError:
    HAS_MMSEG = False
    collect_ignore_glob += ['test_mmseg/*', 'test_tools/*', 'test_configs.py']


@pytest.fixture(autouse=True, scope='session')
def _mmseg_scope():
    """Register mmseg modules and make 'mmseg' the default scope, as configs do."""
    if not HAS_MMSEG:
        return
    from mmseg.utils import register_all_modules

    import seg_ext.mmseg  # noqa: F401
    register_all_modules(init_default_scope=True)


def _subclasses(cls):
    for sub in cls.__subclasses__():
        yield sub
        yield from _subclasses(sub)


@pytest.fixture(autouse=True)
def _fresh_visualizers():
    """Forget the visualizers a test's runners made. mmengine hands out an existing visualizer of
    the same name (mmseg's default_runtime names it 'visualizer'), so a later runner in this
    process would write its scalars into an earlier test's (deleted) work dir."""
    yield
    if not HAS_MMSEG:
        return
    from mmengine.visualization import Visualizer
    for cls in (Visualizer, *_subclasses(Visualizer)):
        cls._instance_dict.clear()


@pytest.fixture(scope='session')
def tgs_root(tmp_path_factory) -> str:
    """A 40-image synthetic TGS folder with masks, train.csv, depths.csv and 4-fold splits.

    Read-only: tests that damage files copy it first (see ``tgs_copy``).
    """
    from seg_ext.core.synthetic import write_tgs_dataset
    from seg_ext.core.tgs_salt import write_tgs_splits

    root = str(tmp_path_factory.mktemp('tgs'))
    write_tgs_dataset(root, num_train=40, num_test=4, seed=1)
    write_tgs_splits(root, num_folds=4, seed=0)
    return root


@pytest.fixture(scope='session')
def levir_root(tmp_path_factory) -> str:
    """A small synthetic LEVIR-CD folder: 6/2/3 pairs of 64x64 (read-only)."""
    from seg_ext.core.synthetic import write_levir_dataset

    root = str(tmp_path_factory.mktemp('levir'))
    write_levir_dataset(root, dict(train=6, val=2, test=3), seed=2, size=64)
    return root


@pytest.fixture
def levir_copy(levir_root, tmp_path) -> str:
    """A private copy of ``levir_root`` that a test may damage."""
    import shutil

    dst = str(tmp_path / 'levir')
    shutil.copytree(levir_root, dst)
    return dst


@pytest.fixture
def tgs_copy(tgs_root, tmp_path) -> str:
    """A private copy of ``tgs_root`` that a test may damage."""
    import shutil

    dst = str(tmp_path / 'tgs')
    shutil.copytree(tgs_root, dst)
    return dst


def repo_path(*parts: str) -> str:
    return osp.join(ROOT, *parts)


os.environ.setdefault('PYTHONWARNINGS', 'ignore::DeprecationWarning')


@pytest.fixture(scope='session')
def shapes_root(tmp_path_factory) -> str:
    """A small synthetic shapes folder (6 train / 3 val scenes of 64x64) in every format the
    generator writes: PennFudan layout, COCO instances, COCO panoptic (read-only)."""
    from seg_ext.core.synthetic.shapes import write_shapes_dataset

    root = str(tmp_path_factory.mktemp('shapes'))
    write_shapes_dataset(root, dict(train=6, val=3), seed=3, size=64)
    return root


@pytest.fixture(scope='session')
def slurm_cluster() -> str:
    """A real single-node Slurm cluster (munge + slurmctld + slurmd on localhost, Debian's
    slurm-wlm) started by ``tests/harness/slurm_localhost.sh``; yields the partition name.

    The harness installs the packages and starts the daemons, which needs root; the tests using
    this fixture skip, saying why, only where the daemons cannot be started. Daemons this fixture
    started are stopped at the end of the session.
    """
    import shutil
    import subprocess

    script = repo_path('tests', 'harness', 'slurm_localhost.sh')
    if os.geteuid() != 0:
        pytest.skip('the Slurm harness installs and starts munged/slurmctld/slurmd, which needs '
                    'root')
    if shutil.which('apt-get') is None and shutil.which('slurmd') is None:
        pytest.skip('no slurmd and no apt-get to install Debian\'s slurm-wlm')
    env = dict(os.environ, SLURM_CI_GPUS='2')
    running = subprocess.run(['bash', script, 'status'], capture_output=True, text=True,
                             env=env).stdout
    was_running = 'slurmctld: running' in running and 'slurmd: running' in running
    try:
        proc = subprocess.run(['bash', script, 'start'], capture_output=True, text=True, env=env,
                              timeout=600)
    except subprocess.TimeoutExpired:
        pytest.skip('the Slurm daemons did not start within 10 minutes')
    if proc.returncode != 0:
        pytest.skip(f'the Slurm daemons cannot start here (slurm_localhost.sh start exit '
                    f'{proc.returncode}): {proc.stderr[-1500:]}')
    yield 'debug'
    if not was_running:
        subprocess.run(['bash', script, 'stop'], capture_output=True, env=env, timeout=120)

"""Install Detectron2's Python package without compiling it (run by tools/install.sh for `d2`).

Detectron2 has no built package on the registry. ``pb1-detectron2==0.6`` is an sdist whose Python
files and model-zoo configs are byte-identical to FAIR's detectron2 v0.6, but it lacks the C++/CUDA
sources (``detectron2/layers/csrc``) that its setup.py compiles, so ``pip install`` fails. This
script downloads that sdist, builds it without the extension (``ext_modules=[]``), keeps the
model-zoo configs as package data, and installs it with ``--no-deps`` (its runtime requirements are
seg_ext's ``[d2]`` extra; its ``black==21.4b2`` pin does not import on Python 3.11).

Mask R-CNN and Panoptic FPN need no ``detectron2._C`` (torchvision provides RoIAlign and NMS);
``seg_ext.d2.compat`` makes the ops that do need it fail with a clear message.

An official detectron2 that is already installed (built from source, ``import detectron2._C``
works) is left untouched. ``--force`` reinstalls the Python package anyway.
"""
import argparse
import glob
import os
import os.path as osp
import re
import subprocess
import sys
import tarfile
import tempfile

SDIST = 'pb1-detectron2==0.6'


def installed() -> str:
    """'official' (with its C++ ops), 'python' (Python package only) or '' (absent)."""
    code = ('import importlib.util, detectron2; '
            "print('official' if importlib.util.find_spec('detectron2._C') else 'python')")
    proc = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True)
    return proc.stdout.strip() if proc.returncode == 0 else ''


def patch_setup(src: str) -> str:
    """setup.py without the C++ extension, the ``black`` pin and the cwd-relative configs glob."""
    replacements = [
        (r'ext_modules=get_extensions\(\),', 'ext_modules=[],'),
        (r'cmdclass=\{"build_ext": torch\.utils\.cpp_extension\.BuildExtension\},', ''),
        (r'package_data=\{"detectron2\.model_zoo": get_model_zoo_configs\(\)\},',
         'package_data={"detectron2.model_zoo": ["configs/**/*.yaml", "configs/**/*.py"]},'),
        (r'\s*"black==21\.4b2",', ''),
    ]
    for pattern, new in replacements:
        src, n = re.subn(pattern, new, src)
        if n != 1:
            raise RuntimeError(f'{SDIST} setup.py: expected one match of {pattern!r}, found {n}; '
                               'has the sdist changed?')
    return src


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--force', action='store_true', help='reinstall the Python package')
    parser.add_argument('--cache-dir', default=osp.join(
        os.environ.get('XDG_CACHE_HOME', osp.expanduser('~/.cache')), 'seg_ext'),
        help='where the downloaded sdist is kept')
    args = parser.parse_args()

    state = installed()
    if state == 'official' and not args.force:
        print('detectron2 with its C++ ops is installed: left unchanged')
        return
    if state == 'python' and not args.force:
        print('detectron2 (Python package) is already installed')
        return

    pip = [sys.executable, '-m', 'pip', '--disable-pip-version-check']
    os.makedirs(args.cache_dir, exist_ok=True)
    tarballs = glob.glob(osp.join(args.cache_dir, 'pb1-detectron2-0.6.tar.gz'))
    if not tarballs:
        # a setup.py sdist that imports torch: no build isolation, and no build at all (--no-deps)
        subprocess.run(pip + ['download', SDIST, '--no-deps', '--no-binary', ':all:',
                              '--no-build-isolation', '-d', args.cache_dir], check=True)
        tarballs = glob.glob(osp.join(args.cache_dir, 'pb1-detectron2-0.6.tar.gz'))
    with tempfile.TemporaryDirectory() as tmp:
        with tarfile.open(tarballs[0]) as tar:
            tar.extractall(tmp, filter='data')
        root = osp.join(tmp, 'pb1-detectron2-0.6')
        setup_py = osp.join(root, 'setup.py')
        with open(setup_py) as f:
            src = patch_setup(f.read())
        with open(setup_py, 'w') as f:
            f.write(src)
        subprocess.run(pip + ['install', '-q', '--no-build-isolation', '--no-deps', root],
                       check=True)

    # without seg_ext.d2.compat, `import detectron2.model_zoo` fails on the missing _C: check files
    check = ('import importlib.util, os; '
             "root = importlib.util.find_spec('detectron2').submodule_search_locations[0]; "
             "cfg = os.path.join(root, 'model_zoo', 'configs', 'COCO-InstanceSegmentation', "
             "'mask_rcnn_R_50_FPN_3x.yaml'); assert os.path.isfile(cfg), cfg; "
             "print('detectron2 (Python package) installed at', root)")
    subprocess.run([sys.executable, '-c', check], check=True)


if __name__ == '__main__':
    main()

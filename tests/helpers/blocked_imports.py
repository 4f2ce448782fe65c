"""``python tests/helpers/blocked_imports.py MOD[,MOD...] SCRIPT [ARGS]`` (or ``... -c CODE``):
run a script in a process where importing any of the named top-level packages fails with
``ModuleNotFoundError``, as if they were not installed (the layering tests: the Detectron2 plugin
without OpenMMLab, the core without any framework)."""
import importlib.abc
import runpy
import sys


class Blocker(importlib.abc.MetaPathFinder):
    """A meta-path finder that refuses the given top-level packages and all their modules."""

    def __init__(self, names):
        self.names = set(names)

    def find_spec(self, fullname, path=None, target=None):
        if fullname.split('.')[0] in self.names:
            raise ModuleNotFoundError(f'No module named {fullname!r} (blocked: this test runs '
                                      'as if it were not installed)', name=fullname)
        return None


def block(names) -> None:
    """Install the blocker for ``names`` (and forget any of them already imported)."""
    sys.meta_path.insert(0, Blocker(names))
    for mod in list(sys.modules):
        if mod.split('.')[0] in names:
            del sys.modules[mod]


if __name__ == '__main__':
    block(sys.argv[1].split(','))
    if sys.argv[2] == '-c':
        code = sys.argv[3]
        sys.argv = ['-c'] + sys.argv[4:]
        exec(compile(code, '<blocked_imports>', 'exec'), {'__name__': '__main__'})
    else:
        sys.argv = sys.argv[2:]
        runpy.run_path(sys.argv[0], run_name='__main__')

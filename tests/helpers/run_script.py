"""Run a tool script in this process, as ``python <script> args`` would."""
import runpy
import sys


def run_script(path, args, capsys):
    """``(exit status, stdout + stderr)`` of ``path`` run as ``__main__`` with ``args``. A
    ``SystemExit`` with a message (``run_tool``'s ``error: <config>: config file not found``)
    counts as status 1, its message added to the output as Python would print it."""
    argv = sys.argv
    sys.argv = [str(path)] + [str(a) for a in args]
    message = ''
    try:
        runpy.run_path(str(path), run_name='__main__')
        rc = 0
    except SystemExit as e:
        if isinstance(e.code, int) or e.code is None:
            rc = e.code or 0
        else:
            rc, message = 1, str(e.code)
    finally:
        sys.argv = argv
    out = capsys.readouterr()
    return rc, out.out + out.err + message

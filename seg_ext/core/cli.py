"""How every seg_ext tool reports a problem the user can fix: one line, no traceback."""
import os
import os.path as osp
import sys
from typing import Callable, List, Optional, TypeVar

from .errors import ConfigError, DataError, NonFiniteLossError

T = TypeVar('T')

USER_ERRORS = (DataError, ConfigError, NonFiniteLossError)


def run_tool(main: Callable[[], T], config_path: Optional[str] = None) -> T:
    """Run a tool's ``main``; the errors a user can fix -- bad input data (:class:`DataError`,
    naming the file), a config that cannot be built (:class:`ConfigError`, naming the config), a
    non-finite training loss -- become ``error: <message>`` on stderr and exit status 1. Anything
    else keeps its traceback. ``SEG_EXT_DEBUG=1`` always shows tracebacks."""
    if config_path is not None and not config_path.startswith('-') \
            and not osp.isfile(config_path):
        raise SystemExit(f'error: {config_path}: config file not found')
    try:
        return main()
    except USER_ERRORS as e:
        if os.environ.get('SEG_EXT_DEBUG'):
            raise
        print(f'error: {e}', file=sys.stderr, flush=True)
        raise SystemExit(1) from None


def option_value(argv: List[str], option: str) -> Optional[str]:
    """The value of ``option`` in ``argv`` (``--opt V`` or ``--opt=V``), or None: what a tool
    names in its one-line errors before its own parser has run (e.g. Detectron2's
    ``--config-file``)."""
    for i, a in enumerate(argv):
        if a.startswith(option + '='):
            return a.split('=', 1)[1]
        if a == option and i + 1 < len(argv):
            return argv[i + 1]
    return None

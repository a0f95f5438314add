"""Program: the command line as a process: ``cli.main``, then an exit without Python's teardown.

``build.py``, ``python -m brochure`` and the ``brochure`` script call ``run``; tests and other
callers call ``cli.main``, which returns its status and leaves the process as it was.
"""

from __future__ import annotations

import atexit
import os
import sys
import threading
from typing import NoReturn


def run() -> NoReturn:
    """The command line as a program (``python build.py``, ``python -m brochure``, the
    ``brochure`` script): ``cli.main``, then the process ends (``exit_now``)."""
    from .cli import main

    exit_now(main())


def exit_now(status: int) -> NoReturn:
    """End this process with ``status``, its command done, without the interpreter's teardown.

    Python's own exit collects every object and takes every module apart, one by one, when
    the process ends: about 0.15 s after a cold build of the seed (a full garbage collection
    of everything WeasyPrint, pydantic and pikepdf loaded, then the teardown), which the
    build's user waits for and whose result no one sees. What an exit owes is done first: the
    ``atexit`` handlers (logging flushed, temporary folders removed, a pool's workers joined),
    then stdout and stderr flushed. Every file the build writes is written and renamed into
    place before ``main`` returns (``files.write_atomic``). With another thread still running
    (Python would wait for it) or output that cannot be flushed (a closed pipe: Python says
    so, and exits 120), the ordinary exit."""
    if threading.active_count() == 1:
        atexit._run_exitfuncs()
        try:
            for stream in (sys.stdout, sys.stderr):
                if stream is not None:
                    stream.flush()
        except (OSError, ValueError):
            pass
        else:
            if threading.active_count() == 1:  # an atexit handler started none
                os._exit(status)
    sys.exit(status)

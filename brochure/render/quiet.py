"""Quiet: WeasyPrint's messages silenced on one thread (a trial layout), never the whole process's.

A sentence-break trial lays out a document whose messages are the first layout's (``flow``). Switching the
``weasyprint`` logger off (``logger.disabled``) silenced every thread at once: a render in another thread (the
studio, a test beside a watch session) lost its warnings and errors meanwhile, and a PDF with a missing picture
could be written without a word. This filter drops a record only on the thread that asked for quiet.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_STATE = threading.local()
_LOCK = threading.Lock()
_INSTALLED: list[bool] = [False]


def quiet() -> bool:
    """Whether this thread's WeasyPrint messages are silenced now."""
    return bool(getattr(_STATE, "on", False))


class _Filter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return not quiet()


@contextmanager
def silenced() -> Iterator[None]:
    """WeasyPrint's messages dropped on this thread while inside, as they are said on every other."""
    with _LOCK:
        if not _INSTALLED[0]:
            logging.getLogger("weasyprint").addFilter(_Filter())
            _INSTALLED[0] = True
    before = quiet()
    _STATE.on = True
    try:
        yield
    finally:
        _STATE.on = before

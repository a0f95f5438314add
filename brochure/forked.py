"""Forked: work done beside the build, in one forked process, while this process does its own.

A cold build of one handout has a second core idle: the PDFs of a unit render one after the
other, then their checks run. When the batch leaves a core free (``runner.local`` allows it:
one unit, and ``--jobs`` 2 or more or none given), the build (``build.build_unit``) forks a
child that checks the content printable and lays out its HTML while this process imports
WeasyPrint; then a child that renders the email PDF and checks it, then the content's words,
while this process renders the print PDF; then a child that checks the print PDF's contrast
while this process makes its other checks.
A forked child starts with everything this process has loaded and read, so the tasks are
closures: only their results cross back, pickled, in order; what both would make for
themselves (WeasyPrint imported, the C types its renders parse, hyphenation patterns) the
build makes before the fork, once.

The child writes nothing but its results, each in an unnamed temporary file whose descriptor
it passes back: out/ is this process's alone. What the child does not deliver (it was
killed, ran out of memory, or a task raised) is done here, in turn, as without it; a mistake
then raises here, with its traceback. Ctrl-C is this process's to
handle: the child ignores it and is killed and reaped when the build stops. No fork at all
with ``--jobs 1``, in a batch's worker, or while another thread runs (a fork copies no
thread, and a lock it held would stay locked in the child); without ``--jobs``, only when a
core is idle at that moment (``idle_core``).
"""

from __future__ import annotations

import contextlib
import gc
import os
import pickle
import signal
import socket
import sys
import tempfile
import threading
from collections.abc import Callable, Iterator, Sequence
from typing import Any

_ALLOWED: tuple[int, bool] | None = None  # the process that may fork a helper, and whether only to an idle core


@contextlib.contextmanager
def allowing(allowed: bool, when_idle: bool = False) -> Iterator[None]:
    """Within this, builds in this process may fork one helper each (``allowed``); with
    ``when_idle``, only while a core has nothing to run (``idle_core``)."""
    global _ALLOWED
    before, _ALLOWED = _ALLOWED, ((os.getpid(), when_idle) if allowed else None)
    try:
        yield
    finally:
        _ALLOWED = before


def one_unit() -> bool:
    """Whether this process builds one unit now, with a helper allowed by ``--jobs`` (``allowing``),
    whether or not it may fork one at this moment (a busy core, a thread)."""
    return _ALLOWED is not None and _ALLOWED[0] == os.getpid()


def allowed() -> bool:
    """Whether a build here may fork a helper now: allowed, and this process runs one thread
    (Python's, and on Linux any a library started)."""
    if _ALLOWED is None or _ALLOWED[0] != os.getpid() or threading.active_count() != 1:
        return False
    if _ALLOWED[1] and not idle_core():
        return False
    try:
        return len(os.listdir("/proc/self/task")) == 1
    except OSError:  # no /proc: Python's threads are all that can be seen
        return True


def idle_core(loadavg: str = "/proc/loadavg") -> bool:
    """Whether a core is idle now: fewer processes ready to run (this one included, from
    Linux's /proc/loadavg) than cores. On a machine whose cores are all busy, a helper would
    only share this build's turn on them, and its own start would cost more than it gives."""
    try:
        with open(loadavg, encoding="ascii") as file:
            running = int(file.read().split()[3].split("/")[0])
    except (OSError, ValueError, IndexError):
        return True  # no way to know: as --jobs says
    return running < (os.cpu_count() or 1)


class Beside:
    """``tasks`` run in a forked child, one after the other, when ``allowed()``; else, or for
    any the child did not deliver, here when their result is asked for."""

    def __init__(self, tasks: Sequence[Callable[[], Any]]) -> None:
        self.tasks = list(tasks)
        self.results: dict[int, Any] = {}
        self.pid: int | None = None
        self.channel: socket.socket | None = None
        if self.tasks and allowed():
            self._fork()

    def _fork(self) -> None:
        mine, theirs = socket.socketpair()
        gc.freeze()  # the collector leaves what both have alone: fewer pages copied after the fork
        try:
            pid = os.fork()
        except OSError:  # no process to spare (a limit, no memory): the tasks are done here
            gc.unfreeze()
            mine.close()
            theirs.close()
            return
        if pid == 0:  # the child: never returns into the build's frames
            try:
                signal.signal(signal.SIGINT, signal.SIG_IGN)
                _die_with_parent()
                mine.close()
                for index, task in enumerate(self.tasks):
                    _send(theirs, index, task())
            finally:  # a task that raised: the build does it again, and raises it there
                os._exit(0)  # no atexit, no buffered output of the parent flushed twice
        theirs.close()
        self.pid = pid
        self.channel = mine

    def result(self, index: int) -> Any:
        """Task ``index``'s result: the child's, or, when it did not deliver it, made here."""
        while index not in self.results and self.channel is not None:
            try:
                done, value = _received(self.channel)
            except Exception:  # the child ended (killed, a task raised): the rest is done here
                self.close()
                break
            self.results[done] = value
        if index not in self.results:
            self.results[index] = self.tasks[index]()
        return self.results[index]

    def close(self) -> None:
        """The child killed, if it still runs, and reaped; nothing of it is left."""
        if self.channel is not None:
            self.channel.close()
            self.channel = None
        if self.pid is not None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, signal.SIGKILL)  # it writes no file: nothing to finish
            with contextlib.suppress(ChildProcessError):
                os.waitpid(self.pid, 0)
            self.pid = None
            gc.unfreeze()

    def __enter__(self) -> Beside:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()


def _send(channel: socket.socket, index: int, value: Any) -> None:
    """A result, pickled into a file with no name whose descriptor goes to the parent: the
    child never waits for the parent to read (a pipe would hold 64 kB, less than a PDF)."""
    with tempfile.TemporaryFile() as file:
        pickle.dump(value, file, pickle.HIGHEST_PROTOCOL)
        file.flush()
        socket.send_fds(channel, [index.to_bytes(4, "big")], [file.fileno()])


def _received(channel: socket.socket) -> tuple[int, Any]:
    """The next result the child sent; EOFError when it has ended."""
    message, fds, _, _ = socket.recv_fds(channel, 4, 1)
    if len(message) != 4 or len(fds) != 1:
        for fd in fds:
            os.close(fd)
        raise EOFError("the helper ended")
    with os.fdopen(fds[0], "rb") as file:
        file.seek(0)
        return int.from_bytes(message, "big"), pickle.load(file)


def _die_with_parent() -> None:
    """On Linux, the child is killed when this process dies however it dies (SIGKILL too):
    never a helper left computing for no one."""
    if sys.platform == "linux":
        import ctypes

        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG

"""Lanes: warm worker processes that render ``watch``'s and ``serve``'s PDFs at the same time.

A unit's PDFs are independent renders, and while staff wait for an edit the machine has a
second core idle. Each lane is one worker process that renders the output kinds given to it,
always the same ones (the print PDF in one lane, the email PDF in the other): a lane warms
up once, by rendering its kinds of the first handout, and each later PDF of a kind renders
where its fonts, stylesheets and sentence-break choices already are.

How a lane starts (``start``): when this process runs one thread (``watch``), it is forked,
so it starts with everything imported here (WeasyPrint too, ``job.imported``) at the cost of
a fork; otherwise (``serve`` runs its server beside the watch) it is spawned, a fresh
interpreter, as a fork of a process with threads could inherit a lock some thread held.

A job crosses to its lane as plain data (``job.Job``) and its PDF comes back as bytes
(``pdf.Rendered``): the build still writes them, atomically, and records them itself. A
lane runs one job at a time and is sent its next job only once it has answered the last
one, so neither side ever waits to write into a pipe the other is not reading. A lane that
ends (killed, out of memory) is a ``Lost``: its caller renders in this process instead.
"""

from __future__ import annotations

import contextlib
import gc
import os
import signal
import sys
import threading
import traceback
from collections import deque
from collections.abc import Callable, Sequence
from multiprocessing import get_context
from multiprocessing.connection import Connection, wait
from typing import TYPE_CHECKING, Any, Protocol

from ..outputs import KINDS

if TYPE_CHECKING:
    from multiprocessing.process import BaseProcess

    from .pdf import Rendered


class Job(Protocol):
    """What a lane is sent: a ``job.Job`` (plain data); only its kind of PDF is read here."""

    @property
    def output(self) -> str: ...


# How a lane renders a job: ``job.render`` (given to ``start``: this module never imports job,
# which imports it).
Render = Callable[..., "Rendered"]


class Lost(Exception):
    """A lane ended (killed, out of memory) or could not be reached: its PDFs render here."""


class RemoteTraceback(Exception):
    """The traceback of an error raised in a lane, as text: the ``__cause__`` of that error."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


_WARMED = ("warmed",)  # a lane's answer to a warm-up job: nothing to read back


def single_threaded() -> bool:
    """Whether this process runs one thread: Python's, and on Linux any a library started."""
    if threading.active_count() != 1:
        return False
    try:
        return len(os.listdir("/proc/self/task")) == 1
    except OSError:  # no /proc: Python's threads are all that can be seen
        return True


def _serve(conn: Connection, inherited: Sequence[Connection], render: Render) -> None:
    """A lane's life: render each job it is sent and answer with its PDF or its error, until
    this process's parent goes away or stops it. Ctrl-C is the parent's to handle. However it
    ends, the lane never runs Python's shutdown: a forked lane's objects are its parent's
    (WeasyPrint's font folder, open files), and tearing them down is the parent's alone."""
    try:
        _answer(conn, inherited, render)
    except BaseException:  # a bug in the lane itself: said, and its jobs render in the parent (``Lost``)
        traceback.print_exc()
    finally:
        os._exit(0)


def _answer(conn: Connection, inherited: Sequence[Connection], render: Render) -> None:
    from multiprocessing import parent_process
    from multiprocessing.connection import wait as waiting

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})  # blocked by ``start`` while it forked
    for other in inherited:  # the other lanes' ends, inherited from a fork: theirs alone
        other.close()
    parent = parent_process()
    if parent is not None:  # the lane ends with the parent however it ends (killed too)
        threading.Thread(target=lambda: (waiting([parent.sentinel]), os._exit(0)), daemon=True).start()
    done = 0
    while True:
        try:
            search, job = conn.recv()
        except (EOFError, OSError):
            return
        try:
            answer: tuple[Any, ...] = ("pdf", render(job, search=search)) if search else _warm(job, render)
        except Exception as error:
            answer = ("error", error, traceback.format_exc())
        try:
            conn.send(answer)
        except OSError:  # the build went away, or stopped the lanes
            return
        except Exception:  # what cannot be pickled: an error's words and traceback, or why
            said = (f"{type(answer[1]).__name__}: {answer[1]}", answer[2]) if answer[0] == "error" \
                else ("the PDF could not be sent back", traceback.format_exc())
            conn.send(("error", RuntimeError(said[0]), said[1]))
        done += 1
        # Idle: tidy up now rather than in the middle of the next render, once the build has
        # had a moment to write the PDFs (on a busy machine the two would share a core).
        if not conn.poll(TIDY_AFTER_S):
            _tidy(done)


THAW_EVERY = 25  # jobs between two collections that look at every object again
TIDY_AFTER_S = 0.05


def _tidy(done: int) -> None:
    """The garbage of the last job collected, and what survives frozen (``gc.freeze``): the
    collections during the next render leave WeasyPrint's and brochure's long-lived objects
    alone (a full collection over them took about 0.15 s, every second render). Every
    THAW_EVERY jobs everything is looked at again, so nothing that died frozen stays."""
    if done % THAW_EVERY == 0:
        gc.unfreeze()
    gc.collect()
    gc.freeze()


def _warm(job: Job, render: Render) -> tuple[str]:
    """A warm-up: the PDF rendered as an edit renders it, the tri-fold's sentence-break search
    included, and thrown away; whatever goes wrong is the next build's to report.

    The search is what makes the first edit cost what a later one does: its trial layouts
    shape the lines of the panels' other breaks, which an edit's own trials shape again (the
    shaping memo keeps them, ``shaping``), and run the code of the search and of a PDF drawn
    from a trial for the first time in this lane (a forked lane copies each page it writes)."""
    with contextlib.suppress(Exception):
        render(job)
    return _WARMED


class _Lane:
    """One worker process and this process's end of its pipe."""

    def __init__(self, process: BaseProcess, conn: Connection) -> None:
        self.process = process
        self.conn = conn
        self.warming = 0  # answers to warm-up jobs still to read (and drop)
        self.kinds: list[str] = []

    def send(self, job: Job, search: bool = True) -> None:
        try:
            self.conn.send((search, job))
        except (OSError, ValueError) as error:
            raise Lost(f"a render worker ended: {error}") from None
        if not search:
            self.warming += 1

    def _next(self) -> Any:
        try:
            return self.conn.recv()
        except (EOFError, OSError) as error:
            raise Lost(f"a render worker ended: {error or 'no answer'}") from None

    def receive(self) -> Rendered:
        """The answer to the last job sent: its PDF, or its error raised here."""
        while True:
            answer = self._next()
            if answer == _WARMED and self.warming:
                self.warming -= 1
                continue
            if answer[0] == "pdf":
                return answer[1]  # type: ignore[no-any-return]
            _, raised, text = answer
            raised.__cause__ = RemoteTraceback(text)
            raise raised

    def skip_warm_up(self) -> None:
        """The next answer, a warm-up's (while ``warming``: answers come in the jobs' order), read and dropped."""
        if self._next() != _WARMED:
            raise Lost("a render worker answered out of turn")
        self.warming -= 1

    def stop(self) -> None:
        self.conn.close()
        if self.process.is_alive():
            self.process.terminate()
        self.process.join(timeout=5)
        if self.process.is_alive():
            self.process.kill()
            self.process.join(timeout=5)


class Lanes:
    """Worker processes, each rendering the output kinds given to it (``lane_of``)."""

    def __init__(self, lanes: list[_Lane]) -> None:
        self.lanes = lanes

    def lane_of(self, output: str) -> _Lane:
        """The lane of an output kind: the first time a kind is asked for, the lane with the
        least work, a sheet kind (laid out again for its sentence breaks) counting double."""
        for lane in self.lanes:
            if output in lane.kinds:
                return lane

        def weight(lane: _Lane) -> int:
            return sum(2 if KINDS[kind].sheet else 1 for kind in lane.kinds)

        lane = min(self.lanes, key=weight)  # the first of the least loaded
        lane.kinds.append(output)
        return lane

    def warm(self, jobs: Sequence[Job]) -> None:
        """Each job rendered once in its lane, and thrown away: the lanes warm up while this
        process goes on (their answers are read, and dropped, before the next job's)."""
        for job in jobs:
            self.lane_of(job.output).send(job, search=False)

    def render(self, jobs: Sequence[Job]) -> list[Rendered]:
        """The PDFs of ``jobs`` in their order, each rendered in its kind's lane, the lanes at
        the same time. The first job's error is raised first, as when they render in turn;
        ``Lost`` when a lane ended. Interrupted (Ctrl-C, a lane lost), the lanes are stopped:
        an answer left unread would be taken for the next job's."""
        queues: dict[int, deque[int]] = {}
        for index, job in enumerate(jobs):
            queues.setdefault(id(self.lane_of(job.output)), deque()).append(index)
        busy: dict[Connection, tuple[_Lane, deque[int]]] = {}
        results: dict[int, Rendered | Exception] = {}
        try:
            # The sheet's lane first: its PDF is laid out again for its sentence breaks, the
            # longest of the jobs, which the others' wait to be written with.
            for lane in sorted((lane for lane in self.lanes if id(lane) in queues),
                               key=lambda lane: not KINDS[jobs[queues[id(lane)][0]].output].sheet):
                lane.send(jobs[queues[id(lane)][0]])
                busy[lane.conn] = (lane, queues[id(lane)])
            while busy:
                for ready in wait(list(busy)):
                    lane, indexes = busy[ready]  # type: ignore[index]
                    if lane.warming:  # the answer to its warm-up, before its job's: its PDF is waited
                        lane.skip_warm_up()  # for with the others', not read as it comes while another waits
                        continue
                    index = indexes.popleft()
                    try:
                        results[index] = lane.receive()
                    except Lost:
                        raise
                    except Exception as error:  # the job's own error: raised in the jobs' order
                        results[index] = error
                    if indexes:
                        lane.send(jobs[indexes[0]])
                    else:
                        del busy[ready]  # type: ignore[arg-type]
        except BaseException:
            self.stop()
            raise
        made: list[Rendered] = []
        for index in range(len(jobs)):
            result = results[index]
            if isinstance(result, Exception):
                raise result
            made.append(result)
        return made

    def stop(self) -> None:
        """Every lane's process ended, at once, warm or busy; nothing of them is left."""
        lanes, self.lanes = self.lanes, []
        for lane in lanes:
            with contextlib.suppress(Exception):
                lane.stop()


def start(count: int, render: Render) -> Lanes | None:
    """``count`` lanes, forked when this process runs one thread, else spawned; None when no
    process can be started (a limit, no memory): PDFs then render here, in turn."""
    forking = single_threaded()
    context: Any = get_context("fork" if forking else "spawn")
    lanes: list[_Lane] = []
    # Ctrl-C is for this process alone: blocked while each lane starts, which ignores it
    # before it unblocks it (a fork and a spawned interpreter both inherit the mask).
    masked = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        for _ in range(count):
            ours, theirs = context.Pipe()
            inherited = [lane.conn for lane in lanes] if forking else []
            process = context.Process(target=_serve, args=(theirs, inherited, render), name="brochure-render", daemon=True)
            if forking:
                for stream in (sys.stdout, sys.stderr):  # or the lane could write it out again
                    with contextlib.suppress(Exception):
                        stream.flush()
                gc.freeze()  # the collector leaves what both have alone: fewer pages copied after the fork
            try:
                process.start()
            finally:
                if forking:
                    gc.unfreeze()
                theirs.close()
            lanes.append(_Lane(process, ours))
    except OSError:
        Lanes(lanes).stop()
        return None
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, masked)
    return Lanes(lanes)

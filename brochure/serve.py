"""Serve: a live preview in the browser, the pages beside the text, rebuilt on every save.

The page is plain HTML with ``<img>`` proofs (readable without JavaScript); a small
script listens to server-sent events and swaps in the new page after each build. The
server answers on 127.0.0.1 only and serves the page, its event stream and the PDFs and
proofs of the current build: any other path, a folder, or a traversal attempt is a 404.
"""

from __future__ import annotations

import asyncio
import errno
import logging
import mimetypes
import os
import socket
import stat
import sys
import threading
import time
import traceback
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import jinja2

from .outputs import kind_of
from .picker import FileView, choose, describe, error_view, finding_view, importance, link_translations, ordered
from .proof import DEFAULT_DPI, current_proofs, proof_digests
from .runner import Outcome
from .settings import Settings
from .studio.routes import Editor, editor_view
from .studio.routes import routes as editor_routes
from .watch import Discover, rebuilds

if TYPE_CHECKING:
    import uvicorn

UI = Path(__file__).resolve().parent / "ui"
HOST = "127.0.0.1"
HEAD_TIMEOUT = 10.0  # seconds for a client to send a whole request head (request line and headers)
KEEP_ALIVE = 5  # seconds an idle connection stays open after a response
MAX_CONNECTIONS = 32  # beyond this, requests are answered 503


class Preview:
    """The state of the preview, updated by the watcher thread, read by the server."""

    def __init__(self, out_dir: Path, dpi: int = DEFAULT_DPI) -> None:
        self.out_dir = out_dir.resolve()
        self.dpi = dpi
        self.version = 0
        self.status = "building..."
        self.views: dict[str, FileView] = {}
        self.allowed: set[str] = set()  # paths under out/ the server may send
        self.lock = threading.Lock()
        self.closing = threading.Event()  # the server is stopping: event streams end
        self.editor = Editor()  # the form beside the pages: its token and the files it may write

    def update(self, outcomes: list[Outcome]) -> None:
        """Take a batch's outcomes: new proofs for new PDFs, errors over the last good pages."""
        if not outcomes:  # the build itself failed (its traceback is in the terminal)
            self.failed("the last build failed with an error (see the terminal); these pages are older")
            return
        views = {}
        for outcome in outcomes:
            previous = self.views.get(outcome.name, FileView(outcome.name))
            described = describe(outcome, self.out_dir)
            # A bad row fails its own location: the others' pages are new, its pages the last good ones.
            pdfs = [p for result in outcome.results for p in result.pdfs]
            fresh = bool(pdfs) or not outcome.problems  # up-to-date PDFs of a file with a mistake are the old ones
            pdfs = pdfs or outcome.up_to_date
            # Each finding once per location it is about: the picker shows the chosen location's.
            findings = sorted(dict.fromkeys((f, result.unit.variant) for result in outcome.results for f in result.findings),
                              key=lambda pair: importance(pair[0]))
            outputs = [{**o, "fresh": fresh} for o in (self._output(pdf, described.labels.get(pdf.name, (outcome.name, None)))
                                                        for pdf in ordered(pdfs)) if o]
            built = {o["variant"] for o in outputs}
            # Kept from the last good build, and said so: the page tells new pages from old ones.
            outputs += [{**o, "fresh": False} for o in previous.outputs
                        if o["variant"] not in built] if outcome.problems else []
            # Checked only when built: a build with no findings left clears the old ones.
            view = FileView(outcome.name, [error_view(p) for p in outcome.problems], outputs,
                            [finding_view(f, variant) for f, variant in findings] if outcome.results else previous.findings,
                            described.title or previous.title, described.lang or previous.lang,
                            places=described.places or previous.places, path=described.path or previous.path)
            views[outcome.name] = view
        link_translations(views)
        allowed = {item for view in views.values() for output in view.outputs
                   for item in [output["pdf"], *(proof["src"] for proof in output["proofs"])]}
        failed = sum(bool(view.errors) for view in views.values())
        with self.lock:
            self.views, self.allowed = views, allowed
            self.status = f"built at {time.strftime('%H:%M:%S')}" + (
                f"; {failed} file{'s' * (failed != 1)} with mistakes" if failed else "")
            self.version += 1

    def failed(self, status: str) -> None:
        """Say on the page that it could not follow the last save; the pages stay as they were."""
        with self.lock:
            self.status = status
            self.version += 1

    def _output(self, pdf: Path, label: tuple[str, str | None]) -> dict[str, Any] | None:
        pdf = pdf.resolve()
        if self._relative(pdf) is None:
            print(f"preview: {pdf} is outside {self.out_dir}; not shown", file=sys.stderr)
            return None
        # The proofs of the PDF on disk now: reused only when drawn from these very bytes (its
        # sha256, recorded beside them) at this --dpi with guides, else drawn again. Proofs left
        # by `proof`, an older PDF or another session are never trusted by name or date.
        drawn = current_proofs(pdf, self.out_dir, self.dpi)
        digests = proof_digests(pdf, self.out_dir)
        proofs = [p for p in drawn if self._relative(p) is not None]
        kind = kind_of(pdf.stem)
        captions = ["outside", "inside"] if kind.sheet and len(proofs) == 2 else []
        group, variant = label
        title = f"{kind.name.capitalize()} PDF: {pdf.name}"
        return {"kind": kind.name, "pdf": self._relative(pdf), "group": group, "variant": variant, "title": title,
                "proofs": [{"src": self._relative(p), "stamp": digests.get(p.name, "")[:16],
                            "caption": captions[i] if captions else f"page {i + 1}",
                            "alt": f"{group}, {title}, {captions[i] if captions else f'page {i + 1}'}"}
                           for i, p in enumerate(proofs)]}

    def _relative(self, path: Path) -> str | None:
        """``path`` as a name under out/, or None when it leads outside (a symlink)."""
        resolved = path.resolve()
        return resolved.relative_to(self.out_dir).as_posix() if resolved.is_relative_to(self.out_dir) else None

    def read(self, name: str) -> bytes | None:
        """The bytes of ``/files/<name>``, or None: only this build's files, only inside out/.

        The name must be one the page links to (no ``..``, no absolute path; the server has
        already decoded ``%2e%2e``). The file is then opened one folder at a time below out/
        with ``O_NOFOLLOW``: a symlink anywhere below out/ (to ``~/.ssh``, say) is refused, and
        a folder swapped for a link between a check and the open cannot redirect it.
        """
        parts = name.split("/")
        if any(part in ("", ".", "..") or "\\" in part or "\0" in part for part in parts):
            return None
        with self.lock:
            if name not in self.allowed:
                return None
        try:
            fd = _open_below(self.out_dir, parts)
        except OSError:
            return None
        with os.fdopen(fd, "rb") as file:
            if not stat.S_ISREG(os.fstat(file.fileno()).st_mode):
                return None
            return file.read()


def _open_below(root: Path, parts: list[str]) -> int:
    """Open ``root/parts...`` for reading without following a symlink at any step."""
    folder = os.open(root, os.O_RDONLY | os.O_DIRECTORY)
    try:
        for part in parts[:-1]:
            inner = os.open(part, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW, dir_fd=folder)
            os.close(folder)
            folder = inner
        return os.open(parts[-1], os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK, dir_fd=folder)
    finally:
        os.close(folder)


def app(preview: Preview) -> Any:
    """The Starlette application: the page, its event stream and the build's files."""
    from starlette.applications import Starlette
    from starlette.concurrency import run_in_threadpool
    from starlette.middleware import Middleware
    from starlette.middleware.trustedhost import TrustedHostMiddleware
    from starlette.requests import Request
    from starlette.responses import HTMLResponse, PlainTextResponse, Response, StreamingResponse
    from starlette.routing import Route

    env = jinja2.Environment(loader=jinja2.FileSystemLoader(UI), autoescape=True, undefined=jinja2.StrictUndefined)
    template = env.get_template("preview.html")

    async def index(request: Request) -> Response:
        with preview.lock:  # the handout, language and location asked for in the address; the first of each else
            choice = choose(preview.views, request.query_params)
            version, status = preview.version, preview.status
        editor = await run_in_threadpool(editor_view, preview.editor, choice, request.query_params.get("rows"))
        html = template.render(choice=choice, files=list(preview.views.values()), version=version, status=status,
                               editor=editor, token=preview.editor.token)
        return HTMLResponse(html, headers={"Cache-Control": "no-store"})

    async def events(request: Request) -> Response:
        async def stream() -> AsyncIterator[str]:
            seen, quiet = -1, 0.0
            # Ends when the server stops (Ctrl-C), so stopping waits for no open stream.
            while not preview.closing.is_set() and not await request.is_disconnected():
                if preview.version != seen:
                    seen, quiet = preview.version, 0.0
                    yield f"data: {seen}\n\n"
                elif quiet > 15:
                    quiet = 0.0
                    yield ": still here\n\n"  # keeps proxies and browsers from timing out
                await asyncio.sleep(0.1)
                quiet += 0.1

        return StreamingResponse(stream(), media_type="text/event-stream", headers={"Cache-Control": "no-store"})

    async def files(request: Request) -> Response:
        name = request.path_params["name"]
        data = await run_in_threadpool(preview.read, name)
        if data is None:  # only this build's files, only inside out/; no listing
            return PlainTextResponse("Not found", status_code=404)
        media_type = mimetypes.guess_type(name)[0] or "application/octet-stream"
        return Response(data, media_type=media_type,
                        headers={"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"})

    def views() -> dict[str, FileView]:
        with preview.lock:
            return dict(preview.views)

    routes = [Route("/", index), Route("/events", events), Route("/files/{name:path}", files),
              *editor_routes(preview.editor, views)]
    # Only requests addressed to this computer: a web page elsewhere cannot reach the preview
    # through a DNS name that points here (DNS rebinding).
    hosts = [Middleware(TrustedHostMiddleware, allowed_hosts=[HOST, "localhost"])]
    return Starlette(routes=routes, middleware=hosts)


def listen(port: int) -> socket.socket:
    """A socket bound to 127.0.0.1:``port`` and listening: the port is ours before we say so."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # not another's: only TIME_WAIT
        sock.bind((HOST, port))
        sock.listen(128)
    except BaseException:
        sock.close()
        raise
    return sock


def cannot_listen(port: int, error: OSError) -> str:
    """The one line said when the port cannot be had."""
    if error.errno == errno.EADDRINUSE:
        reason = "the port is in use"
    elif error.errno == errno.EACCES:
        reason = "this user may not use that port"
    else:
        reason = error.strerror or str(error)
    return f"cannot serve on {HOST}:{port}: {reason}; try --port {_free_port_after(port)}"


def _free_port_after(port: int) -> int:
    """The next port that is free now (a hint, not a promise), else the next one."""
    for candidate in range(port + 1, min(port + 20, 65535) + 1):
        try:
            listen(candidate).close()
            return candidate
        except OSError:
            continue
    return port + 1 if port < 65535 else 8000


def make_server(preview: Preview, head_timeout: float = HEAD_TIMEOUT) -> uvicorn.Server:
    """uvicorn for the preview: loopback only, idle and half-sent connections dropped, a cap
    on connections, and a stop that first ends the event streams."""
    import uvicorn
    from uvicorn.protocols.http.h11_impl import H11Protocol

    class Protocol(H11Protocol):
        """h11 with a deadline for each request's head, counted from the connection or the
        last response and not reset by each byte: a client that connects and sends nothing,
        or half a request line, and stalls, is dropped. (uvicorn's keep-alive timer is reset
        by any data, and not started until a first response.)"""

        deadline: asyncio.TimerHandle | None = None

        def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
            super().connection_made(transport)
            self._arm()

        def data_received(self, data: bytes) -> None:
            super().data_received(data)
            if self._in_request():
                self._disarm()

        def on_response_complete(self) -> None:
            super().on_response_complete()
            if not self._in_request():
                self._arm()

        def connection_lost(self, exc: Exception | None) -> None:
            self._disarm()
            super().connection_lost(exc)

        def _in_request(self) -> bool:
            return self.cycle is not None and not self.cycle.response_complete

        def _arm(self) -> None:
            self._disarm()
            self.deadline = self.loop.call_later(head_timeout, self._expire)

        def _disarm(self) -> None:
            if self.deadline is not None:
                self.deadline.cancel()
                self.deadline = None

        def _expire(self) -> None:
            self.deadline = None
            if not self._in_request() and not self.transport.is_closing():
                self.transport.close()

    class Server(uvicorn.Server):
        async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
            preview.closing.set()  # open event streams end, so no request is left to cancel
            await super().shutdown(sockets)

    config = uvicorn.Config(app(preview), host=HOST, log_level="warning", http=Protocol, lifespan="off",
                            timeout_keep_alive=KEEP_ALIVE, limit_concurrency=MAX_CONNECTIONS,
                            timeout_graceful_shutdown=1)
    return Server(config)


@contextmanager
def _quiet_cancellations(server: uvicorn.Server) -> Iterator[None]:
    """While stopping, a request cut off at the grace period is not a bug: no traceback for it."""

    def keep(record: logging.LogRecord) -> bool:
        cancelled = record.exc_info is not None and isinstance(record.exc_info[1], asyncio.CancelledError)
        return not (server.should_exit and cancelled)

    logger = logging.getLogger("uvicorn.error")
    logger.addFilter(keep)
    try:
        yield
    finally:
        logger.removeFilter(keep)


def serve(files: list[tuple[Path, str]], settings: Settings,
          on_outcomes: Callable[[list[Outcome]], None] | None = None, discover: Discover | None = None) -> None:
    """Build, start the preview server on 127.0.0.1, rebuild on every save; Ctrl-C stops.

    The port is bound first: taken by another program, that is one line and exit status 1,
    before any build and before any address is printed. ``discover`` gives a project's
    handouts as they are now (see ``watch.rebuilds``). Every build is checked, up-to-date
    files too: the preview shows the findings.
    """
    out_dir, port = settings.out_dir, settings.port
    try:
        sock = listen(port)
    except OSError as error:
        print(cannot_listen(port, error), file=sys.stderr, flush=True)
        raise SystemExit(1) from None
    preview = Preview(out_dir, settings.dpi)
    preview.editor.sources = {name: path for path, name in files}
    stop = threading.Event()
    watcher: threading.Thread | None = None

    def take(outcomes: list[Outcome]) -> None:
        try:
            preview.update(outcomes)
        except Exception:  # a bug: reported, and said on the page, which must not go on looking current
            traceback.print_exc()
            preview.failed("the preview could not show the last build (see the terminal); these pages are older")
        if on_outcomes:
            on_outcomes(outcomes)

    try:
        builds = rebuilds(files, replace(settings, force=False, check=True, skip_fresh_files=False), stop, discover)
        take(next(builds))  # the first build, before anyone looks

        def watch() -> None:
            for outcomes in builds:
                take(outcomes)

        watcher = threading.Thread(target=watch, name="brochure-watch", daemon=True)
        watcher.start()
        server = make_server(preview)
        print(f"Preview at http://{HOST}:{sock.getsockname()[1]}/  (Ctrl-C stops)", flush=True)
        with _quiet_cancellations(server):
            server.run(sockets=[sock])
    except KeyboardInterrupt:
        pass  # uvicorn shuts down on Ctrl-C, then raises it again: stopping is not an error
    finally:
        sock.close()
        stop.set()
        if watcher:
            with suppress(KeyboardInterrupt):  # a second Ctrl-C: stop now
                watcher.join(timeout=5)

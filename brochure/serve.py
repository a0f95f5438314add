"""Serve: a live preview in the browser, the pages beside the text, rebuilt on every save.

The page is plain HTML with ``<img>`` proofs (readable without JavaScript); a small
script listens to server-sent events and swaps in the new page after each build. The
server answers on 127.0.0.1 only and serves the page, its event stream and the PDFs and
proofs of the current build: any other path, a folder, or a traversal attempt is a 404.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jinja2

from .proof import DEFAULT_DPI, existing_proofs, render_proofs
from .runner import Outcome
from .watch import rebuilds

UI = Path(__file__).resolve().parent / "ui"
HOST = "127.0.0.1"


@dataclass
class FileView:
    """What the page shows for one content file: its mistakes, its pages, its findings."""

    name: str
    errors: list[dict[str, Any]] = field(default_factory=list)
    outputs: list[dict[str, Any]] = field(default_factory=list)
    findings: list[dict[str, Any]] = field(default_factory=list)


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

    def update(self, outcomes: list[Outcome]) -> None:
        """Take a batch's outcomes: new proofs for new PDFs, errors over the last good pages."""
        views = {}
        for outcome in outcomes:
            previous = self.views.get(outcome.name, FileView(outcome.name))
            if outcome.problems:
                view = FileView(outcome.name, [_error(p) for p in outcome.problems], previous.outputs,
                                previous.findings)
            else:
                written = {p for result in outcome.results for p in result.written}
                pdfs = [p for result in outcome.results for p in result.pdfs] or outcome.up_to_date
                findings = sorted(dict.fromkeys(f for result in outcome.results for f in result.findings),
                                  key=_importance)
                view = FileView(outcome.name, [], [self._output(pdf, pdf in written) for pdf in _ordered(pdfs)],
                                [_finding(f) for f in findings] or previous.findings)
            views[outcome.name] = view
        allowed = {item for view in views.values() for output in view.outputs
                   for item in [output["pdf"], *(proof["src"] for proof in output["proofs"])]}
        failed = sum(bool(view.errors) for view in views.values())
        with self.lock:
            self.views, self.allowed = views, allowed
            self.status = f"built at {time.strftime('%H:%M:%S')}" + (
                f"; {failed} file{'s' * (failed != 1)} with mistakes" if failed else "")
            self.version += 1

    def _output(self, pdf: Path, rebuilt: bool) -> dict[str, Any]:
        pdf = pdf.resolve()
        existing = existing_proofs(pdf, self.out_dir)
        proofs = render_proofs(pdf, self.out_dir, self.dpi) if rebuilt or not existing else existing
        kind = "print" if pdf.stem.endswith("-print") else "email"
        captions = ["outside", "inside"] if kind == "print" and len(proofs) == 2 else []
        return {"kind": kind, "pdf": self._relative(pdf),
                "title": f"{'Print' if kind == 'print' else 'Email'} PDF: {pdf.name}",
                "proofs": [{"src": self._relative(p), "stamp": int(p.stat().st_mtime_ns),
                            "caption": captions[i] if captions else f"page {i + 1}"} for i, p in enumerate(proofs)]}

    def _relative(self, path: Path) -> str:
        return path.resolve().relative_to(self.out_dir).as_posix()


def _ordered(pdfs: list[Path]) -> list[Path]:
    return sorted(pdfs, key=lambda p: (p.name.rsplit("-", 1)[0], not p.stem.endswith("-print")))


def _importance(finding: Any) -> tuple[bool, int, int]:
    """Warnings before notes, then in the report's order of kinds, then by line."""
    from .checks.findings import KINDS

    return (finding.severity != "warning", list(KINDS).index(finding.kind), finding.line or 0)


def _error(problem: Any) -> dict[str, Any]:
    return {"line": problem.line, "key": problem.key, "message": problem.message}


def _finding(finding: Any) -> dict[str, Any]:
    from .checks.findings import KINDS

    return {"title": KINDS.get(finding.kind, finding.kind), "line": finding.line, "message": finding.message}


def app(preview: Preview) -> Any:
    """The Starlette application: the page, its event stream and the build's files."""
    from starlette.applications import Starlette
    from starlette.middleware import Middleware
    from starlette.middleware.trustedhost import TrustedHostMiddleware
    from starlette.requests import Request
    from starlette.responses import FileResponse, HTMLResponse, PlainTextResponse, Response, StreamingResponse
    from starlette.routing import Route

    env = jinja2.Environment(loader=jinja2.FileSystemLoader(UI), autoescape=True, undefined=jinja2.StrictUndefined)
    template = env.get_template("preview.html")

    async def index(request: Request) -> Response:
        with preview.lock:
            html = template.render(files=list(preview.views.values()), version=preview.version, status=preview.status)
        return HTMLResponse(html, headers={"Cache-Control": "no-store"})

    async def events(request: Request) -> Response:
        async def stream() -> AsyncIterator[str]:
            seen, quiet = -1, 0.0
            while not await request.is_disconnected():
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
        with preview.lock:
            allowed = name in preview.allowed
        if not allowed or not (preview.out_dir / name).is_file():  # only this build's files; no listing
            return PlainTextResponse("Not found", status_code=404)
        return FileResponse(preview.out_dir / name, headers={"Cache-Control": "no-store"})

    routes = [Route("/", index), Route("/events", events), Route("/files/{name:path}", files)]
    # Only requests addressed to this computer: a web page elsewhere cannot reach the preview
    # through a DNS name that points here (DNS rebinding).
    hosts = [Middleware(TrustedHostMiddleware, allowed_hosts=[HOST, "localhost"])]
    return Starlette(routes=routes, middleware=hosts)


def serve(files: list[tuple[Path, str]], out_dir: Path, port: int, dpi: int = DEFAULT_DPI,
          on_outcomes: Callable[[list[Outcome]], None] | None = None) -> None:
    """Build, start the preview server on 127.0.0.1, rebuild on every save; Ctrl-C stops."""
    import uvicorn

    preview = Preview(out_dir, dpi)
    stop = threading.Event()
    builds = rebuilds(files, out_dir, stop=stop, check=True, skip_fresh_files=False)

    def take(outcomes: list[Outcome]) -> None:
        preview.update(outcomes)
        if on_outcomes:
            on_outcomes(outcomes)

    take(next(builds))  # the first build, before anyone looks

    def watch() -> None:
        for outcomes in builds:
            take(outcomes)

    watcher = threading.Thread(target=watch, name="brochure-watch", daemon=True)
    watcher.start()
    config = uvicorn.Config(app(preview), host=HOST, port=port, log_level="warning",
                            timeout_graceful_shutdown=1, lifespan="off")
    print(f"Preview at http://{HOST}:{port}/  (Ctrl-C stops)", flush=True)
    try:
        uvicorn.Server(config).run()
    except KeyboardInterrupt:
        pass  # uvicorn shuts down on Ctrl-C, then raises it again: stopping is not an error
    finally:
        stop.set()
        watcher.join(timeout=5)

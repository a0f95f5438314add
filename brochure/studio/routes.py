"""Routes: the editor's requests to the preview server (save, restore), and what its form shows.

Safe by construction: a request that writes is a POST of JSON that carries the session's
token (in the page, which only the page's own origin can read) and comes from the page's
own origin (``Origin`` is this server's address, the same as ``Host``); anything else is
403 and changes nothing. The file written is the handout the page names, looked up among
the files being served; no path is ever taken from a request (see ``store``).
"""

from __future__ import annotations

import hmac
import json
import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..manifest import bytes_hash
from .form import FIELDS, GROUPS, NOTED, SECTION_FIELDS, SECTIONS, FormError, apply_form, checked, field_id, field_of, read_form
from .locations import TableView, restore_table, row_problems, save_table, table_view
from .review import Review, mark_translated, review_of
from .store import KEEP, Entry, Store, StoreError

if TYPE_CHECKING:
    from starlette.requests import Request
    from starlette.responses import Response

    from ..picker import Choice, FileView

MAX_REQUEST = 4_000_000  # bytes of one save: the form of a long handout is some tens of kB
TOKEN_HEADER = "x-brochure-token"


@dataclass
class Editor:
    """The editor's state: the session's token and the files it may write."""

    token: str = field(default_factory=lambda: secrets.token_urlsafe(32))
    sources: dict[str, Path] = field(default_factory=dict)  # the served files, by the name the picker shows
    # One save at a time: two tabs saving at once must not both pass the check of what is on disk.
    saving: threading.Lock = field(default_factory=threading.Lock)

    def path_of(self, view: FileView) -> Path:
        """The content file of a view: as served, else as built, else its name."""
        return self.sources.get(view.name) or view.path or Path(view.name)

    def store(self, path: Path) -> Store:
        from ..discover import content_root

        return Store(content_root(path))


@dataclass
class EditorView:
    """What the page's form shows for the chosen handout."""

    handout: str = ""  # the view's name: what a save sends back
    file: str = ""
    digest: str = ""
    values: dict[str, Any] = field(default_factory=dict)
    unreadable: str = ""  # why the file cannot be shown as a form
    errors: dict[str, list[str]] = field(default_factory=dict)  # field key -> the build's messages
    notes: dict[str, list[str]] = field(default_factory=dict)  # field key (of NOTED) -> the checks' notes
    noted: tuple[str, ...] = NOTED
    other_errors: list[str] = field(default_factory=list)
    history: list[Entry] = field(default_factory=list)
    fields: list[Any] = field(default_factory=lambda: FIELDS)
    groups: tuple[str, ...] = GROUPS  # the fieldsets, in order; SECTIONS is where the sections go
    sections_group: str = SECTIONS
    inherited: dict[str, str] = field(default_factory=dict)  # field key -> what a blank field takes, and from where
    keep: int = KEEP
    table: TableView | None = None  # the locations CSV's rows, when the handout has one
    review: Review | None = None  # a translation: what changed in its source since it was translated

    def id(self, key: str) -> str:
        return field_id(key)


def editor_view(editor: Editor, choice: Choice, rows: str | None = None) -> EditorView | None:
    """The form of the handout the picker chose (its chosen language's file), with the last
    build's mistakes at their fields; and its locations CSV's rows from ``rows`` on."""
    view = choice.view
    if view is None:
        return None
    path = editor.path_of(view)
    store = editor.store(path)
    shown = EditorView(view.name, view.name)
    try:
        data = store.read(path)
        shown.digest = bytes_hash(data)
        shown.values = read_form(data.decode("utf-8"))
    except (StoreError, FormError) as error:
        shown.unreadable = str(error)
    except UnicodeDecodeError:
        shown.unreadable = "the file is not UTF-8 text; save it as UTF-8 in a text editor, or restore a saved version"
    errors = [e for e in view.errors if e["file"] == view.name]
    shown.other_errors = [_said(e) for e in view.errors if e["file"] != view.name]
    placed = place_errors(errors, len(shown.values.get("sections", [])))
    shown.errors, shown.other_errors = placed[0], shown.other_errors + placed[1]
    shown.history = store.history(path)
    for finding in choice.findings:  # the chosen location's, as the build found them
        if finding["file"] == view.name and finding.get("key") in NOTED:
            line = f"line {finding['line']}: " if finding["line"] else ""
            shown.notes.setdefault(finding["key"], []).append(f"{line}{finding['key']}: {finding['message']}")
    if shown.values:
        shown.inherited = inherited(path, view.name, shown.values)
        shown.table = table_view(store, path, view.name, choice, rows)
        shown.review = review_of(path, len(shown.values["sections"]))
    return shown


def inherited(path: Path, name: str, values: dict[str, Any]) -> dict[str, str]:
    """What each blank field of a project's handout or a translation takes from elsewhere, said
    beside it: "Left blank: the project gives (816) 555-0199"."""
    from ..content.load import combined
    from ..content.translations import source_of
    from ..errors import ContentError

    try:
        translated_source, source, _ = combined(path, name)
    except (ContentError, OSError):
        return {}
    translated = translated_source.data
    said = {}
    for each in FIELDS:
        if values.get(each.key):
            continue
        value = _text(source.data, each.key)
        if not value:
            continue
        origin = "the handout it translates" if _text(translated, each.key) and source_of(path) else "the project"
        said[each.key] = f"Left blank here: {origin} gives \u201c{value}\u201d."
    return said


def _text(data: Any, key: str) -> str:
    for part in key.split("."):
        data = data.get(part) if isinstance(data, dict) else None
    return str(data).strip() if isinstance(data, (str, int, float, date)) and not isinstance(data, bool) else ""


def _said(error: dict[str, Any]) -> str:
    from ..errors import located

    return located(error["file"], error["line"], error["key"], error["message"])


def place_errors(errors: list[dict[str, Any]], sections: int) -> tuple[dict[str, list[str]], list[str]]:
    """The build's messages by the field they are about; those of no field, in full."""
    placed: dict[str, list[str]] = {}
    other = []
    for error in errors:
        key = field_of(error["key"] or "", sections)
        if key is None:
            other.append(_said(error))
        else:
            line = f"line {error['line']}: " if error["line"] else ""
            placed.setdefault(key, []).append(f"{line}{error['key']}: {error['message']}")
    return placed, other


def _refused(request: Request, editor: Editor) -> str | None:
    """Why a write request is refused, or None: the token, the origin and the kind of body."""
    token = request.headers.get(TOKEN_HEADER, "")
    if not hmac.compare_digest(token.encode(), editor.token.encode()):
        return "no valid token: reload the page"
    host = request.headers.get("host", "")
    origin = request.headers.get("origin", "")
    if not host or origin != f"http://{host}":
        return "the request does not come from this page"
    if request.headers.get("sec-fetch-site", "same-origin") not in ("same-origin", "none"):
        return "the request does not come from this page"
    if request.headers.get("content-type", "").split(";")[0].strip() != "application/json":
        return "the request is not JSON"
    return None


async def _body(request: Request) -> dict[str, Any]:
    data = b""
    async for chunk in request.stream():
        data += chunk
        if len(data) > MAX_REQUEST:
            raise FormError("the request is too large")
    try:
        body = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise FormError("the request is not JSON") from None
    if not isinstance(body, dict):
        raise FormError("the request is not a set of fields")
    return body


def routes(editor: Editor, views: Any) -> list[Any]:
    """The editor's routes; ``views()`` gives the preview's views (under its lock)."""
    from starlette.concurrency import run_in_threadpool
    from starlette.responses import JSONResponse
    from starlette.routing import Route

    def lookup(name: Any) -> tuple[str, Path, Store]:
        current = views()
        if not isinstance(name, str) or name not in current:
            raise StoreError("no such handout is being edited; reload the page")
        path = editor.path_of(current[name])
        return name, path, editor.store(path)

    def write(name: str, path: Path, store: Store, base: Any, new: bytes | None, make: Any,
              note: str) -> dict[str, Any]:
        """Save ``new`` (or ``make(current)``) over ``path`` if it is still ``base``; else keep ours
        in the history and hand back both versions."""
        with editor.saving:
            return _write(name, path, store, base, new, make, note)

    def _write(name: str, path: Path, store: Store, base: Any, new: bytes | None, make: Any,
               note: str) -> dict[str, Any]:
        current = store.read(path)
        text = current.decode("utf-8", errors="replace")
        if new is None:
            new = make(text).encode("utf-8")
        if not isinstance(base, str) or not hmac.compare_digest(base, bytes_hash(current)):
            store.keep(path, new, "unsaved")  # lose neither: ours is kept, the file is left as it is
            return {"status": "conflict", "disk": text, "disk_digest": bytes_hash(current),
                    "mine": new.decode("utf-8", errors="replace"),
                    "message": f"{path.name} was changed on disk since this form was loaded"}
        if new == current:
            return {"status": "unchanged", "digest": bytes_hash(current), "problems": _problems(path, name, text)}
        store.keep(path, current, "before")
        store.write(path, new)
        store.keep(path, new, note)
        return {"status": "saved", "digest": bytes_hash(new), "problems": _problems(path, name, new.decode("utf-8", "replace"))}

    async def handle(request: Request, work: Any) -> Response:
        why = _refused(request, editor)
        if why:
            return JSONResponse({"status": "refused", "message": why}, status_code=403)
        try:
            body = await _body(request)
            result = await run_in_threadpool(work, body)
        except (FormError, StoreError) as error:
            return JSONResponse({"status": "error", "message": str(error)}, status_code=400)
        status = {"conflict": 409, "conflict-source": 409, "invalid": 422}.get(result["status"], 200)
        return JSONResponse(result, status_code=status, headers={"Cache-Control": "no-store"})

    def save(body: dict[str, Any]) -> dict[str, Any]:
        name, path, store = lookup(body.get("handout"))
        form = checked(body.get("fields"))
        shown = checked(body["shown"]) if body.get("shown") is not None else None
        return write(name, path, store, body.get("base"), None, lambda text: apply_form(text, form, shown), "saved")

    def restore(body: dict[str, Any]) -> dict[str, Any]:
        name, path, store = lookup(body.get("handout"))
        kept = store.kept(path, str(body.get("entry", "")))
        return write(name, path, store, body.get("base"), kept, None, "restored")

    def save_locations(body: dict[str, Any], work: Callable[..., dict[str, Any]] = save_table) -> dict[str, Any]:
        name, path, store = lookup(body.get("handout"))
        with editor.saving:  # one save at a time, the form's and the table's alike
            result = work(body, path, name, store)
        if "csv" in result:  # checked as the build reads it; a long table costs seconds, no other save waits
            result["problems"] = row_problems(path, name, result.pop("csv"))
        return result

    def translated(body: dict[str, Any]) -> dict[str, Any]:
        _, path, store = lookup(body.get("handout"))
        with editor.saving:
            return mark_translated(body, path, store)

    async def translated_route(request: Request) -> Response:
        return await handle(request, translated)

    async def save_route(request: Request) -> Response:
        return await handle(request, save)

    async def table_route(request: Request) -> Response:
        return await handle(request, save_locations)

    async def table_restore_route(request: Request) -> Response:
        return await handle(request, lambda body: save_locations(body, restore_table))

    async def restore_route(request: Request) -> Response:
        return await handle(request, restore)

    return [Route("/edit/save", save_route, methods=["POST"]), Route("/edit/restore", restore_route, methods=["POST"]),
            Route("/edit/table", table_route, methods=["POST"]),
            Route("/edit/table/restore", table_restore_route, methods=["POST"]),
            Route("/edit/translated", translated_route, methods=["POST"])]


def _problems(path: Path, name: str, text: str) -> dict[str, Any]:
    """The mistakes of the saved file, in the build's words, by field: shown at once, before
    the rebuild's pages arrive."""
    from ..content import load
    from ..errors import ContentError

    try:
        load(path, name)
    except ContentError as error:
        try:
            sections = len(read_form(text)["sections"])
        except FormError:
            sections = 0
        placed, other = place_errors([{"file": p.file, "line": p.line, "key": p.key, "message": p.message}
                                      for p in error.problems if p.file == name], sections)
        other += [str(p) for p in error.problems if p.file != name]
        return {"fields": {field_id(key): messages for key, messages in placed.items()}, "other": other}
    except Exception as error:  # a bug in the checks must not lose the save, which is done
        return {"fields": {}, "other": [f"the saved file could not be checked: {error}"]}
    return {"fields": {}, "other": []}


__all__ = ["SECTION_FIELDS", "Editor", "EditorView", "editor_view", "place_errors", "routes"]

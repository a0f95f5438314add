"""Locations: the table of a handout's locations CSV beside its form, and its save.

The CSV is the one the build reads for the chosen handout (its ``variants:``, or its
project's ``locations:``), found the build's way and only inside the project. A save is
like the form's: refused unless the file is still what the page was shown (else both
versions, and ours kept in the history), atomic, kept in the history, and answered with the
build's own one-line messages for each row (a missing or repeated id, a phone that is no
phone), so they show next to the row before the pages are rebuilt.
"""

from __future__ import annotations

import hmac
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from ..manifest import bytes_hash
from .store import Entry, Store, StoreError
from .table import PAGE, NotKept, Table, apply, checked, parse, refused

if TYPE_CHECKING:
    from ..errors import Problem
    from ..picker import Choice


@dataclass
class TableView:
    """What the page shows of a locations CSV: a window of its rows and their mistakes."""

    file: str  # as the content file names it: locations.csv
    digest: str = ""
    columns: list[str] = field(default_factory=list)
    rows: list[tuple[int, list[str]]] = field(default_factory=list)  # (spreadsheet row, cells) in the window
    total: int = 0
    start: int = 0  # index of the window's first row among all rows
    unreadable: str = ""
    errors: dict[int, list[str]] = field(default_factory=dict)  # spreadsheet row -> the build's lines
    other: list[str] = field(default_factory=list)  # the file's as a whole
    elsewhere: list[tuple[int, str, str]] = field(default_factory=list)  # row, its lines, the address of its window
    previous: str = ""  # the addresses of the windows before and after
    next: str = ""
    page: int = PAGE
    history: list[Entry] = field(default_factory=list)  # the CSV's kept versions, newest first

    def lines(self, cell: str) -> int:
        return min(max(cell.count("\n") + 1, 1), 6)


def csv_of(path: Path, name: str) -> tuple[str, Path] | None:
    """The locations CSV the build reads for this content file: its name as written and its
    path inside the project, or None (no CSV, or one the build refuses: it says why)."""
    from ..content.load import combined
    from ..content.named import local_file
    from ..errors import ContentError

    try:
        _, source, root = combined(path, name)
    except (ContentError, OSError):
        return None
    value = source.data.get("variants")
    if not isinstance(value, str):
        return None
    try:
        return value, root / local_file(value, root, {".csv"}, "a CSV file")
    except (ValueError, OSError):
        return None


def placed(problems: list[Problem], csv_name: str) -> tuple[dict[int, list[str]], list[str]]:
    """The CSV's messages in the build's words: by row, and those of the whole file."""
    from ..errors import located

    rows: dict[int, list[str]] = {}
    other: list[str] = []
    for problem in problems:
        if problem.file != csv_name:
            continue
        line = located(problem.file, problem.line, problem.key, problem.message)
        if problem.line and problem.line > 1:
            rows.setdefault(problem.line, []).append(line)
        else:
            other.append(line)
    return rows, other


def table_view(store: Store, path: Path, name: str, choice: Choice, start: str | None) -> TableView | None:
    """The window of the CSV's rows the address asks for (``rows=200``: from the 201st row),
    with the last build's messages at their rows."""
    from ..errors import Problem

    found = csv_of(path, name)
    if found is None:
        return None
    csv_name, csv_path = found
    shown = TableView(csv_name)
    shown.history = store.history(csv_path)
    try:
        data = store.read(csv_path)
        table = parse(data)
    except (StoreError, NotKept) as error:
        shown.unreadable = f"{csv_name} cannot be shown as a table: {error}"
        return shown
    shown.digest = bytes_hash(data)
    shown.columns = table.columns
    rows = table.rows()
    shown.total = len(rows)
    first = int(start) if start and re.fullmatch(r"[0-9]{1,9}", start) and int(start) < len(rows) else 0
    shown.start = first - first % PAGE
    shown.rows = rows[shown.start:shown.start + PAGE]
    view = choice.view
    problems = [Problem(e["file"], e["line"], e["key"] or "", e["message"]) for e in view.errors] if view else []
    shown.errors, shown.other = placed(problems, csv_name)
    index = {number: i for i, (number, _) in enumerate(rows)}

    def address(at: int) -> str:
        query = {"handout": choice.handout, "lang": choice.lang, "location": choice.location, "rows": str(at)}
        return "/?" + urlencode({k: v for k, v in query.items() if v}) + "#locations"

    window = {number for number, _ in shown.rows}
    shown.elsewhere = [(number, " ".join(lines), address(index.get(number, 0))) for number, lines in
                       sorted(shown.errors.items()) if number not in window]
    shown.previous = address(shown.start - PAGE) if shown.start else ""
    shown.next = address(shown.start + PAGE) if shown.start + PAGE < len(rows) else ""
    return shown


def row_problems(path: Path, name: str, csv_name: str) -> dict[str, Any]:
    """The build's messages for the saved CSV, read as the build reads it for this handout."""
    from ..content.load import combined, validate
    from ..content.variants import expand
    from ..errors import ContentError

    try:
        _, source, root = combined(path, name)
        brochure = validate(source, root)
        problems = [p for found in expand(brochure, source, root)[1].values() for p in found]
    except ContentError as error:
        problems = error.problems
        if not any(p.file == csv_name for p in problems):
            return {"rows": {}, "other": [f"{name} has mistakes of its own (see the form); the rows are checked "
                                          "once they are fixed"]}
    except Exception as error:  # a bug in the checks must not lose the save, which is done
        return {"rows": {}, "other": [f"the saved file could not be checked: {error}"]}
    rows, other = placed(problems, csv_name)
    return {"rows": {str(number): lines for number, lines in rows.items()}, "other": other}


def save_table(body: dict[str, Any], path: Path, name: str, store: Store) -> dict[str, Any]:
    """Apply the page's edits to the CSV as it is on disk; written only if it is still the
    version the page showed (``base``), else both versions are handed back. The rows are
    checked by the caller (``row_problems``), after the save, outside its lock."""
    found = csv_of(path, name)
    if found is None:
        raise StoreError(f"{name} has no locations CSV the build can read; reload the page")
    csv_name, csv_path = found
    current = store.read(csv_path)
    try:
        table = parse(current)
    except NotKept as error:
        raise StoreError(f"{csv_name}: {error}") from None
    if not table.columns:  # nothing to name a row's cells by (an empty file): no row can be added
        raise StoreError(f"{csv_name} has no column names in its first row; write them there (id, clinic.phone, ...) "
                         "in a spreadsheet first")
    edits = checked(body, len(table.columns))
    bad = refused(table, edits)
    if bad:  # said as the build says a row's mistake: the file, the row, the column
        bad = {where: [f"{csv_name}:{where}: {m}" if where.isdigit() else f"{csv_name}, {where.replace('new', 'new row')}: {m}"
                       for m in messages] for where, messages in bad.items()}
        return {"status": "invalid", "rows": bad,
                "message": f"{sum(map(len, bad.values()))} cell(s) cannot be written; nothing was saved"}
    new: Table = apply(table, edits)
    data = new.text().encode("utf-8")
    base = body.get("base")
    if not isinstance(base, str) or not hmac.compare_digest(base, bytes_hash(current)):
        store.keep(csv_path, data, "unsaved")  # lose neither: ours is kept, the file is left as it is
        return {"status": "conflict", "disk": current.decode("utf-8", "replace"), "disk_digest": bytes_hash(current),
                "mine": data.decode("utf-8"), "message": f"{csv_name} was changed on disk since this table was loaded"}
    if data == current:
        return {"status": "unchanged", "digest": bytes_hash(current), "csv": csv_name}
    store.keep(csv_path, current, "before")
    store.write(csv_path, data)
    store.keep(csv_path, data, "saved")
    return {"status": "saved", "digest": bytes_hash(data), "rows_changed": new.changed, "csv": csv_name}


def restore_table(body: dict[str, Any], path: Path, name: str, store: Store) -> dict[str, Any]:
    """Put a kept version of the CSV back, if the file is still the version the page showed."""
    found = csv_of(path, name)
    if found is None:
        raise StoreError(f"{name} has no locations CSV the build can read; reload the page")
    csv_name, csv_path = found
    kept = store.kept(csv_path, str(body.get("entry", "")))
    current = store.read(csv_path)
    base = body.get("base")
    if not isinstance(base, str) or not hmac.compare_digest(base, bytes_hash(current)):
        return {"status": "conflict", "disk": current.decode("utf-8", "replace"), "disk_digest": bytes_hash(current),
                "mine": kept.decode("utf-8", "replace"),
                "message": f"{csv_name} was changed on disk since this table was loaded"}
    if kept != current:
        store.keep(csv_path, current, "before")
        store.write(csv_path, kept)
        store.keep(csv_path, kept, "restored")
    return {"status": "saved", "digest": bytes_hash(kept), "csv": csv_name}


__all__ = ["TableView", "csv_of", "placed", "restore_table", "row_problems", "save_table", "table_view"]

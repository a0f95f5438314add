"""Table: a locations CSV as the studio's table of rows, and the page's edits written back in the file's own style.

The CSV stays the truth and stays the clinic's: a row the person did not change is written
back byte for byte (its quotes, its cells' line breaks, its line ending); a changed or added
row is written with the file's separator and line ending, each cell quoted where the file
quoted it (or where CSV needs quotes); the names' row and the order of the columns are never
touched. A file the table could not write back that way (a quote in the middle of a cell,
say) is shown read-only, with a line saying to edit it in a spreadsheet.

The page sends edits, not the whole table (a chain's CSV may have thousands of rows and the
page shows a hundred at a time): a changed row, a removed row (each with its cells as the
page showed them) and added rows. They are applied to the file as it is on disk, found by
their cells as shown; so a save over a file a colleague changed meanwhile keeps their rows too.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any

from .form import FormError

MAX_CELL = 2_000  # characters in one cell: an address is a hundred
MAX_EDITS = 20_000  # rows changed, removed or added in one save
PAGE = 100  # rows the page shows at a time
_ENDING = re.compile(r"\r\n|\n|\r|$")


class NotKept(ValueError):
    """The CSV is written in a way the table could not write back unchanged."""


@dataclass
class Record:
    """One record of the file: its cells, which were quoted, and its exact text."""

    cells: list[str]
    quoted: list[bool]
    raw: str  # the record's text, its line ending included
    ending: str  # "\r\n", "\n", "\r", or "" for a last line without one


@dataclass
class Table:
    """A CSV file read for editing: its records (the names' row first) and how to write rows like it."""

    delimiter: str
    records: list[Record]
    bom: bool = False
    newline: str = "\n"
    changed: list[int] = field(default_factory=list)  # spreadsheet rows the last apply changed or added

    @property
    def columns(self) -> list[str]:
        return [c.strip() for c in self.records[0].cells] if self.records else []

    def rows(self) -> list[tuple[int, list[str]]]:
        """(spreadsheet row, cells padded to the columns) of every row below the names, empty ones left out."""
        width = len(self.columns)
        return [(number, _padded(record.cells, width)) for number, record in enumerate(self.records[1:], start=2)
                if any(cell.strip() for cell in record.cells)]

    def text(self) -> str:
        return ("\ufeff" if self.bom else "") + "".join(record.raw for record in self.records)


def delimiter_of(text: str) -> str:
    """The separator the build reads the file with (``content.variants``)."""
    from ..content.variants import delimiter

    return delimiter(text)


def parse(data: bytes) -> Table:
    """``data`` as a table; ``NotKept`` when it is not UTF-8 or not written in a way the table keeps."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data[:error.start].count(b"\n") + 1
        raise NotKept(f"line {line} is not UTF-8 text; save the CSV as UTF-8 (in Excel: CSV UTF-8)") from None
    bom = text.startswith("\ufeff")
    text = text.removeprefix("\ufeff")
    delimiter = delimiter_of(text)
    d = re.escape(delimiter)
    cell = re.compile(rf'"((?:[^"]|"")*)"|([^{d}"\r\n]*)')
    records: list[Record] = []
    position = 0
    while position < len(text):
        start, cells, quoted = position, [], []
        while True:
            match = cell.match(text, position)
            assert match is not None  # the second branch matches the empty string
            if match[1] is not None:
                cells.append(match[1].replace('""', '"'))
                quoted.append(True)
            else:
                cells.append(match[2])
                quoted.append(False)
            position = match.end()
            if text.startswith(delimiter, position):
                position += len(delimiter)
                continue
            break
        ending = _ENDING.match(text, position)
        if ending is None:
            raise NotKept(f"row {len(records) + 1} has a quote (\") inside a cell that is not quoted, or a quoted "
                          "cell that is not closed; the table cannot keep it as it is: edit this CSV in a spreadsheet")
        position = ending.end()
        if cells == [""] and not quoted[0]:
            cells, quoted = [], []  # an empty line: a row with no cells, as csv reads it
        records.append(Record(cells, quoted, text[start:position], ending[0]))
    try:
        same = [r.cells for r in records] == list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    except csv.Error as error:  # a cell over csv's size limit, say: the build says so too
        raise NotKept(f"it cannot be read as CSV ({error})") from None
    if not same:
        raise NotKept("the table cannot read this CSV as the build does; edit it in a spreadsheet")
    newline = next((r.ending for r in records if r.ending), "\n")
    return Table(delimiter, records, bom, newline)


def _padded(cells: list[str], width: int) -> list[str]:
    return cells[:width] + [""] * (width - len(cells)) if len(cells) < width else cells[:width]


# --- what the page may send ---------------------------------------------------------------

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f\ud800-\udfff]")


def unsafe(value: str) -> str | None:
    """Why a typed cell cannot be written, or None: a character that cannot be printed, or a
    formula a spreadsheet would run when it opens the file (``=cmd|' /C calc'!A0``)."""
    found = _CONTROL.search(value)
    if found:
        code = f"U+{ord(found[0]):04X}"
        name = unicodedata.name(found[0], "a control character")
        return f"contains {code} ({name.lower()}), which cannot be printed; remove it"
    # Full-width signs (＝ ＋ － ＠) are formulas too in a spreadsheet typed with an IME: compared as ASCII.
    stripped = unicodedata.normalize("NFKC", value).lstrip()
    if stripped[:1] in ("=", "@") or (stripped[:1] in ("+", "-") and not stripped.startswith("- ")
                                      and not re.fullmatch(r"[+-]\s?[\d\s().-]*", stripped)):
        return (f"starts with {stripped[0]!r}: a spreadsheet that opens the file would run it as a formula; "
                "write it without that sign")
    return None


def _lines(value: str) -> str:
    """A cell's lines as a browser sends them and as the table compares them: ending in ``\n``."""
    return value.replace("\r\n", "\n").replace("\r", "\n")


def _cells(value: Any, width: int) -> list[str]:
    if not isinstance(value, list) or len(value) != width or not all(isinstance(c, str) for c in value):
        raise FormError(f"a row is a list of {width} cells of text")
    if any(len(c) > MAX_CELL for c in value):
        raise FormError(f"a cell holds at most {MAX_CELL} characters")
    return [_lines(c) for c in value]


def _number(value: Any) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 2:
        raise FormError("a row is named by its number in the spreadsheet (2 or more)")
    return value


@dataclass
class Edits:
    """What the page changed: rows changed (row, cells as shown, cells now), removed (row, cells as shown), added."""

    changed: list[tuple[int, list[str], list[str]]]
    removed: list[tuple[int, list[str]]]
    added: list[list[str]]


def checked(body: dict[str, Any], width: int) -> Edits:
    """The page's edits, shape-checked (``FormError``: the page never sends that)."""
    changed, removed, added = body.get("changed", []), body.get("removed", []), body.get("added", [])
    if not all(isinstance(x, list) for x in (changed, removed, added)) \
            or len(changed) + len(removed) + len(added) > MAX_EDITS:
        raise FormError(f"the edits are lists of at most {MAX_EDITS} rows")
    for item in (*changed, *removed):
        if not isinstance(item, dict):
            raise FormError("a changed row is its number and its cells")
    return Edits([(_number(c.get("row")), _cells(c.get("shown"), width), _cells(c.get("cells"), width)) for c in changed],
                 [(_number(r.get("row")), _cells(r.get("shown"), width)) for r in removed],
                 [_cells(a, width) for a in added])


def refused(table: Table, edits: Edits) -> dict[str, list[str]]:
    """The typed cells that cannot be written, by row (``"5"``, or ``"new 1"`` for the first added row)."""
    found: dict[str, list[str]] = {}
    columns = table.columns
    finder, blank = _Finder(table), [""] * len(columns)
    # A changed row no longer on disk is added whole (``apply``): each of its cells is then typed.
    typed = [(str(row), shown if finder.find(row, shown) is not None else blank, cells)
             for row, shown, cells in edits.changed]
    typed += [(f"new {i + 1}", blank, cells) for i, cells in enumerate(edits.added)]
    for where, shown, cells in typed:
        for column, old, new in zip(columns, shown, cells, strict=True):
            why = unsafe(new) if new != old else None
            if why:
                found.setdefault(where, []).append(f"{column}: {why}")
    return found


# --- writing back -------------------------------------------------------------------------

def _cell(value: str, quoted: bool, delimiter: str) -> str:
    value = _lines(value)  # a cell's lines end as Excel ends them
    if (quoted and value) or any(c in value for c in (delimiter, '"', "\n")) or value != value.strip():
        return '"' + value.replace('"', '""') + '"'
    return value


def _row(table: Table, cells: list[str], quoted: list[bool], ending: str) -> str:
    if len(cells) == 1 and not cells[0]:
        return '""' + ending  # a lone empty cell unquoted would be an empty line: the row would vanish
    return table.delimiter.join(_cell(c, q, table.delimiter) for c, q in zip(cells, quoted, strict=True)) + ending


def _column_quoted(table: Table) -> list[bool]:
    """Per column: whether the file quotes every filled cell of it (a new row's cells are quoted alike)."""
    width = len(table.columns)
    result = []
    for index in range(width):
        flags = [r.quoted[index] for r in table.records[1:] if index < len(r.cells) and r.cells[index]]
        result.append(bool(flags) and all(flags))
    return result


def _shown(record: Record, width: int) -> list[str]:
    return [_lines(cell) for cell in _padded(record.cells, width)]


class _Finder:
    """The records of a table by their cells as the page shows them, and by id: each found once."""

    def __init__(self, table: Table) -> None:
        width = len(table.columns)
        self.column = table.columns.index("id") if "id" in table.columns else None
        self.by_cells: dict[tuple[str, ...], list[int]] = {}
        self.by_id: dict[str, list[int]] = {}
        for index in range(1, len(table.records)):
            shown = tuple(_shown(table.records[index], width))
            self.by_cells.setdefault(shown, []).append(index)
            if self.column is not None:
                self.by_id.setdefault(shown[self.column].strip(), []).append(index)
        self.used: set[int] = set()

    def find(self, row: int, shown: list[str], by_id: bool = True) -> int | None:
        """The index of the record the page showed as ``shown`` at ``row``: there if it still is,
        else the nearest with the same cells, else (``by_id``) the only one with the same id."""
        same = [i for i in self.by_cells.get(tuple(shown), []) if i not in self.used]
        found: int | None = None
        if same:
            found = min(same, key=lambda i: abs(i + 1 - row))
        elif by_id and self.column is not None and shown[self.column].strip():
            ids = [i for i in self.by_id.get(shown[self.column].strip(), []) if i not in self.used]
            found = ids[0] if len(ids) == 1 else None
        if found is not None:
            self.used.add(found)
        return found


def apply(table: Table, edits: Edits) -> Table:
    """``table`` with the page's edits; untouched rows as they were, byte for byte."""
    width = len(table.columns)
    records = list(table.records)
    finder = _Finder(table)
    gone: set[int] = set()
    appended: list[list[str]] = []
    for row, shown, cells in edits.changed:
        index = finder.find(row, shown)
        if index is None:  # changed on disk too, past recognising: ours is added, nothing is lost
            appended.append(cells)
            continue
        record = records[index]
        now = _padded(record.cells, width)
        merged = [new if new != old else current for new, old, current in zip(cells, shown, now, strict=True)]
        if [_lines(cell) for cell in merged] == _shown(record, width):
            continue
        extra = record.cells[width:]  # cells beyond the names' row stay, for the build to name
        flags = record.quoted[:width] + [False] * (width - len(record.quoted)) + record.quoted[width:]
        ending = record.ending or table.newline
        records[index] = Record(merged + extra, flags, _row(table, merged + extra, flags, ending), ending)
    for row, shown in edits.removed:
        index = finder.find(row, shown, by_id=False)  # a row a colleague changed is theirs: not removed
        if index is not None:  # else it is gone already, or a colleague changed it: theirs stays
            gone.add(index)
    appended += edits.added
    result = [r for i, r in enumerate(records) if i not in gone]
    if appended:
        # New rows go after the last row with cells (before trailing empty lines), the file's way.
        last = max((i for i, r in enumerate(result) if r.cells), default=0)
        if not result[last].ending:
            before = result[last]
            result[last] = Record(before.cells, before.quoted, before.raw + table.newline, table.newline)
        quoted = _column_quoted(table)
        new = [Record(cells, list(quoted), _row(table, cells, list(quoted), table.newline), table.newline)
               for cells in appended]
        result[last + 1:last + 1] = new
    kept = {id(record) for record in table.records}
    changed = [i + 1 for i, record in enumerate(result) if id(record) not in kept]
    return Table(table.delimiter, result, table.bom, table.newline, changed)


__all__ = ["PAGE", "Edits", "NotKept", "Table", "apply", "checked", "parse", "refused", "unsafe"]

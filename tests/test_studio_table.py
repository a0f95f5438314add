"""The studio's table of locations: a CSV edited row by row and written back in its own style
(separator, quoting, column order, line endings; untouched rows byte for byte), each row's
mistakes in the build's own words next to it, and the hostile cases: odd bytes, a formula, a
file of 10,000 rows, a file changed on disk while the table is open, two tabs saving."""

from __future__ import annotations

import csv
import hashlib
import html
import io
import re
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from conftest import write_minimal
from test_preview_truth import _page, _running
from test_studio_save import _headers, _post

from brochure.picker import FileView
from brochure.serve import Preview
from brochure.studio.store import Store
from brochure.studio.table import Edits, NotKept, apply, parse

CHAIN = Path(__file__).resolve().parent.parent / "examples" / "chain" / "locations.csv"
ROWS = ("id,clinic.phone,clinic.address,hours\r\n"
        'north,(913) 555-0101,"1 North St\nKansas City, MO",Monday to Friday\r\n'
        "south,(816) 555-0102,2 South St,\r\n")


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _site(folder: Path, rows: str | bytes = ROWS) -> tuple[Preview, Path, Path]:
    """A handout with ``variants: locations.csv``, served with its form and table."""
    content = write_minimal(folder)
    content.write_text(content.read_text(encoding="utf-8") + "variants: locations.csv\n", encoding="utf-8")
    table = folder / "locations.csv"
    table.write_bytes(rows.encode() if isinstance(rows, str) else rows)
    preview = Preview(folder / "out", dpi=20)
    preview.views = {"content.yaml": FileView("content.yaml", path=content.resolve())}
    preview.editor.sources = {"content.yaml": content}
    return preview, content, table


def _cells(page: str, row: int) -> list[str]:
    found = re.search(rf'<tr data-row="{row}"[^>]*>(.*?)</tr>', page, re.S)
    assert found, f"no row {row} in the table"
    return [html.unescape(cell) for cell in re.findall(r"<textarea data-cell[^>]*>\n(.*?)</textarea>", found[1], re.S)]


def _save(port: int, preview: Preview, table: Path, **edits: Any) -> tuple[int, dict[str, Any]]:
    body = {"handout": "content.yaml", "base": edits.pop("base", _digest(table)), **edits}
    return _post(port, "/edit/table", body, _headers(port, preview.editor.token))


# --- the file stays the clinic's ------------------------------------------------------------

@pytest.mark.parametrize("data", [
    CHAIN.read_bytes(),
    ROWS.encode(),
    "\ufeffid;clinic.phone;hours\n\"a\";\"(913) 555-0101\";\"8 à 5\"\n\nb;(913) 555-0102;x\n".encode(),
    b"id\tclinic.phone\na\t(913) 555-0101",  # tabs, and no line ending at the end
    b'id,hours\r"a","He said ""hello"""\r',  # old Mac line endings, doubled quotes
    b"id,hours\na,x\x00y\n",  # a NUL byte in a cell
], ids=["chain", "crlf", "semicolons-bom-blank-line", "tabs-no-final-newline", "cr-quotes", "nul"])
def test_a_table_read_and_written_back_unchanged_is_the_same_bytes(data: bytes) -> None:
    table = parse(data)
    assert table.text().encode() == data
    assert apply(table, Edits([], [], [])).text().encode() == data


def test_an_edited_row_changes_that_row_only_in_the_files_style() -> None:
    data = CHAIN.read_bytes()
    table = parse(data)
    rows = dict(table.rows())
    edits = Edits([(3, rows[3], [rows[3][0], "(816) 555-0199", *rows[3][2:]])], [(4, rows[4])],
                  [["blue-springs", "(816) 555-0104", "1 Main St\nBlue Springs, MO", "Mon", "lun", 'The "blue" lot']])
    after = apply(table, edits).text().encode()
    before_lines, after_lines = data.split(b"\r\n"), after.split(b"\r\n")
    assert after_lines[:2] == before_lines[:2]  # the names' row and row 2, byte for byte
    assert after_lines[2] == before_lines[2].replace(b"(816) 555-0102", b"(816) 555-0199")
    assert b"liberty" not in after
    # The new row: CRLF between records as the file has, its quoted columns quoted, a quote doubled.
    assert after.endswith(b'blue-springs,(816) 555-0104,"1 Main St\nBlue Springs, MO",Mon,"lun","The ""blue"" lot"\r\n')
    assert next(csv.reader(io.StringIO(after.decode(), newline=""))) == next(csv.reader(io.StringIO(data.decode())))


def test_a_quote_inside_an_unquoted_cell_is_shown_read_only(tmp_path: Path) -> None:
    with pytest.raises(NotKept):
        parse(b'id,hours\na,5" screen\n')
    preview, _content, table = _site(tmp_path / "site", 'id,hours\nnorth,the 5" door\n')
    with _running(preview) as port:
        page = _page(port)
        assert "locations.csv cannot be shown as a table" in page and "edit this CSV in a spreadsheet" in page
        status, _answer = _save(port, preview, table, changed=[], removed=[], added=[["x", "y"]])
    assert status == 400 and table.read_text(encoding="utf-8") == 'id,hours\nnorth,the 5" door\n'


# --- the server: rows, messages, conflicts ----------------------------------------------------

def test_the_table_shows_each_row_and_a_save_answers_the_builds_line_next_to_each_row(tmp_path: Path) -> None:
    preview, _content, table = _site(tmp_path / "site")
    with _running(preview) as port:
        page = _page(port)
        assert 'aria-label="clinic.phone, row 3"' in page and "Locations: locations.csv" in page
        north, south = _cells(page, 2), _cells(page, 3)
        assert north == ["north", "(913) 555-0101", "1 North St\nKansas City, MO", "Monday to Friday"]
        status, answer = _save(port, preview, table,
                               changed=[{"row": 3, "shown": south, "cells": [south[0], "12", *south[2:]]}],
                               added=[["north", "(913) 555-0103", "", ""], ["", "(913) 555-0104", "", ""]])
    assert status == 200 and answer["status"] == "saved", answer
    rows = answer["problems"]["rows"]
    assert rows["3"] == ["locations.csv:3: clinic.phone: '12' is not a phone number; write it like (913) 871-9888"]
    twice = ("id: 'north' is the id of rows 2 and 4: each location needs an id of its own, so no PDF is made for "
             "'north' until one of them is renamed")
    assert rows["2"] == [f"locations.csv:2: {twice}"] and rows["4"] == [f"locations.csv:4: {twice}"]
    assert rows["5"] == ["locations.csv:5: id: required"]
    text = table.read_bytes()
    assert text.startswith(ROWS.encode().split(b"south")[0])  # the names and north, byte for byte
    assert b"south,12,2 South St,\r\nnorth,(913) 555-0103,,\r\n,(913) 555-0104,,\r\n" in text
    history = Store(tmp_path / "site").history(table)
    assert [e.note for e in history] == ["saved", "as it was before the editor saved it"]


def test_the_last_builds_row_messages_show_at_their_rows_on_the_page(tmp_path: Path) -> None:
    preview, _content, _table = _site(tmp_path / "site")
    preview.views["content.yaml"].errors = [{"file": "locations.csv", "line": 3, "key": "clinic.phone",
                                             "message": "'12' is not a phone number"}]
    with _running(preview) as port:
        page = _page(port)
    error = re.search(r'<p class="field-error" id="row-3-error">(.*?)</p>', page)
    assert error and html.unescape(error[1]) == "locations.csv:3: clinic.phone: '12' is not a phone number"
    assert re.search(r'<tr data-row="3" class="bad">', page)


@pytest.mark.parametrize("cell", ["=cmd|' /C calc'!A0", "@SUM(A1)", "+cmd|x", "-2+3+cmd|' /C calc'!A0",
                                  "Monday\x00", "Mon\x1bday", "\ud800"])
def test_a_formula_or_an_unprintable_character_is_refused_at_its_row_and_nothing_is_written(tmp_path: Path,
                                                                                              cell: str) -> None:
    preview, _content, table = _site(tmp_path / "site")
    before = table.read_bytes()
    with _running(preview) as port:
        south = _cells(_page(port), 3)
        status, answer = _save(port, preview, table, changed=[{"row": 3, "shown": south,
                                                               "cells": [*south[:3], cell]}])
        status_new, answer_new = _save(port, preview, table, added=[["east", "(913) 555-0105", "", cell]])
    assert status == 422 and answer["status"] == "invalid" and answer["rows"]["3"][0].startswith("locations.csv:3: hours: ")
    assert status_new == 422 and answer_new["rows"]["new 1"][0].startswith("locations.csv, new row 1: hours: ")
    assert table.read_bytes() == before and not (tmp_path / "site" / ".brochure-history").exists()


def test_phone_numbers_and_lists_are_not_taken_for_formulas(tmp_path: Path) -> None:
    preview, _content, table = _site(tmp_path / "site")
    with _running(preview) as port:
        south = _cells(_page(port), 3)
        status, answer = _save(port, preview, table, changed=[{"row": 3, "shown": south,
                                                               "cells": [south[0], "+1 (816) 555-0102", south[2],
                                                                         "- Monday\n- Tuesday"]}])
    assert status == 200 and answer["problems"]["rows"] == {}, answer
    assert b'south,+1 (816) 555-0102,2 South St,"- Monday\n- Tuesday"\r\n' in table.read_bytes()


def test_a_file_changed_on_disk_is_never_overwritten_blindly_and_both_changes_are_kept(tmp_path: Path) -> None:
    preview, _content, table = _site(tmp_path / "site")
    with _running(preview) as port:
        page = _page(port)
        loaded = re.search(r'<section id="locations"[^>]*data-digest="([0-9a-f]+)"', page)
        assert loaded
        south = _cells(page, 3)
        theirs = table.read_bytes().replace(b"north,(913) 555-0101", b"north,(913) 555-0199") + b"east,(913) 555-0107,,\r\n"
        table.write_bytes(theirs)  # a colleague's save, in Excel
        edit = {"changed": [{"row": 3, "shown": south, "cells": [south[0], south[1], south[2], "Saturday"]}]}
        status, answer = _save(port, preview, table, base=loaded[1], **edit)
        assert status == 409 and answer["status"] == "conflict" and table.read_bytes() == theirs
        assert answer["disk"] == theirs.decode() and "south,(816) 555-0102,2 South St,Saturday" in answer["mine"]
        unsaved = [e for e in Store(tmp_path / "site").history(table) if e.note.startswith("not saved")]
        assert len(unsaved) == 1
        status, answer = _save(port, preview, table, base=answer["disk_digest"], **edit)  # "save mine over it"
    assert status == 200
    text = table.read_text(encoding="utf-8")
    assert "(913) 555-0199" in text and "east,(913) 555-0107" in text and "south,(816) 555-0102,2 South St,Saturday" in text


def test_two_tabs_saving_at_once_save_one_and_lose_none(tmp_path: Path) -> None:
    preview, _content, table = _site(tmp_path / "site")
    base = _digest(table)
    with _running(preview) as port:
        south = _cells(_page(port), 3)

        def save(number: int) -> int:
            return _save(port, preview, table, base=base, changed=[{"row": 3, "shown": south,
                                                                    "cells": [*south[:3], f"Tab {number}"]}])[0]

        with ThreadPoolExecutor(4) as pool:
            statuses = sorted(pool.map(save, range(4)))
    assert statuses == [200, 409, 409, 409]
    assert len([e for e in Store(tmp_path / "site").history(table) if e.note.startswith("not saved")]) == 3


def test_a_table_of_10000_rows_is_shown_a_hundred_at_a_time_and_one_row_saved(tmp_path: Path) -> None:
    rows = "id,clinic.phone,hours\n" + "".join(f"site-{n},(913) 555-{n % 10000:04d},Monday {n}\n" for n in range(10_000))
    preview, _content, table = _site(tmp_path / "site", rows)
    with _running(preview) as port:
        page = _page(port, "?rows=5000")
        assert len(re.findall(r"<tr data-row=\"\d+\"", page)) == 100 and len(page) < 1_000_000
        assert "Rows 5002 to 5101 of the spreadsheet, 100 of 10000 locations." in page
        assert re.search(r'href="/\?handout=content.yaml[^"]*&amp;rows=4900#locations">Previous 100</a>', page)
        assert _cells(page, 5002) == ["site-5000", "(913) 555-5000", "Monday 5000"]
        status, answer = _save(port, preview, table, changed=[
            {"row": 5002, "shown": ["site-5000", "(913) 555-5000", "Monday 5000"],
             "cells": ["site-5000", "(913) 555-5000", "Closed"]}])
        assert "<tr data-row=\"2\">" in _page(port, "?rows=" + "9" * 5000)  # a silly window: the first
    assert status == 200 and answer["problems"]["rows"] == {}, answer
    assert table.read_text(encoding="utf-8") == rows.replace("site-5000,(913) 555-5000,Monday 5000\n",
                                                             "site-5000,(913) 555-5000,Closed\n")


def test_a_csv_that_is_not_utf8_says_so_and_is_not_written(tmp_path: Path) -> None:
    data = "id,hours\nnorth,lunes a sábado\n".encode("latin-1")
    preview, _content, table = _site(tmp_path / "site", data)
    with _running(preview) as port:
        page = _page(port)
        status, _answer = _save(port, preview, table, added=[["x", "y"]])
    assert "line 2 is not UTF-8 text; save the CSV as UTF-8 (in Excel: CSV UTF-8)" in html.unescape(page)
    assert status == 400 and table.read_bytes() == data


def test_a_table_write_without_the_token_or_from_another_origin_is_403(tmp_path: Path) -> None:
    preview, _content, table = _site(tmp_path / "site")
    before = table.read_bytes()
    with _running(preview) as port:
        good = _headers(port, preview.editor.token)
        body = {"handout": "content.yaml", "base": _digest(table), "added": [["x", "(913) 555-0101", "", ""]]}
        for headers in ({**good, "X-Brochure-Token": "guess"}, {**good, "Origin": "http://evil.example"},
                        {k: v for k, v in good.items() if k != "X-Brochure-Token"}):
            for path in ("/edit/table", "/edit/translated"):
                assert _post(port, path, body, headers)[0] == 403
        for bad in ({"added": [["too", "few"]]}, {"changed": [{"row": 1, "shown": [], "cells": []}]},
                    {"added": "x"}, {"added": [["x" * 3000, "", "", ""]]}):
            assert _post(port, "/edit/table", {"handout": "content.yaml", "base": _digest(table), **bad}, good)[0] == 400
    assert table.read_bytes() == before


def test_a_kept_version_of_the_table_is_restored_from_the_page(tmp_path: Path) -> None:
    preview, _content, table = _site(tmp_path / "site")
    original = table.read_bytes()
    with _running(preview) as port:
        south = _cells(_page(port), 3)
        status, _answer = _save(port, preview, table, changed=[{"row": 3, "shown": south, "cells": [*south[:3], "Sunday"]}])
        assert status == 200
        page = _page(port)
        entries = re.findall(r'data-restore-table="([^"]+)"', page)
        assert len(entries) == 2 and "History of locations.csv: 2 saved versions" in page
        headers = _headers(port, preview.editor.token)
        for entry in ("../content.yaml", "/etc/passwd", "%2e%2e"):
            status, answer = _post(port, "/edit/table/restore", {"handout": "content.yaml", "base": _digest(table),
                                                                 "entry": entry}, headers)
            assert status == 400 and answer["message"] == "no such saved version"
        status, answer = _post(port, "/edit/table/restore", {"handout": "content.yaml", "base": "stale",
                                                             "entry": entries[1]}, headers)
        assert status == 409 and b"Sunday" in table.read_bytes()
        status, answer = _post(port, "/edit/table/restore", {"handout": "content.yaml", "base": _digest(table),
                                                             "entry": entries[1]}, headers)
    assert status == 200 and answer["problems"] == {"rows": {}, "other": []}, answer
    assert table.read_bytes() == original

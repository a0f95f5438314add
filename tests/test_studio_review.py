"""Review of the studio's table, date and translation routes: the attacks a careless or hostile
user (or a page in another tab) makes on the locations CSV and the new write routes. A bug that
is not fixed yet is a strict expected failure naming what happens."""

from __future__ import annotations

import csv
import hashlib
import http.client
import io
import shutil
from pathlib import Path

import pytest
from conftest import HANG, REPO
from test_preview_truth import _page, _running
from test_studio_save import _headers, _post
from test_studio_table import _cells, _digest, _save, _site

import brochure.content
from brochure.content import translated
from brochure.content.variants import delimiter
from brochure.studio.review import mark_translated
from brochure.studio.store import Store
from brochure.studio.table import Edits, apply, parse, unsafe


def _read_as_the_build(text: str) -> list[list[str]]:
    """The rows as ``content.variants`` reads them: its separator, csv's reader."""
    return list(csv.reader(io.StringIO(text.removeprefix("\ufeff"), newline=""), delimiter=delimiter(text)))


# --- rows written back ----------------------------------------------------------------------

def test_an_old_mac_csv_keeps_its_columns_when_a_cell_holds_semicolons() -> None:
    # A CSV saved with CR line endings ("CSV (Macintosh)"): its names' row ends at the first CR.
    # The separator was taken from the text up to the first LF, i.e. the whole file, so an
    # added cell with a few semicolons turned the whole file into a semicolon CSV for the build.
    table = parse(b'id,hours\r"a","x"\r')
    written = apply(table, Edits([], [], [["b", "Mon;Tue;Wed;Thu;Fri"]])).text()
    assert _read_as_the_build(written) == [["id", "hours"], ["a", "x"], ["b", "Mon;Tue;Wed;Thu;Fri"]]


def test_a_one_column_row_whose_only_cell_is_emptied_stays_a_row() -> None:
    # A lone empty cell unquoted is an empty line: the row would vanish from the build's rows.
    table = parse(b"id\nnorth\nsouth\n")
    written = apply(table, Edits([(2, ["north"], [""])], [], [])).text()
    assert _read_as_the_build(written) == [["id"], [""], ["south"]]


def test_a_row_removed_here_but_changed_by_a_colleague_meanwhile_is_kept() -> None:
    disk = parse(b"id,clinic.phone\nnorth,(913) 555-9999\nsouth,(816) 555-0102\n")  # the colleague's new phone
    written = apply(disk, Edits([], [(2, ["north", "(913) 555-0101"])], [])).text()  # as this page showed it
    assert ["north", "(913) 555-9999"] in _read_as_the_build(written)


@pytest.mark.parametrize("rows", [b"", b"\xef\xbb\xbf", b"\n\nid\nnorth\n"], ids=["empty", "bom-only", "blank-first-lines"])
def test_a_row_added_to_a_csv_without_column_names_is_a_plain_message_not_a_crash(tmp_path: Path, rows: bytes) -> None:
    # An empty locations.csv (just made, or Excel's blank sheet): the table has no columns and
    # its Add row sent [] -- apply() then indexed an empty list: a 500 and a traceback.
    preview, _content, table = _site(tmp_path / "site", rows)
    with _running(preview) as port:
        status, answer = _save(port, preview, table, added=[[]])
    assert status == 400 and "no column names" in answer["message"], (status, answer)
    assert table.read_bytes() == rows


# --- formulas -------------------------------------------------------------------------------

@pytest.mark.parametrize("cell", ["\uff1dHYPERLINK(\"http://evil.example\",\"Call\")", "\uff20SUM(A1:A9)",
                                  "\uff0bcmd|' /C calc'!A0", "\uff0dcmd|' /C calc'!A0"])
def test_a_full_width_formula_sign_is_refused_like_the_ascii_one(cell: str) -> None:
    # OWASP's CSV-injection list: full-width = + - @ are taken as formulas by spreadsheets with an IME.
    assert unsafe(cell) is not None


def test_a_formula_sent_as_a_changed_row_no_longer_on_disk_is_refused(tmp_path: Path) -> None:
    preview, _content, table = _site(tmp_path / "site")
    formula = ["west", "(913) 555-0199", "=HYPERLINK(\"http://evil.example\",\"Directions\")", ""]
    with _running(preview) as port:
        status, answer = _save(port, preview, table, changed=[{"row": 2, "shown": formula, "cells": formula}])
    assert b"=HYPERLINK" not in table.read_bytes(), (status, answer)


# --- the new write routes -------------------------------------------------------------------

def test_the_new_routes_refuse_a_write_without_the_token_or_from_another_origin_and_a_get(tmp_path: Path) -> None:
    preview, content, table = _site(tmp_path / "site")
    before = (content.read_bytes(), table.read_bytes())
    with _running(preview) as port:
        north = _cells(_page(port), 2)
        good = _headers(port, preview.editor.token)
        bodies = {"/edit/table": {"handout": "content.yaml", "base": _digest(table),
                                  "changed": [{"row": 2, "shown": north, "cells": ["hacked", *north[1:]]}]},
                  "/edit/table/restore": {"handout": "content.yaml", "base": _digest(table), "entry": "x"},
                  "/edit/translated": {"handout": "content.yaml", "source_digest": ""}}
        refused = [{k: v for k, v in good.items() if k != "X-Brochure-Token"}, {**good, "X-Brochure-Token": "guess"},
                   {**good, "Origin": "http://evil.example"}, {**good, "Origin": f"http://localhost:{port}"},
                   {k: v for k, v in good.items() if k != "Origin"}, {**good, "Sec-Fetch-Site": "cross-site"},
                   {**good, "Content-Type": "text/plain"}]
        for path, body in bodies.items():
            for headers in refused:
                assert _post(port, path, body, headers)[0] == 403, (path, headers)
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=HANG)
            connection.request("GET", path + "?handout=content.yaml", headers={"Host": f"127.0.0.1:{port}"})
            assert connection.getresponse().status == 405, path
            connection.close()
    assert (content.read_bytes(), table.read_bytes()) == before
    assert not (tmp_path / "site" / ".brochure-history").exists()
    assert not list((tmp_path / "site").glob("*.lock.json"))


# --- history --------------------------------------------------------------------------------

def test_two_files_never_share_a_history(tmp_path: Path) -> None:
    (tmp_path / "data").mkdir()
    nested, flat = tmp_path / "data" / "x.csv", tmp_path / "data__x.csv"
    nested.write_bytes(b"id\nnested\n")
    flat.write_bytes(b"id\nflat\n")
    store = Store(tmp_path)
    store.keep(nested, nested.read_bytes(), "saved")
    assert store.history(flat) == []


def test_saving_again_and_again_from_a_stale_tab_never_pushes_the_good_versions_out_of_history(tmp_path: Path) -> None:
    preview, _content, table = _site(tmp_path / "site")
    original = table.read_bytes()
    with _running(preview) as port:
        north = _cells(_page(port), 2)
        stale = _digest(table)
        status, _answer = _save(port, preview, table, changed=[{"row": 2, "shown": north,
                                                               "cells": [north[0], "(913) 555-0199", *north[2:]]}])
        assert status == 200
        for _ in range(21):  # the other tab, still showing the old file: Ctrl+S, Ctrl+S, ...
            status, _answer = _save(port, preview, table, base=stale,
                                    changed=[{"row": 2, "shown": north, "cells": [north[0], "(913) 555-0100", *north[2:]]}])
            assert status == 409
    kept = Store(tmp_path / "site").history(table)
    assert any(Store(tmp_path / "site").kept(table, entry.name) == original for entry in kept), \
        [entry.note for entry in kept]


# --- Mark as translated -----------------------------------------------------------------------

def test_mark_as_translated_records_only_the_source_the_page_showed(tmp_path: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "bilingual"
    shutil.copytree(REPO / "examples" / "bilingual", folder)
    english, spanish = folder / "content.yaml", folder / "content.es.yaml"
    shown = hashlib.sha256(english.read_bytes()).hexdigest()  # the source as the page showed it
    read = brochure.content.read_source

    def saved_meanwhile(path: Path, name: str | None = None) -> brochure.content.Source:
        if path == english and "Long Story Short" in english.read_text(encoding="utf-8"):
            # a colleague's editor saves the English handout in the moment between the two reads
            english.write_text(english.read_text(encoding="utf-8").replace("Long Story Short", "In Short"),
                               encoding="utf-8")
        return read(path, name)

    monkeypatch.setattr(brochure.content, "read_source", saved_meanwhile)
    answer = mark_translated({"source_digest": shown}, spanish, Store(folder))
    assert "In Short" in english.read_text(encoding="utf-8")  # the change the translator never saw
    recorded = translated.recorded(spanish)
    now = translated.parts(read(english, english.name).data)
    assert answer["status"] == "conflict-source" or (recorded is not None and translated.changes(recorded, now)), answer

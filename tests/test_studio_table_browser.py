"""The locations table and the revision date in a real browser (Debian's Chromium through
Playwright): a cell changed by its label, a row added and one removed, saved with the button
and with Ctrl-S; each row's mistake shows under it in the build's words; a file changed on disk
shows both versions; the page passes axe-core; the revision date is a date control."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import write_minimal
from test_studio_browser import WAIT, _axe, _not_shown, studio_on

ROWS = ("id,clinic.phone,clinic.address\r\n"
        'north,(913) 555-0101,"1 North St\nKansas City, MO"\r\n'
        "south,(816) 555-0102,2 South St\r\n")


@pytest.fixture
def studio(tmp_path: Path, browser: Any) -> Iterator[tuple[Any, Any, Path]]:
    folder = tmp_path / "site"
    content = write_minimal(folder)
    content.write_text(content.read_text(encoding="utf-8") + "variants: locations.csv\n", encoding="utf-8")
    (folder / "locations.csv").write_bytes(ROWS.encode())
    with studio_on(browser, folder) as (running, page):
        yield running, page, folder / "locations.csv"


def _table_saved(page: Any, running: Any) -> str:
    from playwright.sync_api import TimeoutError as Timeout

    try:
        page.wait_for_function("() => /^(Saved|Nothing had changed|Not saved)/.test("
                               "document.getElementById('table-status')?.textContent)", timeout=WAIT)
    except Timeout:
        pytest.fail(_not_shown(page, running, "the table save's answer in #table-status"))
    return str(page.inner_text("#table-status"))


def test_a_cell_edited_by_its_label_a_row_added_and_saved_shows_each_rows_mistake(studio: tuple[Any, Any, Path]) -> None:
    running, page, table = studio
    page.goto(f"http://127.0.0.1:{running.port}/")
    assert page.get_by_label("clinic.address, row 2").input_value() == "1 North St\nKansas City, MO"
    page.get_by_label("clinic.phone, row 3").fill("12")
    page.get_by_role("button", name="Add a location").click()
    assert page.evaluate("document.activeElement.getAttribute('aria-label')") == "id, new row"
    page.keyboard.type("north")
    page.get_by_label("clinic.phone, new row").fill("(913) 555-0103")
    page.get_by_role("button", name="Save locations").click()
    assert "3 mistakes" in _table_saved(page, running)
    assert table.read_bytes() == ROWS.encode().replace(b"(816) 555-0102", b"12") + b"north,(913) 555-0103,\r\n"
    assert page.inner_text("#row-3-error") == ("locations.csv:3: clinic.phone: '12' is not a phone number; "
                                               "write it like (913) 871-9888")
    assert page.inner_text("#row-4-error").startswith("locations.csv:4: id: 'north' is the id of rows 2 and 4")
    assert page.get_attribute("[aria-label='clinic.phone, row 3']", "aria-invalid") == "true"
    _axe(page, "with the rows' mistakes shown")
    # Fixed from the keyboard: the phone, then Ctrl-S in the table saves the table.
    page.get_by_label("clinic.phone, row 3").fill("(816) 555-0102")
    page.get_by_role("button", name="Remove row 4").click()
    assert page.get_by_role("button", name="Undo remove row 4").is_visible()
    page.get_by_label("clinic.phone, row 3").focus()
    page.keyboard.press("Control+S")
    assert _table_saved(page, running).startswith("Saved")
    assert table.read_bytes() == ROWS.encode()  # back to the very bytes it had
    assert page.evaluate("document.activeElement.getAttribute('aria-label')") == "clinic.phone, row 3"  # focus kept
    assert page.inner_text("#row-3-error") == ""


def test_a_table_changed_on_disk_shows_both_and_keeps_both_rows(studio: tuple[Any, Any, Path]) -> None:
    running, page, table = studio
    page.goto(f"http://127.0.0.1:{running.port}/")
    page.get_by_label("clinic.phone, row 2").fill("(913) 555-0111")
    table.write_bytes(table.read_bytes() + b"east,(913) 555-0107,3 East St\r\n")  # a colleague, in Excel
    page.get_by_role("button", name="Save locations").click()
    page.wait_for_selector("#conflict:not([hidden])", timeout=WAIT)
    assert "east,(913) 555-0107" in page.input_value("#conflict-disk")
    assert "north,(913) 555-0111" in page.input_value("#conflict-mine")
    page.keyboard.press("Enter")  # the focus is on "Save my version over it"
    assert _table_saved(page, running).startswith("Saved")
    text = table.read_text(encoding="utf-8")
    assert "north,(913) 555-0111" in text and "east,(913) 555-0107" in text


def test_the_revision_date_is_a_date_control_and_saved_as_a_date(studio: tuple[Any, Any, Path]) -> None:
    running, page, table = studio
    page.goto(f"http://127.0.0.1:{running.port}/")
    date = page.get_by_label("Revision date")
    assert date.get_attribute("type") == "date" and date.input_value() == "2026-11-25"
    date.fill("2026-12-07")
    page.get_by_role("button", name="Save", exact=True).click()
    page.wait_for_function("() => /^Saved/.test(document.getElementById('save-status').textContent)", timeout=WAIT)
    assert "revised: 2026-12-07\n" in (table.parent / "content.yaml").read_text(encoding="utf-8")
    page.locator("#editor").screenshot(path=str(table.parent / "editor.png"))
    _axe(page, "with the table and the date")


def test_a_formula_typed_in_a_new_row_is_refused_at_that_row(studio: tuple[Any, Any, Path]) -> None:
    running, page, table = studio
    page.goto(f"http://127.0.0.1:{running.port}/")
    before = table.read_bytes()
    page.get_by_role("button", name="Add a location").click()  # left blank: not sent, not counted
    page.get_by_role("button", name="Add a location").click()
    page.get_by_label("id, new row").nth(1).fill("west")
    page.get_by_label("clinic.address, new row").nth(1).fill("=HYPERLINK(\"http://evil.example\",\"Click\")")
    page.get_by_role("button", name="Save locations").click()
    assert _table_saved(page, running).startswith("Not saved: 1 cell(s) cannot be written; nothing was saved.")
    message = page.locator("#table-rows tr.row-problems").nth(-1).inner_text()
    assert message.startswith("locations.csv, new row 1: clinic.address: starts with '=': a spreadsheet that opens")
    assert page.locator("#table-rows tr.row-problems").nth(-2).inner_text() == ""
    assert table.read_bytes() == before


def test_a_long_cell_shows_all_it_holds_in_the_narrow_table(studio: tuple[Any, Any, Path]) -> None:
    running, page, _table = studio
    page.set_viewport_size({"width": 1280, "height": 900})  # the form's column beside the pages: about 450 px
    page.goto(f"http://127.0.0.1:{running.port}/")
    cell = page.get_by_label("clinic.address, row 2")
    cell.fill("Suite 1200, 4400 West 109th Street, Overland Park, Kansas 66211")
    hidden = "(c) => c.scrollHeight > c.clientHeight + 1 || c.scrollWidth > c.clientWidth + 1"
    assert not cell.evaluate(hidden)  # it grew as it was typed in
    page.goto(f"http://127.0.0.1:{running.port}/")  # and a page loaded with long cells shows them whole
    assert not any(page.locator("#table-rows textarea[data-cell]").evaluate_all(f"(cells) => cells.map({hidden})"))
    remove = page.get_by_role("button", name="Remove row 2")
    box, panel = remove.bounding_box(), page.locator("#editor").bounding_box()
    assert box and panel and box["x"] + box["width"] <= panel["x"] + panel["width"]  # no sideways scrolling for 3 columns
    page.set_viewport_size({"width": 1400, "height": 1000})

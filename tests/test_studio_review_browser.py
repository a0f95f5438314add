"""Review of the studio's table in a real browser (Debian's Chromium through Playwright): what
a person types while a save of the locations is on its way is not thrown away by the page."""

from __future__ import annotations

from pathlib import Path

from conftest import write_minimal
from test_preview import real_browser, serving
from test_studio_browser import WAIT

ROWS = "id,clinic.phone,clinic.address\r\nnorth,(913) 555-0101,1 North St\r\nsouth,(816) 555-0102,2 South St\r\n"


def test_a_cell_typed_while_the_table_is_saving_is_not_lost(tmp_path: Path) -> None:
    folder = tmp_path / "site"
    content = write_minimal(folder)
    content.write_text(content.read_text(encoding="utf-8") + "variants: locations.csv\n", encoding="utf-8")
    table = folder / "locations.csv"
    table.write_bytes(ROWS.encode())
    with serving(folder, "--dpi", "40") as running, real_browser() as browser:
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.goto(f"http://127.0.0.1:{running.port}/")
        page.get_by_label("clinic.phone, row 2").fill("(913) 555-0199")
        # The click starts the save (its edits are collected at once); the next cell is typed
        # before the answer comes back, as a person keeps typing on a 10,000-row table.
        page.evaluate("""() => {
            document.getElementById('table-form').requestSubmit();  // as the Save locations button does
            const cell = document.querySelector('[aria-label="clinic.address, row 3"]');
            cell.value = "22 South St";
            cell.dispatchEvent(new Event("input", {bubbles: true}));
        }""")
        page.wait_for_function("() => /^(Saved|Not saved)/.test(document.getElementById('table-status').textContent)",
                               timeout=WAIT)
        assert b"(913) 555-0199" in table.read_bytes()
        typed = page.get_by_label("clinic.address, row 3").input_value()
        dirty = page.evaluate("() => document.getElementById('table-status').textContent")
    assert typed == "22 South St", (typed, dirty)

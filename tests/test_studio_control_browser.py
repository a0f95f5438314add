"""Document control in a real browser (Debian's Chromium through Playwright): pick a status from
its list, set a review date and the version "1.10" by their labels, add a disclaimer, Save; the
file has them as typed (the build reads 1.10, not 1.1), the pages are rebuilt with the disclaimer
printed; a status none of the four shows the build's line under its field; axe-core passes. A
picture of the fieldset is taken for the README (docs/control.png) and kept beside the test's files."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest
from conftest import write_minimal
from test_studio_browser import WAIT, _axe, _pdf_text, _rebuilt, _saved, studio_on

from brochure.content import load

DISCLAIMER = "This handout is general information, not medical advice for your own case."
Start = Callable[[str], tuple[Any, Any, Path]]  # studio(control): the server, the page, the content file


@pytest.fixture
def studio(tmp_path: Path, browser: Any) -> Iterator[Start]:
    """``studio(control)``: a server of its own on the minimal handout with ``control`` (document control
    keys, as YAML lines) added, and a page showing it: each test says what it starts from."""
    with ExitStack() as stack:
        def start(control: str = "") -> tuple[Any, Any, Path]:
            content = write_minimal(tmp_path / "site")
            content.write_text(content.read_text(encoding="utf-8") + control, encoding="utf-8")
            running, page = stack.enter_context(studio_on(browser, content.parent))
            return running, page, content

        yield start


def test_status_review_date_and_version_picked_saved_and_read_by_the_build(studio: Start) -> None:
    running, page, content = studio("")
    before_src = str(page.get_attribute("main img", "src"))
    status = page.get_by_label("Status", exact=True)
    assert status.evaluate("(s) => s.tagName") == "SELECT" and status.input_value() == ""
    assert status.evaluate("(s) => [...s.options].map(o => o.textContent)") == \
        ["not set", "draft", "in review", "approved", "retired"]
    assert page.evaluate("document.getElementById('f-status').closest('fieldset').querySelector('legend').textContent") \
        == "Document control"
    status.select_option("approved")
    review = page.get_by_label("Review by")
    assert review.get_attribute("type") == "date"
    review.fill("2027-06-30")
    page.get_by_label("Version", exact=True).fill("1.10")
    page.get_by_label("Approved by").fill("Dr. Amy Shah")
    page.get_by_label("Disclaimer").fill(DISCLAIMER)
    page.get_by_role("button", name="Save", exact=True).click()
    assert _saved(page, running).startswith("Saved")
    text = content.read_text(encoding="utf-8")
    assert "status: approved\n" in text and "review_by: 2027-06-30\n" in text and 'version: "1.10"\n' in text
    assert text.startswith("title: Ketamine and Your Brain\n")
    brochure = load(content, "content.yaml")  # the build's own loader
    assert (brochure.status, brochure.version, str(brochure.review_by)) == ("approved", "1.10", "2027-06-30")
    _rebuilt(page, before_src)
    assert DISCLAIMER in _pdf_text(running.port, page)  # the pages follow the save
    page.reload()  # and the form shows what the file says
    assert page.get_by_label("Status", exact=True).input_value() == "approved"
    assert page.get_by_label("Version", exact=True).input_value() == "1.10"
    assert page.get_by_label("Review by").input_value() == "2027-06-30"
    page.locator("#group-document-control").screenshot(path=str(content.parent / "control.png"))
    page.locator("#group-handout").screenshot(path=str(content.parent / "handout.png"))
    _axe(page, "with document control filled in")


def test_a_status_chosen_from_the_keyboard_and_not_set_again_removes_the_key(studio: Start) -> None:
    running, page, content = studio("status: approved\napproved_by: Dr. Amy Shah\n")
    assert page.get_by_label("Status", exact=True).input_value() == "approved"
    page.get_by_label("Status", exact=True).focus()
    page.keyboard.press("Home")  # "not set": the first option
    assert page.get_by_label("Status", exact=True).input_value() == ""
    page.keyboard.press("Control+S")
    assert _saved(page, running).startswith("Saved")
    assert "status:" not in content.read_text(encoding="utf-8")  # left out, as an emptied subtitle is


def test_a_review_date_that_has_passed_shows_the_checks_note_under_it_after_the_rebuild(studio: Start) -> None:
    running, page, content = studio("review_by: 2027-06-30\n")
    assert page.inner_text("#f-review-by-note") == ""
    page.get_by_label("Review by").fill("2020-01-15")
    page.get_by_role("button", name="Save", exact=True).click()
    assert _saved(page, running).startswith("Saved")  # no mistake: a note, once the build has checked it
    assert "review_by: 2020-01-15\n" in content.read_text(encoding="utf-8")
    page.wait_for_function("() => document.getElementById('f-review-by-note').textContent !== ''", timeout=WAIT)
    assert "review_by: the review date 2020-01-15 has passed; review the handout, then set a new review_by date" \
        in page.inner_text("#f-review-by-note")
    assert page.get_attribute("#f-review-by", "aria-invalid") is None
    page.locator("#group-document-control").screenshot(path=str(content.parent / "control-note.png"))
    _axe(page, "with a check's note under a field")
    page.get_by_label("Review by").fill("2027-06-30")
    page.keyboard.press("Control+S")
    assert _saved(page, running).startswith("Saved")
    page.wait_for_function("() => document.getElementById('f-review-by-note').textContent === ''", timeout=WAIT)


def test_a_status_written_by_hand_shows_the_builds_line_under_its_field(studio: Start) -> None:
    running, page, content = studio("")
    content.write_text(content.read_text(encoding="utf-8") + "status: finished\n", encoding="utf-8")
    page.wait_for_function("() => document.querySelector('#preview .errors') !== null", timeout=WAIT)
    page.goto(f"http://127.0.0.1:{running.port}/")
    status = page.get_by_label("Status", exact=True)
    assert status.input_value() == "finished"  # shown as written, not changed unseen
    assert "status: must be one of: 'draft', 'in review', 'approved', 'retired'" in page.inner_text("#f-status-error")
    assert status.get_attribute("aria-invalid") == "true"
    assert "f-status-error" in str(status.get_attribute("aria-describedby"))
    _axe(page, "with a status mistake shown")
    status.select_option("draft")
    page.get_by_role("button", name="Save", exact=True).click()
    assert _saved(page, running).startswith("Saved")
    assert page.inner_text("#f-status-error") == ""
    assert "status: draft\n" in content.read_text(encoding="utf-8")

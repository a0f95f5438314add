"""The editor in a real browser (Debian's Chromium through Playwright): change the title by its
label, save with the button and with Ctrl-S from the keyboard alone, see the new title in the
page pictures and the PDF's text; the file keeps its comments; a mistake shows at its field;
the page passes axe-core with no serious or critical finding; writes from elsewhere are 403."""

from __future__ import annotations

import hashlib
import io
import re
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import pytest
from conftest import REPO, write_minimal
from PIL import Image
from test_preview import _get, serving

AXE = REPO / ".venv" / "node" / "node_modules" / "axe-core" / "axe.min.js"
COMMENT = "# Our note: the nurses check this handout every spring.\n"
WAIT = 120_000  # ms: a hang guard for a rebuild on a busy machine, not a speed requirement


@contextmanager
def studio_on(browser: Any, folder: Path) -> Iterator[tuple[Any, Any]]:
    """A server of its own for ``folder`` and a page showing it: a test starts from its own files, alone or
    after any other (one server for a module's sequence made each test lean on what the one before saved)."""
    with serving(folder, "--dpi", "40") as running:
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        try:
            page.goto(f"http://127.0.0.1:{running.port}/")
            yield running, page
        finally:
            page.close()


@pytest.fixture
def studio(tmp_path: Path, browser: Any) -> Iterator[tuple[Any, Any, Path]]:
    content = write_minimal(tmp_path / "site")
    content.write_text(COMMENT + content.read_text(encoding="utf-8"), encoding="utf-8")
    with studio_on(browser, content.parent) as (running, page):
        yield running, page, content


def _picture(port: int, src: str) -> bytes:
    status, png = _get(port, src)
    assert status == 200
    with Image.open(io.BytesIO(png)) as image:
        return image.convert("RGB").tobytes()


def _pdf_text(port: int, page: Any) -> str:
    href = page.get_attribute("main a[href$='-email.pdf']", "href")
    status, pdf = _get(port, href)
    assert status == 200 and pdf.startswith(b"%PDF")
    result = subprocess.run(["pdftotext", "-", "-"], input=pdf, capture_output=True, timeout=60)
    assert result.returncode == 0
    return " ".join(result.stdout.decode().split())


def _saved(page: Any, running: Any = None) -> str:
    """The save's answer on the page ("Saved at ...", "Nothing had changed ..."), once it shows; if it never
    does, the failure says what the page showed instead and what the server said."""
    from playwright.sync_api import TimeoutError as Timeout

    try:
        page.wait_for_function(
            "() => /^(Saved|Nothing had changed)/.test(document.getElementById('save-status')?.textContent)", timeout=WAIT)
    except Timeout:
        pytest.fail(_not_shown(page, running, "the save's answer, 'Saved' or 'Nothing had changed', in #save-status"))
    return str(page.inner_text("#save-status"))


def _not_shown(page: Any, running: Any, waited: str) -> str:
    """What a wait that timed out waited for, what the page showed instead and the server's last lines."""
    shown = page.evaluate("""() => ({save: document.getElementById('save-status')?.textContent,
        table: document.getElementById('table-status')?.textContent,
        status: document.getElementById('status')?.textContent, version: document.body.dataset.version,
        digest: document.getElementById('editor')?.dataset.digest,
        errors: [...document.querySelectorAll('.field-error, #edit-errors li')].map(e => e.textContent).filter(t => t),
        conflict: document.getElementById('conflict') ? !document.getElementById('conflict').hidden : null})""")
    log = "\n".join(running.lines[-40:]) if running is not None else "(not captured: no server given)"
    return f"waited {WAIT // 1000} s for {waited}; the page showed {shown}\nthe server's last lines:\n{log}"


def _rebuilt(page: Any, before: str) -> str:
    page.wait_for_function(f"() => document.querySelector('main img') && "
                           f"document.querySelector('main img').getAttribute('src') !== {before!r}", timeout=WAIT)
    return str(page.get_attribute("main img", "src"))


def test_the_title_changed_by_its_label_and_saved_shows_in_the_pictures_and_the_pdf(studio: tuple[Any, Any, Path]) -> None:
    running, page, content = studio
    before_src = str(page.get_attribute("main img", "src"))
    before = _picture(running.port, before_src)
    assert "Ketamine and Your Brain" in _pdf_text(running.port, page)
    title = page.get_by_label("Title", exact=True)
    assert title.input_value() == "Ketamine and Your Brain"
    title.fill("Ketamine and You")
    page.get_by_role("button", name="Save", exact=True).click()
    assert _saved(page, running).startswith("Saved")
    text = content.read_text(encoding="utf-8")
    assert text.startswith(COMMENT) and "title: Ketamine and You\n" in text  # the comment kept, the line changed
    after_src = _rebuilt(page, before_src)
    assert _picture(running.port, after_src) != before  # the page picture is a new one
    assert "Ketamine and You" in _pdf_text(running.port, page)
    assert "Ketamine and Your Brain" not in _pdf_text(running.port, page)


def test_keyboard_alone_tab_to_the_title_type_and_ctrl_s(studio: tuple[Any, Any, Path]) -> None:
    running, page, content = studio
    page.goto(f"http://127.0.0.1:{running.port}/")
    before_src = str(page.get_attribute("main img", "src"))
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Skip to the form"
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "f-title"
    assert page.evaluate("document.querySelector(`label[for=${document.activeElement.id}]`).textContent") == "Title"
    page.keyboard.press("Control+A")
    page.keyboard.type("Ketamine Today")
    page.keyboard.press("Control+S")
    assert _saved(page, running).startswith("Saved")
    assert "title: Ketamine Today\n" in content.read_text(encoding="utf-8")
    _rebuilt(page, before_src)
    assert "Ketamine Today" in _pdf_text(running.port, page)
    # Everything in the form is reachable by Tab: the Save button among them.
    for _ in range(60):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.id") == "save":
            break
    assert page.evaluate("document.activeElement.id") == "save"


def test_a_save_with_a_mistake_is_saved_and_the_mistake_shows_at_its_field(studio: tuple[Any, Any, Path]) -> None:
    running, page, content = studio
    page.goto(f"http://127.0.0.1:{running.port}/")
    good_src = str(page.get_attribute("main img", "src"))
    page.get_by_label("Phone").fill("12")
    page.keyboard.press("Control+S")
    assert "1 mistake" in _saved(page, running)
    assert 'phone: "12"' in content.read_text(encoding="utf-8")  # on disk, in the file's own quotes
    message = page.inner_text("#f-clinic-phone-error")
    assert "clinic.phone: '12' is not a phone number; write it like (913) 871-9888" in message
    assert page.get_attribute("#f-clinic-phone", "aria-invalid") == "true"
    assert "f-clinic-phone-error" in str(page.get_attribute("#f-clinic-phone", "aria-describedby"))
    # The build says the same, and the last good pages stay.
    page.wait_for_function("() => document.querySelector('#preview .errors') !== null", timeout=WAIT)
    assert "'12' is not a phone number" in page.inner_text("#preview .errors")
    assert page.get_attribute("main img", "src") == good_src
    page.reload()
    assert "is not a phone number" in page.inner_text("#f-clinic-phone-error")  # from the build, at its field
    _axe(page, "with a mistake shown")
    page.get_by_label("Phone").fill("(913) 871-9888")
    page.get_by_role("button", name="Save", exact=True).click()
    _saved(page, running)
    page.wait_for_function("() => document.querySelector('#preview .errors') === null", timeout=WAIT)
    assert page.inner_text("#f-clinic-phone-error") == ""


def test_a_write_without_the_token_or_from_another_origin_gets_403(studio: tuple[Any, Any, Path]) -> None:
    running, page, content = studio
    before = hashlib.sha256(content.read_bytes()).hexdigest()
    body = {"handout": "content.yaml", "base": before, "fields": {"title": "Changed by another page"}}
    status = page.evaluate("""async (body) => (await fetch('/edit/save', {method: 'POST',
        headers: {'Content-Type': 'application/json'}, body: JSON.stringify(body)})).status""", body)
    assert status == 403
    token = page.get_attribute('meta[name="brochure-token"]', "content")
    answer = page.request.post(f"http://127.0.0.1:{running.port}/edit/save", data=body,
                               headers={"X-Brochure-Token": str(token), "Origin": "http://evil.example"})
    assert answer.status == 403
    assert hashlib.sha256(content.read_bytes()).hexdigest() == before


def test_typed_text_is_text_in_the_page_and_in_the_pdf(studio: tuple[Any, Any, Path]) -> None:
    running, page, _content = studio
    page.goto(f"http://127.0.0.1:{running.port}/")
    before_src = str(page.get_attribute("main img", "src"))
    typed = '<img src=x onerror="window.ran=1"> {{ 7*7 }} </textarea><script>window.ran=2</script>'
    page.get_by_label("Title", exact=True).fill(typed)
    page.keyboard.press("Control+S")
    _saved(page, running)
    _rebuilt(page, before_src)
    page.reload()
    assert page.get_by_label("Title", exact=True).input_value() == typed
    assert page.evaluate("window.ran") is None
    assert page.evaluate("document.querySelectorAll('#editor img, #editor script').length") == 0
    pdf = _pdf_text(running.port, page)
    assert "{{ 7*7 }}" in pdf and "49" not in pdf and "onerror" in pdf.replace(" ", "")


def test_a_file_changed_on_disk_shows_both_and_the_person_chooses(studio: tuple[Any, Any, Path]) -> None:
    running, page, content = studio
    page.goto(f"http://127.0.0.1:{running.port}/")
    page.get_by_label("Title", exact=True).fill("Mine")  # typed, not saved yet
    theirs = content.read_text(encoding="utf-8").replace("Two to three hours", "Two to four hours")
    content.write_text(theirs, encoding="utf-8")  # a colleague's save in a text editor
    page.keyboard.press("Control+S")
    page.wait_for_selector("#conflict:not([hidden])", timeout=WAIT)
    assert content.read_text(encoding="utf-8") == theirs  # not overwritten
    assert page.input_value("#conflict-disk") == theirs
    assert "title: Mine" in page.input_value("#conflict-mine")
    assert page.evaluate("document.activeElement.id") == "keep-mine"
    page.keyboard.press("Enter")  # save mine over it
    assert _saved(page, running).startswith("Saved")
    text = content.read_text(encoding="utf-8")
    assert "title: Mine\n" in text and "Two to four hours" in text  # both changes, none lost
    assert page.is_hidden("#conflict")
    # History: the version before, restored from the page.
    page.click("#history summary")
    page.get_by_role("button", name=re.compile("^Restore")).nth(1).click()
    page.wait_for_function("() => /^Restored/.test(document.getElementById('save-status').textContent)", timeout=WAIT)
    assert "title: Mine\n" not in content.read_text(encoding="utf-8")
    assert page.get_by_label("Title", exact=True).input_value() != "Mine"


def _axe(page: Any, state: str) -> None:
    if not AXE.is_file():
        pytest.skip(f"axe-core is not installed in {AXE.parent} (bash setup.sh --dev installs it from npm)")
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    bad = [(v["id"], v["impact"], [n["target"] for n in v["nodes"]][:3]) for v in result["violations"]
           if v["impact"] in ("serious", "critical")]
    assert not bad, f"axe-core, {state}: {bad}"


def test_the_page_passes_axe_core_with_no_serious_or_critical_finding(studio: tuple[Any, Any, Path]) -> None:
    running, page, _content = studio
    page.goto(f"http://127.0.0.1:{running.port}/")
    _axe(page, "as loaded")
    # Every control of the form has a visible label that names it.
    unnamed = page.evaluate("""() => [...document.querySelectorAll('#editor input, #editor textarea')]
        .filter(c => !c.closest('template') && !(c.labels && c.labels.length && c.labels[0].textContent.trim()))
        .map(c => c.id)""")
    assert unnamed == []
    page.get_by_role("button", name="Add a section").click()
    assert page.evaluate("document.activeElement.id") == "f-sections-2-heading"
    assert page.get_by_label("Heading").count() == 3
    _axe(page, "with a section added")
    # The toolbar marks the words chosen in the text it belongs to.
    body = page.locator("#f-sections-2-body")
    body.fill("Call us today")
    body.focus()
    page.evaluate("() => document.getElementById('f-sections-2-body').setSelectionRange(8, 13)")
    page.locator("#f-sections-2-body").locator("xpath=..").get_by_role("button", name="Bold").click()
    assert body.input_value() == "Call us **today**"
    page.evaluate("() => document.getElementById('f-sections-2-body').setSelectionRange(0, 17)")
    page.locator("#f-sections-2-body").locator("xpath=..").get_by_role("button", name="List").click()
    assert body.input_value() == "- Call us **today**"
    # Reordered and removed with the buttons under each section; the labels follow the places.
    headings = "() => [...document.querySelectorAll('#section-list [data-part=heading]')].map(h => h.value)"
    page.locator("#f-sections-2-heading").fill("Call us")
    page.get_by_role("button", name="Move up section 3").click()
    assert page.evaluate(headings) == ["What ketamine does", "Call us", "How long it lasts"]
    assert page.evaluate("document.querySelector('label[for=f-sections-1-heading]').closest('fieldset')"
                         ".querySelector('legend').textContent") == "Section 2"
    assert page.get_by_label("Heading").nth(1).input_value() == "Call us"
    page.get_by_role("button", name="Remove section 2").click()
    assert page.evaluate(headings) == ["What ketamine does", "How long it lasts"]
    _axe(page, "after moving and removing sections")


def test_a_page_fetched_before_a_save_and_shown_after_it_does_not_undo_the_form(tmp_path: Path, browser: Any) -> None:
    """A build's event fetches the page afresh; when that page was made before a save wrote the file and
    arrives after the save answered, it is older than the form: it must neither put the old values back
    nor wipe "Saved" (how a CI run's save "never said Saved": the previous save's rebuild ended meanwhile)."""
    content = write_minimal(tmp_path / "site")
    with studio_on(browser, content.parent) as (running, page):
        older = page.request.get(f"http://127.0.0.1:{running.port}/")  # the page as the server makes it before the save
        held: list[Any] = []  # the page's next fetch of it, answered later; those after it go through

        def hold(route: Any) -> None:
            if held:
                route.continue_()
            else:
                held.append(route)

        page.route(lambda url: urlparse(url).path == "/", hold)
        page.get_by_label("Title", exact=True).fill("Ketamine and You")
        with page.expect_request(lambda request: urlparse(request.url).path == "/", timeout=WAIT):
            page.evaluate("() => { events.dispatchEvent(new MessageEvent('message', {data: 'a build'})); }")
        page.get_by_role("button", name="Save", exact=True).click()
        assert _saved(page, running).startswith("Saved")
        assert len(held) == 1
        page.evaluate("() => { document.getElementById('status').dataset.before = 'yes'; }")
        held[0].fulfill(response=older)  # the page of before the save, after it
        page.wait_for_function("() => !document.getElementById('status').dataset.before", timeout=WAIT)
        assert page.inner_text("#save-status").startswith("Saved"), page.inner_text("#save-status")
        assert page.get_by_label("Title", exact=True).input_value() == "Ketamine and You"
        assert page.get_attribute("#editor", "data-digest") == hashlib.sha256(content.read_bytes()).hexdigest()

"""The preview's picker: every handout, its locations and its languages, one unit shown at a
time and labelled, the choice kept in the address across live reloads, usable by keyboard."""

from __future__ import annotations

import html
import re
import shutil
from pathlib import Path

from conftest import HANG, MINIMAL, SEED_LOGO
from test_preview import real_browser
from test_preview_truth import _page, _running

from brochure.runner import run
from brochure.serve import Preview
from brochure.settings import Settings

PROJECT = """\
clinic: {name: Heartland Infusion Care, phone: (816) 555-0199, logo: logo.svg}
locations:
  - id: south
    clinic: {phone: (816) 555-0102, address: 2 Oak Ave}
  - id: north
    clinic: {phone: (913) 555-0101, address: 1 Main St}
layout: handout
"""
SPANISH = """\
title: Cómo cuidarse
lang: es
sections:
  - heading: Qué hace la ketamina
    body: Bloquea unos receptores del cerebro.
  - heading: Cuánto dura
    body: De dos a tres horas.
"""


def _project(folder: Path) -> list[tuple[Path, str]]:
    """care.yaml, its Spanish translation care.es.yaml, and other.yaml, for two locations."""
    folder.mkdir(parents=True)
    shutil.copy(SEED_LOGO, folder / "logo.svg")
    (folder / "brochure.yaml").write_text(PROJECT, encoding="utf-8")
    # North's own number typed in the text: a contact warning for south only.
    care = (MINIMAL.replace("title: Ketamine and Your Brain", "title: Caring for Yourself").replace("  logo: logo.svg\n", "")
            .replace("Two to three hours for most adults.", "Two to three hours for most adults. Call (913) 555-0101."))
    (folder / "care.yaml").write_text(care, encoding="utf-8")
    (folder / "care.es.yaml").write_text(SPANISH, encoding="utf-8")
    (folder / "other.yaml").write_text(care.replace("Caring for Yourself", "After Your Visit"), encoding="utf-8")
    # In the order a project lists them: the translation before its handout.
    return [(folder / name, name) for name in ("care.es.yaml", "care.yaml", "other.yaml")]


def _options(page: str, name: str) -> list[tuple[str, bool]]:
    select = re.search(rf'<select name="{name}">(.*?)</select>', page, re.S)
    assert select, f"no {name} picker"
    return [(html.unescape(value), bool(chosen)) for value, chosen in
            re.findall(r'<option value="([^"]*)"( selected)?>', select[1])]


def _pictures(page: str) -> list[str]:
    return re.findall(r'<img src="/files/proof/([^"?]+)', page)


def test_the_picker_lists_every_handout_location_and_language_and_shows_only_the_chosen(tmp_path: Path) -> None:
    files = _project(tmp_path / "chain")
    out = tmp_path / "out"
    preview = Preview(out, dpi=20)
    preview.update(run(files, Settings(out, jobs=2, check=True, skip_fresh_files=False)))
    with _running(preview) as port:
        first = _page(port)
        spanish = _page(port, "?handout=care.yaml&lang=es&location=south")
        gone = _page(port, "?handout=removed.yaml&lang=fr&location=east")
    # One entry per handout (the translation is a language of care.yaml), every location, both languages.
    assert _options(first, "handout") == [("care.yaml", True), ("other.yaml", False)]
    assert "Caring for Yourself (care.yaml)" in first and "Cómo cuidarse" not in first.split("</form>")[0]
    assert _options(first, "location") == [("south", True), ("north", False)]  # as the list gives them
    assert _options(first, "lang") == [("en-US", True), ("es", False)]
    assert all(p.startswith("caring-for-yourself-south-") for p in _pictures(first)) and len(_pictures(first)) == 2
    # The chosen unit only, and said in words.
    assert _options(spanish, "lang") == [("en-US", False), ("es", True)]
    assert _options(spanish, "location") == [("south", True), ("north", False)]
    pictures = _pictures(spanish)
    assert len(pictures) == 2 and all(p.startswith("como-cuidarse-south-") for p in pictures), pictures
    label = html.unescape(re.search(r'<h2 id="showing"[^>]*>([^<]*)</h2>', spanish)[1])
    # care.yaml names its own clinic, and so does its translation, whatever the project says.
    assert label == "Cómo cuidarse, location south (Balanced Ketamine, 2 Oak Ave), in Spanish: care.es.yaml"
    assert "Cómo cuidarse, location south" in html.unescape(re.search(r"<title>([^<]*)</title>", spanish)[1])
    # The checks beside the pages are the chosen location's.
    aside = html.unescape(first[first.index("<aside"):])
    assert "care.yaml, location south" in aside and "location south's phone is (816) 555-0102" in aside
    with _running(preview) as port:
        north = html.unescape(_page(port, "?handout=care.yaml&location=north"))
    assert "care.yaml, location north" in north and "this text says (913) 555-0101" not in north
    # A choice that is no longer there falls back to the first of each, never to an empty page.
    assert _pictures(gone) == _pictures(first)
    # other.yaml has no translation: no language picker for it.
    with _running(preview) as port:
        other = _page(port, "?handout=other.yaml&location=north")
    assert '<select name="lang">' not in other
    assert all(p.startswith("after-your-visit-north-") for p in _pictures(other)) and len(_pictures(other)) == 2


def test_the_picker_works_by_keyboard_and_the_choice_survives_a_live_reload(tmp_path: Path) -> None:
    files = _project(tmp_path / "chain")
    out = tmp_path / "out"
    preview = Preview(out, dpi=20)
    preview.update(run(files, Settings(out, jobs=2, check=True, skip_fresh_files=False)))
    with _running(preview) as port, real_browser() as browser:
        page = browser.new_page()
        page.goto(f"http://127.0.0.1:{port}/")
        page.evaluate("window.loadedOnce = 'yes'")  # gone if the page reloads
        page.focus('select[name="lang"]')
        page.keyboard.press("ArrowDown")  # Spanish, by keyboard alone
        page.wait_for_function("() => location.search.includes('lang=es')", timeout=HANG * 1000)
        page.wait_for_function("() => document.querySelector('main img').src.includes('como-cuidarse-south-')",
                               timeout=HANG * 1000)
        assert page.evaluate("document.activeElement.name") == "lang"  # the focus stays on the picker
        page.focus('select[name="location"]')
        page.keyboard.press("ArrowDown")
        page.wait_for_function("() => document.querySelector('main img').src.includes('como-cuidarse-north-')",
                               timeout=HANG * 1000)
        assert "location=north" in page.evaluate("location.search")
        assert page.inner_text("#showing").startswith("Cómo cuidarse, location north")
        # A rebuild: the page updates by itself and still shows the chosen unit.
        version = page.get_attribute("body", "data-version")
        preview.update(run(files, Settings(out, jobs=1, check=True, skip_fresh_files=False)))
        page.wait_for_function(f"() => document.body.dataset.version !== '{version}'", timeout=HANG * 1000)
        sources = page.eval_on_selector_all("main img", "images => images.map(i => i.src)")
        assert sources and all("como-cuidarse-north-" in s for s in sources), sources
        assert page.evaluate("window.loadedOnce") == "yes"
        assert page.input_value('select[name="lang"]') == "es"
        assert page.input_value('select[name="location"]') == "north"

"""What one process reuses between documents (stylesheets, fonts), read from the outside.

Several builds in one process (watch, a batch worker) share what the documents share: parsed
stylesheets, registered fonts. Each is keyed on the bytes read, so an edit between two builds is
seen, and the same inputs give the same bytes whether the shared parts were made anew or reused.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
from pathlib import Path

import pytest
from conftest import REPO, seed_project, write_minimal

from brochure.build import build_file
from brochure.render.pdf import FETCHED

BUNDLED = REPO / "templates"


@pytest.fixture(autouse=True)
def _epoch(monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")


def pdfs(out: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(out.glob("*.pdf"))}


def own_email_css(content: Path, extra: str) -> Path:
    """The bundled email.css copied beside the content as the clinic's own, with ``extra`` added."""
    folder = content.parent / "templates" / "css"
    folder.mkdir(parents=True, exist_ok=True)
    css = folder / "email.css"
    css.write_text((BUNDLED / "css" / "email.css").read_text(encoding="utf-8") + extra, encoding="utf-8")
    return css


def test_stylesheet_edited_between_builds_in_one_process_is_seen(tmp_path):
    content = write_minimal(tmp_path / "clinic")
    css = own_email_css(content, "\nh1 { color: #1f3f7a; }\n")
    build_file(content, tmp_path / "one")
    before = pdfs(tmp_path / "one")
    css.write_text(css.read_text(encoding="utf-8").replace("#1f3f7a", "#7a1f1f"), encoding="utf-8")
    build_file(content, tmp_path / "two")
    after = pdfs(tmp_path / "two")
    email = next(name for name in before if name.endswith("-email.pdf"))
    printed = next(name for name in before if name.endswith("-print.pdf"))
    assert after[email] != before[email], "the stylesheet edited between two builds was not used"
    assert after[printed] == before[printed], "the print PDF does not read email.css"
    # The hash the manifest records for the stylesheet is the edited bytes' own.
    assert FETCHED[css.resolve()] == hashlib.sha256(css.read_bytes()).hexdigest()


def test_same_stylesheet_bytes_give_the_same_pdf_parsed_or_reused(tmp_path):
    """The third build reads the first build's bytes again: its PDFs are the first build's,
    byte for byte, though its stylesheet was parsed by the first and reused by the third."""
    content = write_minimal(tmp_path / "clinic")
    css = own_email_css(content, "\nh1 { color: #1f3f7a; }\n")
    original = css.read_bytes()
    build_file(content, tmp_path / "one")
    css.write_text(original.decode("utf-8") + "\nh2 { color: #7a1f1f; }\n", encoding="utf-8")
    build_file(content, tmp_path / "two")
    css.write_bytes(original)
    build_file(content, tmp_path / "three")
    assert pdfs(tmp_path / "three") == pdfs(tmp_path / "one")
    assert pdfs(tmp_path / "two") != pdfs(tmp_path / "one")


def test_a_copied_folder_builds_the_same_bytes_in_one_process(tmp_path):
    """Another folder, other fonts registered for it: the same PDFs as the first folder's."""
    content = write_minimal(tmp_path / "clinic")
    build_file(content, tmp_path / "one")
    shutil.copytree(content.parent, tmp_path / "copy")
    build_file(tmp_path / "copy" / content.name, tmp_path / "two")
    assert pdfs(tmp_path / "two") == pdfs(tmp_path / "one")


def test_fonts_are_configured_once_per_set_of_folders(tmp_path, monkeypatch):
    """A font configuration is made for a new set of folders, then reused: never made and dropped."""
    from weasyprint.text import fonts

    made = []
    original = fonts.FontConfiguration

    class Counted(original):  # type: ignore[misc,valid-type]
        def __init__(self) -> None:
            made.append(self)
            super().__init__()

    monkeypatch.setattr(fonts, "FontConfiguration", Counted)
    content = write_minimal(tmp_path / "clinic")
    build_file(content, tmp_path / "one")
    assert len(made) == 1, "a new folder gets one font configuration"
    build_file(content, tmp_path / "two")
    assert len(made) == 1, "a second build of the same folder made another font configuration"


@pytest.mark.parametrize("layout", ["trifold", "handout"])
def test_skipping_empty_margin_boxes_gives_the_same_bytes(tmp_path, monkeypatch, layout):
    """Tri-fold panels and email pages have no margin box to draw, so brochure skips making
    them; a handout's print pages draw their footer and page number, so WeasyPrint makes them.
    Either way the PDFs are WeasyPrint's own, byte for byte."""
    from weasyprint import layout as engine

    from brochure.render import patches

    patches.install()
    content = seed_project(tmp_path / "seed") if layout == "trifold" else write_minimal(tmp_path / "minimal")
    build_file(content, tmp_path / "skipped")
    monkeypatch.setattr(engine, "make_margin_boxes", engine.make_margin_boxes.__wrapped__)
    build_file(content, tmp_path / "made")
    assert pdfs(tmp_path / "skipped") == pdfs(tmp_path / "made")
    assert len(pdfs(tmp_path / "made")) == 2


def test_a_margin_box_a_clinic_adds_to_the_panels_is_drawn(tmp_path):
    content = seed_project(tmp_path / "seed")
    own = content.parent / "templates" / "css"
    own.mkdir(parents=True)
    css = (BUNDLED / "css" / "trifold.css").read_text(encoding="utf-8")
    (own / "trifold.css").write_text(css + '\n@page { @top-center { content: "DRAFT COPY"; } }\n', encoding="utf-8")
    build_file(content, tmp_path / "out")
    printed = next((tmp_path / "out").glob("*-print.pdf"))
    text = subprocess.run(["pdftotext", str(printed), "-"], capture_output=True, text=True, check=True).stdout
    assert text.count("DRAFT COPY") == 6, "one on each of the six panels"


def test_after_more_stylesheets_than_kept_a_document_parses_its_own_once(tmp_path, monkeypatch):
    """A process that parsed more stylesheets than it keeps (a server's many projects, a long
    watch session, the suite): the least recently used go, so a new project's stylesheets are
    kept and its next build parses none of them (only the print's small sheet with the colour
    profile, which each document needs of its own). A cache that kept nothing once full parsed
    every sheet again at each layout."""
    import weasyprint

    from brochure.render import patches, stylesheets

    parsed = []
    parse = stylesheets._parse

    def counted(source, *args):
        parsed.append(source if isinstance(source, str) else source.decode("utf-8"))
        return parse(source, *args)

    monkeypatch.setattr(stylesheets, "_parse", counted)
    stylesheets.PARSED.clear()  # none kept yet, whatever ran before in this process
    patches.install()
    for n in range(stylesheets.MAX_KEPT + 1):
        weasyprint.HTML(string=f"<style>p {{ margin: {n}px; }}</style><p>Call us any weekday.</p>").render()
    content = write_minimal(tmp_path / "clinic")
    build_file(content, tmp_path / "one")
    assert len(parsed) > 3, "the new project's stylesheets are parsed"
    parsed.clear()
    build_file(content, tmp_path / "two")
    assert parsed and all("@color-profile" in source for source in parsed), [source[:80] for source in parsed]
    assert pdfs(tmp_path / "two") == pdfs(tmp_path / "one")

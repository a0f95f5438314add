"""Review of session 7's changes (watch's read-ahead, the validated-content cache, links,
the stylesheet cache): each test is a wrong result found, marked as a strict expected failure
until it is fixed."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import edit, run_main, write_minimal

from brochure.content import described


def _orphan_translation(folder: Path) -> Path:
    """``content.es.yaml`` with no ``content.yaml`` beside it: built on its own, with its own
    clinic, and with no layout of its own (the default, trifold)."""
    return write_minimal(folder, ("lang: en-US", "lang: es"), ("layout: handout\n", ""), name="content.es.yaml")


def test_a_translation_sees_its_handout_appear(tmp_path: Path) -> None:
    es = _orphan_translation(tmp_path)
    listed, _ = described.load_described(es, "content.es.yaml")
    assert listed[0][1].layout == "trifold"
    write_minimal(tmp_path)  # content.yaml appears (watch: a new file), with layout: handout
    listed, _ = described.load_described(es, "content.es.yaml")
    assert listed[0][1].layout == "handout", "the translation takes the layout of the handout it translates"


def test_a_translation_is_not_up_to_date_once_its_handout_appears(tmp_path: Path) -> None:
    """Built on its own, then the handout it translates is added: its PDFs take that handout's
    layout, never "up to date"; an unchanged orphan stays up to date (the no-op build)."""
    es = _orphan_translation(tmp_path)
    out = tmp_path / "out"
    assert run_main("build", str(es), "--out", str(out), "-j", "1").code == 0
    again = run_main("build", str(es), "--out", str(out), "-j", "1")
    assert again.code == 0 and any("up to date" in line for line in again.out), again.out
    pdfs = {p.name: p.read_bytes() for p in out.glob("*.pdf")}
    write_minimal(tmp_path)  # content.yaml: layout: handout
    described._CACHE.clear()  # a new process
    run = run_main("build", str(es), "--out", str(out), "-j", "1")
    assert run.code == 0, run.err
    assert not any("up to date" in line for line in run.out), run.out
    assert any(p.read_bytes() != pdfs[p.name] for p in out.glob("*.pdf") if p.name in pdfs)


def test_a_stylesheet_kept_never_replays_another_threads_warnings(tmp_path: Path) -> None:
    """Two renders in two threads of one process (a server's builds): while one parses its
    stylesheet (here held up reading its @font-face), the other logs a warning of its own
    stylesheet. The kept stylesheet records only its own messages: a later document with it
    is never told of a property it does not have (nor fails on another's "cannot be loaded")."""
    import logging
    import threading

    from weasyprint import HTML
    from weasyprint.text.fonts import FontConfiguration
    from weasyprint.urls import URLFetcher

    from brochure.render import patches

    patches.install()
    started, proceed = threading.Event(), threading.Event()

    class Slow(URLFetcher):  # type: ignore[misc]
        def fetch(self, url: str, headers: object = None) -> object:
            if url.endswith("held.ttf"):
                started.set()
                proceed.wait(60)
            return super().fetch(url, headers)

    own = ("<html><head><style>@font-face { font-family: Held; src: url(held.ttf) } "
           "p { font-family: Held, serif; margin: 1.2345mm }</style></head><body><p>mine</p></body></html>")
    other = ("<html><head><style>p { colourful: 1.2345 }</style></head>"
             "<body><p>other</p></body></html>")
    base = tmp_path.as_uri() + "/"
    fonts = FontConfiguration()  # kept between documents, as render_pdf keeps one per project
    failed: list[BaseException] = []

    def first() -> None:
        try:
            HTML(string=own, base_url=base, url_fetcher=Slow()).render(font_config=fonts)
        except BaseException as error:  # said by the assertion below
            failed.append(error)

    thread = threading.Thread(target=first)
    thread.start()
    try:
        assert started.wait(60), "the first render never read its @font-face"
        HTML(string=other, base_url=base, url_fetcher=URLFetcher()).render()  # warns: colourful
    finally:
        proceed.set()
        thread.join(120)
    assert not failed, failed

    class Messages(logging.Handler):
        def __init__(self) -> None:
            super().__init__(logging.WARNING)
            self.said: list[str] = []

        def emit(self, record: logging.LogRecord) -> None:
            self.said.append(record.getMessage())

    heard = Messages()
    logger = logging.getLogger("weasyprint")
    logger.addHandler(heard)
    try:
        HTML(string=own, base_url=base, url_fetcher=URLFetcher()).render(font_config=fonts)
    finally:
        logger.removeHandler(heard)
    assert not [said for said in heard.said if "colourful" in said], heard.said


def test_a_picture_cut_short_while_validated_is_refused_at_the_next_build(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A photo copied in pieces while the handout is validated (watch reads a save ahead; a
    build): the first piece lands after the photo was decoded, before the cache entry is
    fingerprinted. The next build must refuse the cut-short photo in one line, as a fresh
    process does, never write PDFs of it (and a manifest that then calls them up to date)."""
    import io
    import random

    from PIL import Image

    content = write_minimal(tmp_path / "site")
    image = Image.frombytes("RGB", (300, 200), random.Random(1).randbytes(300 * 200 * 3))
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    good = buffer.getvalue()
    photo = content.parent / "photo.png"
    photo.write_bytes(good)
    edit(content, "  - heading: How long it lasts\n",
         '  - heading: How long it lasts\n    image:\n      src: "photo.png"\n      alt: A picture\n')
    expand = described.expand

    def piece_landed(*args, **kwargs):  # type: ignore[no-untyped-def]
        made = expand(*args, **kwargs)
        photo.write_bytes(good[: len(good) // 2])  # decoded whole just before; cut short now
        return made

    monkeypatch.setattr(described, "expand", piece_landed)
    described.load_described(content, str(content))
    monkeypatch.setattr(described, "expand", expand)
    out = tmp_path / "out"
    run = run_main("build", str(content), "--out", str(out), "-j", "1")
    assert run.code == 1, run.out
    assert any("'photo.png' cannot be read: it is cut short" in line for line in run.err), run.err
    assert not out.exists() or not list(out.glob("*.pdf"))


_GHOSTSCRIPT_ICC = Path("/usr/share/color/icc/ghostscript")  # Ghostscript's profiles (setup.sh --dev installs it)


def _with_shop_profile(folder: Path, profile: Path) -> Path:
    import shutil

    content = write_minimal(folder, ("paper: letter\n", "paper: letter\nprint:\n  profile: shop.icc\n"))
    shutil.copyfile(profile, content.parent / "shop.icc")
    return content


def test_a_print_shop_profile_replaced_while_watching_is_used(tmp_path: Path) -> None:
    """The print shop sends a new ``shop.icc`` (same name) while ``watch`` runs: the rebuild in
    the same process must make the print PDF a fresh process makes from the same files, never
    one with the colours of the profile that was replaced."""
    import shutil
    import subprocess
    import sys

    from brochure.render.colour import DEFAULT_PROFILE

    first = _GHOSTSCRIPT_ICC / "default_cmyk.icc"
    if not first.is_file():
        pytest.skip("Ghostscript's default_cmyk.icc is not installed (setup.sh --dev)")
    content = _with_shop_profile(tmp_path / "site", first)
    out, fresh = tmp_path / "out", tmp_path / "fresh"
    assert run_main("build", str(content), "--out", str(out), "-j", "1").code == 0
    shutil.copyfile(DEFAULT_PROFILE, content.parent / "shop.icc")  # the new profile, same name
    again = run_main("build", str(content), "--out", str(out), "-j", "1")
    assert again.code == 0 and any(line.startswith("wrote") and "print" in line for line in again.out), again.out
    code = ("import sys; from brochure.cli import main; "
            f"sys.exit(main(['build', {str(content)!r}, '--out', {str(fresh)!r}, '-j', '1']))")
    subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, timeout=600)
    name = next(out.glob("*-print.pdf")).name
    assert (out / name).read_bytes() == (fresh / name).read_bytes(), "the colours of the replaced profile"


def test_a_profile_littlecms_cannot_use_is_one_line(tmp_path: Path) -> None:
    """Ghostscript's ``ps_cmyk.icc`` says it is a CMYK printer profile, but littleCMS cannot
    build a transform with it ("Could not determine profile size"): a mistake of the file the
    clinic was given, to say in one line at ``print.profile``, exit 1, no PDF written."""
    profile = _GHOSTSCRIPT_ICC / "ps_cmyk.icc"
    if not profile.is_file():
        pytest.skip("Ghostscript's ps_cmyk.icc is not installed (setup.sh --dev)")
    content = _with_shop_profile(tmp_path / "site", profile)
    out = tmp_path / "out"
    run = run_main("build", str(content), "--out", str(out), "-j", "1")  # a traceback: OSError raised here
    assert run.code == 1
    assert any(line.startswith(f"{content}:") and "print.profile" in line for line in run.err), run.err
    assert not out.exists() or not list(out.glob("*.pdf"))


_DEJAVU = Path("/usr/share/fonts/truetype/dejavu")
_TWO_DOTS = "\u2025"  # in DejaVu Sans; neither in DejaVu Sans Mono nor in the bundled Open Sans


def _with_theme_font(folder: Path, font: str) -> Path:
    import shutil

    if not (_DEJAVU / font).is_file():
        pytest.skip(f"{font} is not installed (fonts-dejavu-core)")
    content = write_minimal(folder, ("theme:\n", "theme:\n  font: fonts/Brand.ttf\n"),
                            ("A short introduction", f"A short {_TWO_DOTS} introduction"))
    (content.parent / "fonts").mkdir(exist_ok=True)
    shutil.copyfile(_DEJAVU / font, content.parent / "fonts" / "Brand.ttf")
    return content


def test_a_theme_font_replaced_by_one_without_a_character_is_refused_while_watching(tmp_path: Path) -> None:
    """The clinic replaces ``fonts/Brand.ttf`` (same name) with a font that lacks a character
    the text uses, while ``watch`` runs: the rebuild refuses it at its line, as a fresh process
    does, never writes a PDF with that character in this computer's font (the font check and
    the render's read the font's characters from a cache keyed by the file's name alone)."""
    import shutil

    content = _with_theme_font(tmp_path / "site", "DejaVuSans.ttf")
    out = tmp_path / "out"
    assert run_main("build", str(content), "--out", str(out), "-j", "1").code == 0
    before = {pdf.name: pdf.read_bytes() for pdf in out.glob("*.pdf")}
    shutil.copyfile(_DEJAVU / "DejaVuSansMono.ttf", content.parent / "fonts" / "Brand.ttf")
    run = run_main("build", str(content), "--out", str(out), "-j", "1")
    assert run.code == 1, run.out
    assert run.err[0].startswith(f"{content}:4: intro: \u2018{_TWO_DOTS}\u2019 (U+2025) cannot be printed"), run.err
    assert {pdf.name: pdf.read_bytes() for pdf in out.glob("*.pdf")} == before, "out/ untouched"


def test_a_theme_font_replaced_by_one_with_the_character_builds_while_watching(tmp_path: Path) -> None:
    """The fix the message asks for (a font file that has the character, under the same name)
    is seen by the next build in the same process."""
    import shutil

    content = _with_theme_font(tmp_path / "site", "DejaVuSansMono.ttf")
    out = tmp_path / "out"
    assert run_main("build", str(content), "--out", str(out), "-j", "1").code == 1
    shutil.copyfile(_DEJAVU / "DejaVuSans.ttf", content.parent / "fonts" / "Brand.ttf")
    run = run_main("build", str(content), "--out", str(out), "-j", "1")
    assert run.code == 0, run.err
    assert len(list(out.glob("*.pdf"))) == 2


def test_a_template_saved_within_one_clock_tick_is_rendered_as_saved(tmp_path: Path) -> None:
    """A clinic's ``templates/parts.html`` saved again within the tick of the clock that stamps
    files (a save in pieces; 2 s on a FAT or SMB share): the same mtime, other bytes. The next
    build in the process renders the bytes saved, and the one after is up to date; Jinja's
    check by mtime alone rendered the first version at every build, each "stale" again."""
    import os
    import subprocess

    from brochure.render.assets import BUNDLED

    content = write_minimal(tmp_path / "site")
    (content.parent / "templates").mkdir()
    bundled = (BUNDLED / "parts.html").read_text(encoding="utf-8")
    name = '<p class="clinic-name">{{ clinic.name }}</p>'
    assert name in bundled
    part = content.parent / "templates" / "parts.html"
    part.write_text(bundled.replace(name, name.replace("}}", "}} Alpha")), encoding="utf-8")
    out = tmp_path / "out"

    def text() -> str:
        email = next(out.glob("*-email.pdf"))
        return subprocess.run(["pdftotext", str(email), "-"], capture_output=True, text=True, check=True).stdout

    assert run_main("build", str(content), "--out", str(out), "-j", "1").code == 0
    assert "Alpha" in text()
    stamp = part.stat()
    part.write_text(bundled.replace(name, name.replace("}}", "}} Omega")), encoding="utf-8")
    os.utime(part, ns=(stamp.st_atime_ns, stamp.st_mtime_ns))  # within the same tick
    assert run_main("build", str(content), "--out", str(out), "-j", "1").code == 0
    assert "Omega" in text() and "Alpha" not in text()
    again = run_main("build", str(content), "--out", str(out), "-j", "1")
    assert any("up to date" in line for line in again.out), again.out


def test_a_proof_record_nested_past_the_parser_is_drawn_again(tmp_path: Path) -> None:
    """``out/proof/<pdf>.json`` edited by hand into arrays nested past JSON's depth: the
    preview (``serve``'s ``current_proofs`` and ``proof_digests``) draws the proofs again, as for
    any record it cannot read, never raises RecursionError (the manifest and the catalog's
    record already read such a file as none)."""
    from brochure.proof import current_proofs, proof_digests, record_path

    content = write_minimal(tmp_path / "site")
    out = tmp_path / "out"
    assert run_main("proof", str(content), "--out", str(out), "--dpi", "40").code == 0
    pdf = next(out.glob("*-email.pdf"))
    record_path(pdf, out).write_text("[" * 200_000 + "]" * 200_000, encoding="utf-8")
    assert proof_digests(pdf, out) == {}
    drawn = current_proofs(pdf, out, 40)
    assert drawn and all(path.is_file() for path in drawn)
    assert proof_digests(pdf, out), "the record is written again"

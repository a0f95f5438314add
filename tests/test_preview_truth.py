"""A preview that never lies: the pages shown are always those of the PDFs on disk.

Each proof is tied to the PDF bytes it was drawn from (their sha256, recorded beside the
proofs and in each PNG); ``serve`` reuses a proof only when that hash matches the PDF now
on disk, at start and after every build. The browser test runs the sequence from the issue:
``proof``, an edit under ``watch`` (new PDFs, the old proofs left on disk, then made to look
newer than the PDFs), then ``serve``: the browser must show the new text.
"""

from __future__ import annotations

import hashlib
import html
import http.client
import io
import json
import os
import re
import shutil
import signal
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pypdfium2 as pdfium
from conftest import HANG, PYTHON, REPO, run_main, write_minimal
from PIL import Image
from test_preview import _wait, real_browser, serving

from brochure.proof import current_proofs, record_path, render_proofs
from brochure.runner import run
from brochure.serve import Preview, listen, make_server
from brochure.settings import Settings

DPI = 40  # small pictures: the test is about which PDF they show, not how sharp they are
SLUG = "ketamine-and-your-brain"
OLD = "Two to three hours for most adults."
NEW = "Four to six hours for most adults."
NEWER = "Five to seven hours for most adults."


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _pixels(png: bytes) -> bytes:
    with Image.open(io.BytesIO(png)) as image:
        return image.convert("RGB").tobytes()


def _text(pdf: bytes) -> str:
    """All the text of a PDF, as PDFium reads it, whitespace made single spaces."""
    document = pdfium.PdfDocument(pdf)
    try:
        return " ".join(" ".join(page.get_textpage().get_text_range().split()) for page in document)
    finally:
        document.close()


# --- the record: proofs tied to the PDF's bytes --------------------------------------------

def test_proof_records_the_pdf_bytes_and_proofs_are_reused_only_for_those_bytes(tmp_path: Path) -> None:
    content = write_minimal(tmp_path / "site")
    out = tmp_path / "out"
    assert run_main("proof", str(content), "--out", str(out), "--dpi", str(DPI)).code == 0
    pdf = out / f"{SLUG}-print.pdf"
    digest = _sha256(pdf.read_bytes())
    record = json.loads(record_path(pdf, out).read_text())
    png = out / "proof" / f"{SLUG}-print-1.png"
    assert record == {"pdf": pdf.name, "pdf_sha256": digest, "dpi": DPI, "guides": True,
                      "pages": [{"file": png.name, "sha256": _sha256(png.read_bytes())}]}
    with Image.open(png) as image:  # each picture says which PDF bytes it shows
        assert image.text["brochure:pdf-sha256"] == digest  # type: ignore[attr-defined]
        assert image.text["brochure:pdf"] == pdf.name  # type: ignore[attr-defined]

    # The same bytes: the proof on disk is reused, not drawn again.
    before = png.stat()
    assert current_proofs(pdf, out, DPI) == [png]
    assert (png.stat().st_ino, png.stat().st_mtime_ns) == (before.st_ino, before.st_mtime_ns)

    # Another PDF under the same name, its old proofs made to look newer: drawn again.
    other = write_minimal(tmp_path / "other", (OLD, NEW))
    assert run_main("build", str(other), "--out", str(tmp_path / "other-out")).code == 0
    shutil.copy(tmp_path / "other-out" / pdf.name, pdf)
    future = time.time() + 3600
    os.utime(png, (future, future))
    old_png = png.read_bytes()
    assert current_proofs(pdf, out, DPI) == [png]
    fresh = render_proofs(pdf, tmp_path / "fresh", DPI)[0].read_bytes()
    assert png.read_bytes() == fresh and _pixels(fresh) != _pixels(old_png)
    assert json.loads(record_path(pdf, out).read_text())["pdf_sha256"] == _sha256(pdf.read_bytes())

    # A picture swapped behind the record's back, another resolution, no guides: drawn again.
    png.write_bytes(old_png)
    assert current_proofs(pdf, out, DPI) == [png] and png.read_bytes() == fresh
    current_proofs(pdf, out, DPI + 10)
    assert json.loads(record_path(pdf, out).read_text())["dpi"] == DPI + 10
    current_proofs(pdf, out, DPI + 10, guides=False)
    assert json.loads(record_path(pdf, out).read_text())["guides"] is False


# --- labels: files and locations ---------------------------------------------------------

VARIANTS = """\
slug: ketamine-locations
variants:
  - id: overland-park
    clinic:
      name: Balanced Ketamine Overland Park
      address: 1 Main St, Overland Park, KS
  - id: lees-summit
    clinic:
      phone: (816) 555-0102
"""


@contextmanager
def _running(preview: Preview) -> Iterator[int]:
    server = make_server(preview)
    sock = listen(0)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        _wait(lambda: server.started, HANG, "the server")
        yield int(sock.getsockname()[1])
    finally:
        server.should_exit = True
        thread.join(timeout=HANG)
        sock.close()


def _page(port: int, query: str = "") -> str:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=HANG)
    try:
        connection.request("GET", "/" + query)
        return connection.getresponse().read().decode()
    finally:
        connection.close()


def test_pages_of_other_files_and_locations_are_labelled_as_such(tmp_path: Path) -> None:
    """The page shows one file at one location, and says which: in its heading, in each
    group's title and in every picture's alt text; another choice shows only its own pages."""
    folder = tmp_path / "site"
    content = write_minimal(folder)
    locations = write_minimal(folder, name="locations.yaml")
    locations.write_text(locations.read_text() + VARIANTS)
    out = folder / "out"
    preview = Preview(out, dpi=20)
    preview.update(run([(content, "content.yaml"), (locations, "locations.yaml")],
                       Settings(out, jobs=1, check=True, skip_fresh_files=False)))
    with _running(preview) as port:
        first = _page(port)
        chosen = {where: _page(port, f"?handout=locations.yaml&location={where}")
                  for where in ("overland-park", "lees-summit")}
    shown = [html.unescape(h) for h in re.findall(r'<h2 id="showing"[^>]*>([^<]*)</h2>', first)]
    assert shown == ["Ketamine and Your Brain, in English (United States): content.yaml"]
    assert re.findall(r"<h3>([^<]*)</h3>", first[first.index("<aside"):]) == ["content.yaml"]  # whose findings
    expected = {"overland-park": "locations.yaml, location overland-park (Balanced Ketamine Overland Park, 1 Main St, "
                                 "Overland Park, KS)",
                "lees-summit": "locations.yaml, location lees-summit (Balanced Ketamine)"}
    for where, page in chosen.items():
        groups = [html.unescape(h) for h in re.findall(r'<h3 class="group-title">([^<]*)</h3>', page)]
        assert groups == [expected[where]]
        # Every picture says whose pages it is, and they are this location's PDFs' proofs only.
        pictures = [(src, html.unescape(alt)) for src, alt in
                    re.findall(r'<img src="/files/([^"?]+)\?v=\w+" alt="([^"]*)"', page)]
        assert len(pictures) == 2
        for src, alt in pictures:
            assert f"ketamine-locations-{where}-" in src and alt.startswith(f"locations.yaml, location {where} (")
    pictures = re.findall(r'<img src="/files/([^"?]+)', first)
    assert len(pictures) == 2 and all(src.startswith(f"proof/{SLUG}-") for src in pictures)



def _banner(page: str) -> str:
    found = re.search(r'<div class="errors" role="alert">\s*<h3>([^<]*)</h3>', page)
    return html.unescape(found[1]) if found else ""


def test_a_bad_location_says_which_pages_are_new_and_which_are_the_last_good_ones(tmp_path: Path) -> None:
    """One location's row wrong: the other location's pages are new and the page says so; the
    wrong location shows its last good pages and says that; fixed, no banner is left."""
    folder = tmp_path / "site"
    locations = write_minimal(folder, name="locations.yaml")
    good = locations.read_text() + VARIANTS
    locations.write_text(good)
    out = folder / "out"
    preview = Preview(out, dpi=20)
    files = [(locations, "locations.yaml")]
    preview.update(run(files, Settings(out, jobs=1, check=False, skip_fresh_files=False)))
    bad = good.replace("phone: (816) 555-0102", "phone: '12'", 1)
    assert bad != good
    locations.write_text(bad)
    preview.update(run(files, Settings(out, jobs=1, check=False, skip_fresh_files=False)))
    with _running(preview) as port:
        pages = {where: _page(port, f"?handout=locations.yaml&location={where}") for where in ("overland-park", "lees-summit")}
    assert _banner(pages["overland-park"]) == "The last save has 1 mistake in other locations; the pages below are new."
    assert _banner(pages["lees-summit"]) == "The last save has 1 mistake; the pages below are from the last good build."
    assert "lees-summit" in pages["lees-summit"] and "<img" in pages["lees-summit"]  # its last good pages, still shown
    locations.write_text(good)
    preview.update(run(files, Settings(out, jobs=1, check=False, skip_fresh_files=False)))
    with _running(preview) as port:
        assert _banner(_page(port, "?handout=locations.yaml&location=lees-summit")) == ""

# --- the sequence in a real browser ----------------------------------------------

@contextmanager
def _watching(folder: Path) -> Iterator[list[str]]:
    """``build.py watch content.yaml --out out`` in ``folder``; its output lines; Ctrl-C after."""
    process = subprocess.Popen([str(PYTHON), "-u", str(REPO / "build.py"), "watch", "content.yaml", "--out", "out"],
                               cwd=folder, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    lines: list[str] = []

    def read() -> None:
        assert process.stdout
        lines.extend(line.rstrip("\n") for line in process.stdout)

    threading.Thread(target=read, daemon=True).start()
    try:
        yield lines
    finally:
        process.send_signal(signal.SIGINT)
        try:
            assert process.wait(timeout=HANG) == 0, "\n".join(lines)
        except subprocess.TimeoutExpired:
            process.kill()
            raise


def _pdfs(out: Path) -> dict[str, str]:
    return {p.name: _sha256(p.read_bytes()) for p in out.glob("*.pdf")}


def _shows_the_pdfs_on_disk(page: Any, received: dict[str, bytes], out: Path, fresh: Path, port: int,
                            text: str, gone: str) -> dict[str, bytes]:
    """The pictures the browser shows are exactly proofs drawn now from the PDFs on disk, the
    PDFs it links to are those, and they have ``text``, not ``gone``. Returns the pictures."""
    page.wait_for_function("() => document.images.length > 0 && [...document.images].every("
                           "i => i.complete && i.naturalWidth > 0)", timeout=HANG * 1000)
    shown = page.eval_on_selector_all("main img", "els => els.map(e => [e.getAttribute('src'), e.alt, e.naturalWidth])")
    pictures: dict[str, bytes] = {}
    for src, alt, width in shown:
        name = src.removeprefix("/files/proof/").split("?")[0]
        data = received[name]  # the bytes the browser itself received for this picture
        with Image.open(io.BytesIO(data)) as image:
            assert image.width == width
        pictures[name] = data
        assert alt.startswith("content.yaml, ") and ("Print PDF" in alt or "Email PDF" in alt)
    shutil.rmtree(fresh, ignore_errors=True)
    drawn = {p.name: p.read_bytes() for pdf in sorted(out.glob("*.pdf")) for p in render_proofs(pdf, fresh, DPI)}
    assert pictures.keys() == drawn.keys()
    for name, data in pictures.items():
        assert data == drawn[name], f"{name}: the browser shows a proof that is not of the PDF on disk"
    links = page.eval_on_selector_all("main a[href$='.pdf']", "els => els.map(e => e.getAttribute('href'))")
    assert sorted(links) == sorted(f"/files/{p.name}" for p in out.glob("*.pdf"))
    for link in links:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=HANG)
        connection.request("GET", link)
        pdf = connection.getresponse().read()
        connection.close()
        assert pdf == (out / link.removeprefix("/files/")).read_bytes()
        assert text in _text(pdf) and gone not in _text(pdf)
    return pictures


def test_proof_then_edit_under_watch_then_serve_shows_the_new_text(tmp_path: Path) -> None:
    content = write_minimal(tmp_path / "site")
    folder, out = content.parent, content.parent / "out"
    assert run_main("proof", str(content), "--out", str(out), "--dpi", str(DPI)).code == 0
    old_proofs = {p.name: p.read_bytes() for p in (out / "proof").glob("*.png")}
    assert len(old_proofs) == 2  # the short handout: one print page, one email page
    old_pdfs = _pdfs(out)

    with _watching(folder) as lines:
        _wait(lambda: lines.count("waiting for changes...") >= 1, HANG, "watch's first build")
        content.write_text(content.read_text().replace(OLD, NEW))
        _wait(lambda: lines.count("waiting for changes...") >= 2 and all(
            _pdfs(out).get(name) not in (None, digest) for name, digest in old_pdfs.items()), HANG, "the new PDFs")
    # What makes the preview lie: the old proofs are still there, under the same names, and a
    # copy or a sync may well leave them newer than the PDFs.
    assert {p.name: p.read_bytes() for p in (out / "proof").glob("*.png")} == old_proofs
    future = time.time() + 60
    for name in old_proofs:
        os.utime(out / "proof" / name, (future, future))

    with serving(folder, "--dpi", str(DPI)) as running, real_browser() as browser:
        page = browser.new_page()
        received: dict[str, bytes] = {}

        def keep(route: Any) -> None:
            response = route.fetch()
            received[route.request.url.split("/files/proof/")[1].split("?")[0]] = response.body()
            route.fulfill(response=response)

        page.route("**/files/proof/**", keep)
        page.goto(f"http://127.0.0.1:{running.port}/")
        assert "built at" in page.inner_text("#status")
        shown = _shows_the_pdfs_on_disk(page, received, out, tmp_path / "fresh", running.port, NEW, OLD)
        for name, data in shown.items():  # the pictures changed, not only their names or dates
            assert _pixels(data) != _pixels(old_proofs[name]), f"{name} still shows the old text"

        # After a build while serving, too: the new proofs, of the new PDFs.
        version = page.get_attribute("body", "data-version")
        time.sleep(0.5)  # let the event stream connect
        received.clear()
        content.write_text(content.read_text().replace(NEW, NEWER))
        page.wait_for_function(f"() => document.body.dataset.version !== '{version}'", timeout=HANG * 1000)
        again = _shows_the_pdfs_on_disk(page, received, out, tmp_path / "fresh", running.port, NEWER, NEW)
        assert all(_pixels(again[name]) != _pixels(shown[name]) for name in again)

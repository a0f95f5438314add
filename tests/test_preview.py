"""Proofs and the live preview: PNG pages with guides, a local server that follows each save."""

from __future__ import annotations

import http.client
import re
import shutil
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pypdfium2 as pdfium
import pytest
from conftest import HANG, PYTHON, REPO, Built, run_main, seed_project, write_minimal
from PIL import Image

from brochure.build import Unit
from brochure.checks.findings import Finding
from brochure.runner import Outcome
from brochure.serve import Preview

SEED_SLUG = "how-ketamine-affects-the-brain"




# --- proofs -----------------------------------------------------------------------------

def test_proof_writes_every_page_at_the_asked_resolution_with_guides(tmp_path: Path) -> None:
    content = seed_project(tmp_path / "src")
    out = tmp_path / "out"
    run = run_main("proof", str(content), "--out", str(out), "--dpi", "100")
    assert run.code == 0, run.err
    names = sorted(p.name for p in (out / "proof").glob("*.png"))
    pages = len(pdfium.PdfDocument(str(out / f"{SEED_SLUG}-email.pdf")))
    assert pages >= 3
    assert names == sorted([f"{SEED_SLUG}-email-{n}.png" for n in range(1, pages + 1)]
                           + [f"{SEED_SLUG}-print-{n}.png" for n in (1, 2)])
    outside = Image.open(out / "proof" / f"{SEED_SLUG}-print-1.png").convert("RGB")
    assert outside.size == (round(846 * 100 / 72), round(666 * 100 / 72))  # the sheet with its marks area
    scale = 100 / 72
    # The trim line (magenta) runs along the top edge of the trim, 27 pt inside the sheet, at x = 150 pt;
    # the fold (green) at 261 pt from the trim's left, between the flap and the back panel.
    trim_y = round(27 * scale)
    assert any(outside.getpixel((round((27 + 150) * scale), y)) == (220, 0, 120) for y in range(trim_y - 2, trim_y + 3))
    fold_x = round((27 + 261) * scale)
    assert any(outside.getpixel((x, y)) == (0, 170, 80) for x in range(fold_x - 2, fold_x + 3) for y in range(20, 60))
    email = Image.open(out / "proof" / f"{SEED_SLUG}-email-1.png").convert("RGB")
    assert email.size == (round(324 * scale), round(576 * scale))  # the phone page
    assert (220, 0, 120) not in {email.getpixel((x, 3)) for x in range(0, email.size[0], 5)}  # no guides: no bleed


def test_proof_without_guides(tmp_path: Path) -> None:
    content = seed_project(tmp_path / "src")
    out = tmp_path / "out"
    assert run_main("proof", str(content), "--out", str(out), "--dpi", "60", "--no-guides").code == 0
    outside = Image.open(out / "proof" / f"{SEED_SLUG}-print-1.png").convert("RGB")
    colours = {colour for _, colour in outside.getcolors(maxcolors=1 << 24)}
    assert (220, 0, 120) not in colours and (0, 170, 80) not in colours


# --- a preview that never lies ----------------------------------------------------------

def _built(pdfs: list[Path], written: list[Path], findings: list[Finding]) -> Outcome:
    unit = Unit(Path("content.yaml"), "content.yaml")
    return Outcome("content.yaml", results=[SimpleNamespace(pdfs=pdfs, written=written, findings=findings,  # type: ignore[list-item]
                                                            unit=unit)])


def _finding(message: str) -> Finding:
    return Finding("jargon", "info", "content.yaml", 3, "intro", message)


def test_preview_draws_its_own_proofs_and_clears_fixed_findings(tmp_path: Path, handout: Built) -> None:
    out = tmp_path / "out"
    (out / "proof").mkdir(parents=True)
    pdf = out / handout.print.name
    shutil.copy(handout.print, pdf)
    # Proofs left on disk by an older, longer PDF (or another --dpi, or --no-guides): not shown.
    for page in (1, 2, 3):
        (out / "proof" / f"{pdf.stem}-{page}.png").write_bytes(b"not this PDF")
    preview = Preview(out, dpi=20)
    preview.update([_built([pdf], [], [_finding("ketamine: explain it")])])
    proofs = preview.views["content.yaml"].outputs[0]["proofs"]
    assert [p["src"] for p in proofs] == [f"proof/{pdf.stem}-1.png", f"proof/{pdf.stem}-2.png"]
    assert (out / "proof" / f"{pdf.stem}-1.png").read_bytes().startswith(b"\x89PNG")
    assert f"proof/{pdf.stem}-3.png" not in preview.allowed
    assert [f["message"] for f in preview.views["content.yaml"].findings] == ["ketamine: explain it"]

    preview.update([_built([pdf], [], [])])  # the term is explained now: nothing left to report
    assert preview.views["content.yaml"].findings == []


def test_a_build_that_crashed_says_so_and_keeps_the_pages(tmp_path: Path, handout: Built) -> None:
    out = tmp_path / "out"
    out.mkdir()
    pdf = out / handout.email.name
    shutil.copy(handout.email, pdf)
    preview = Preview(out, dpi=20)
    preview.update([_built([pdf], [pdf], [])])
    views, version = preview.views, preview.version
    preview.update([])  # what watch yields when the build itself raised (its traceback is printed)
    assert preview.views == views and preview.version == version + 1
    assert preview.status.startswith("the last build failed")


# --- the server -------------------------------------------------------------------------

def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _get(port: int, path: str, host: str | None = None) -> tuple[int, bytes]:
    """A raw GET: the path goes on the wire exactly as written (no client normalisation)."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=HANG)
    try:
        connection.request("GET", path, headers={"Host": host} if host else {})
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def _wait(condition: Callable[[], object], seconds: float, what: str) -> object:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


class Server:
    def __init__(self, process: subprocess.Popen[str], port: int) -> None:
        self.process, self.port, self.lines = process, port, []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.process.stdout
        for line in self.process.stdout:
            self.lines.append(line.rstrip("\n"))

    def page(self) -> str:
        status, body = _get(self.port, "/")
        assert status == 200
        return body.decode()


@contextmanager
def serving(folder: Path, *options: str) -> Iterator[Server]:
    """``build.py serve content.yaml --out out`` run in ``folder``, once it answers; stopped after."""
    port = _free_port()
    process = subprocess.Popen(
        [str(PYTHON), "-u", str(REPO / "build.py"), "serve", "content.yaml", "--out", "out", "--port", str(port),
         *options], cwd=folder, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    running = Server(process, port)
    try:
        _wait(lambda: any("Preview at http://127.0.0.1:" in line for line in running.lines), HANG, "the address")

        def answers() -> bool:
            try:
                return _get(port, "/")[0] == 200
            except OSError:
                return False

        _wait(answers, HANG, "the server")
        yield running
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[Server, Path]]:
    content = write_minimal(tmp_path / "site")
    with serving(content.parent) as running:
        yield running, content


def _images(page: str) -> list[str]:
    return re.findall(r'<img src="(/files/[^"]+)"', page)


def test_serve_page_images_and_a_save_that_changes_them(server: tuple[Server, Path]) -> None:
    running, content = server
    assert "Preview at http://127.0.0.1:" in "\n".join(running.lines)
    page = running.page()
    images = _images(page)
    assert len(images) == 2  # the short handout: one print page, one email page
    status, png = _get(running.port, images[0])
    assert status == 200 and png.startswith(b"\x89PNG")
    assert re.search(r'<a href="/files/ketamine-and-your-brain-print.pdf">', page)
    assert _get(running.port, "/files/ketamine-and-your-brain-print.pdf")[1].startswith(b"%PDF-")

    content.write_text(content.read_text().replace("It blocks NMDA receptors", "It blocks certain receptors"))
    _wait(lambda: _images(running.page()) != images, HANG, "new page images after a save")
    new_png = _get(running.port, _images(running.page())[0])[1]
    assert new_png != png

    good = content.read_text()
    content.write_text(good.replace("  - heading: How long it lasts\n", "  - heading: How long it lasts\n  bad: [\n"))
    def page_with_errors() -> str | None:
        page = running.page()
        return page if 'class="errors"' in page else None

    page = _wait(page_with_errors, HANG, "the error on the page")
    assert re.search(r"Line \d+:</span> YAML syntax error", str(page))
    assert _images(str(page)) == _images(running.page())  # the last good pages stay below the errors
    content.write_text(good)
    _wait(lambda: 'class="errors"' not in running.page(), HANG, "the errors to clear")

    running.process.send_signal(signal.SIGINT)
    assert running.process.wait(timeout=HANG) == 0


OUTSIDE = [
    "/files/../content.yaml", "/files/%2e%2e/content.yaml", "/files/%2E%2E%2Fcontent.yaml",
    "/files/..%2fcontent.yaml", "/files//etc/passwd", "/files/%2Fetc%2Fpasswd", "/files/proof/../manifest.json",
    "/../content.yaml", "/%2e%2e/content.yaml", "/etc/passwd", "/files/", "/files/proof/",
    "/files/manifest.json", "/out/", "/content.yaml", "/files/../../../../etc/passwd",
]


def test_serve_answers_nothing_else_and_only_on_loopback(server: tuple[Server, Path]) -> None:
    running, content = server
    answers = {path: _get(running.port, path)[0] for path in OUTSIDE}
    assert answers == dict.fromkeys(OUTSIDE, 404)
    # A proof on the page swapped for a link out of out/ (to the user's files): not sent.
    image = _images(running.page())[0].split("?")[0]
    proof = content.parent / "out" / image.removeprefix("/files/")
    proof.unlink()
    proof.symlink_to(content)
    assert _get(running.port, image)[0] == 404
    assert _get(running.port, "/", host="attacker.example")[0] == 400  # DNS rebinding: refused
    assert _get(running.port, "/", host=f"localhost:{running.port}")[0] == 200
    addresses = subprocess.run(["ss", "-ltnH"], capture_output=True, text=True).stdout \
        if shutil.which("ss") else ""
    if not addresses:
        pytest.skip("ss (iproute2) is not installed: cannot list listening sockets")
    listening = [line.split()[3] for line in addresses.splitlines() if line.split()[3].endswith(f":{running.port}")]
    assert listening == [f"127.0.0.1:{running.port}"]


CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]


@contextmanager
def real_browser() -> Iterator[Any]:
    """Debian's chromium driven by Playwright (no browser download); skips when not installed."""
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if not chromium:
        pytest.skip("Debian's chromium is not installed (bash setup.sh --dev installs it)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def test_page_updates_in_a_real_browser_without_reload(server: tuple[Server, Path]) -> None:
    running, content = server
    with real_browser() as browser:
        page = browser.new_page()
        page.goto(f"http://127.0.0.1:{running.port}/")
        page.evaluate("window.loadedOnce = 'yes'")  # gone if the page reloads
        first = page.get_attribute("main img", "src")
        version = page.get_attribute("body", "data-version")
        page.wait_for_function("() => window.EventSource !== undefined")
        time.sleep(0.5)  # let the event stream connect
        content.write_text(content.read_text().replace("Balanced Ketamine", "Balanced Ketamine West"))
        page.wait_for_function(f"() => document.body.dataset.version !== '{version}'", timeout=HANG * 1000)
        assert page.get_attribute("main img", "src") != first
        assert page.evaluate("window.loadedOnce") == "yes"
        assert "built at" in page.inner_text("#status")
        # The server stops: the page no longer claims to follow the saves.
        running.process.send_signal(signal.SIGINT)
        page.wait_for_function("() => document.getElementById('status').textContent.includes('not connected')",
                               timeout=HANG * 1000)

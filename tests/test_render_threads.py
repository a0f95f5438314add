"""Two renders at once in one process (the studio renders in threads; a test beside a watch session):
each says its own document's messages and names the bytes it read, never another thread's."""

from __future__ import annotations

import hashlib
import shutil
import threading
from pathlib import Path
from typing import Any

import pytest
from conftest import HANG, REPO

from brochure.render import pdf
from brochure.render.pdf import Rendered, render_pdf

FONT = REPO / "templates" / "fonts" / "OpenSans-Regular.ttf"
HEAD = ('<html lang="en"><head><title>Page</title><style>@font-face { font-family: "Open Sans"; src: url(sans.ttf) }'
        ' body { font-family: "Open Sans" } %s</style></head><body><p>%s</p></body></html>')
ODD = "brochure-thread-probe"  # a property WeasyPrint does not know: it warns "Ignored ..." for it


def _project(folder: Path) -> Path:
    folder.mkdir()
    shutil.copyfile(FONT, folder / "sans.ttf")
    return folder


def test_a_render_reports_only_its_own_documents_warnings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The clean document's render is under way (its messages collected) while the other one, with an
    unknown CSS property, renders whole on another thread: the clean one must report no warning."""
    clean, odd = _project(tmp_path / "clean"), _project(tmp_path / "odd")
    from weasyprint import HTML

    real = HTML.render
    odd_done = threading.Event()
    clean_waiting = threading.Event()

    def render(self: Any, *args: Any, **kwargs: Any) -> Any:
        if threading.current_thread().name == "clean" and not clean_waiting.is_set():
            clean_waiting.set()
            assert odd_done.wait(HANG), "the other render never finished"
        return real(self, *args, **kwargs)

    monkeypatch.setattr(HTML, "render", render)
    results: dict[str, Rendered | BaseException] = {}

    def run(name: str, folder: Path, css: str) -> None:
        try:
            results[name] = render_pdf(HEAD % (css, name), "email", folder, [folder], 1_700_000_000)
        except BaseException as error:  # said by the assertions below
            results[name] = error
        finally:
            if name == "odd":
                odd_done.set()

    thread = threading.Thread(target=run, args=("clean", clean, "p { color: black }"), name="clean")
    thread.start()
    assert clean_waiting.wait(HANG)
    other = threading.Thread(target=run, args=("odd", odd, f"p {{ {ODD}: 1 }}"), name="odd")
    other.start()
    other.join(HANG)
    thread.join(HANG)
    odd_result, clean_result = results["odd"], results["clean"]
    assert isinstance(odd_result, Rendered) and isinstance(clean_result, Rendered), results
    assert any(ODD in warning for warning in odd_result.warnings), odd_result.warnings
    assert not [warning for warning in clean_result.warnings if ODD in warning], clean_result.warnings


def test_a_font_registered_by_an_earlier_render_is_named_by_the_bytes_registered(tmp_path: Path) -> None:
    """A warm render does not fetch a font its configuration registered before: its files name the bytes then
    read and registered (those the PDF embeds), not what another render read of that path since."""
    folder = _project(tmp_path / "project")
    font = (folder / "sans.ttf").resolve()
    registered = hashlib.sha256(font.read_bytes()).hexdigest()
    first = render_pdf(HEAD % ("", "first"), "email", folder, [folder], 1_700_000_000)
    assert first.files[font] == registered
    # Another thread's render (another project naming this path) read it saved anew meanwhile.
    pdf.FETCHED[font] = hashlib.sha256(b"another save").hexdigest()
    # Another stylesheet naming the same face: WeasyPrint finds the face registered and fetches nothing.
    second = render_pdf(HEAD % ("p { color: #222 }", "second"), "email", folder, [folder], 1_700_000_000)
    assert second.files[font] == registered

"""Hostile: a picture, font or profile that changes between the moment the content is checked
and the moment its PDFs are drawn (a photo copied in pieces, a font replaced while ``watch``
runs). What is drawn is what was checked, or no PDF at all: the file's bytes are read once to
be checked and their hash is what the content is kept by and what the render must meet."""

from __future__ import annotations

import io
import random
from pathlib import Path
from typing import Any

import pytest
from conftest import edit, run_main, write_minimal

from brochure.content import described


def _photo(seed: int = 1) -> bytes:
    from PIL import Image

    image = Image.frombytes("RGB", (300, 200), random.Random(seed).randbytes(300 * 200 * 3))
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


def _with_photo(folder: Path) -> tuple[Path, Path, bytes]:
    content = write_minimal(folder)
    good = _photo()
    photo = content.parent / "photo.png"
    photo.write_bytes(good)
    edit(content, "  - heading: How long it lasts\n",
         '  - heading: How long it lasts\n    image:\n      src: "photo.png"\n      alt: A picture\n')
    return content, photo, good


def test_a_picture_cut_short_after_the_check_is_never_drawn(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The photo is cut short after the content was checked, before the PDFs are drawn:
    WeasyPrint would draw half a photo (it reads truncated pictures). The build fails in one
    line instead, writes nothing, and the next build says what is wrong with the photo."""
    from brochure.render import pdf

    described._CACHE.clear()
    content, photo, good = _with_photo(tmp_path / "site")
    render = pdf.render_pdf

    def cut_then_render(*args: Any, **kwargs: Any) -> Any:
        photo.write_bytes(good[: len(good) // 2])  # a piece of the copy lands now
        return render(*args, **kwargs)

    monkeypatch.setattr(pdf, "render_pdf", cut_then_render)
    out = tmp_path / "out"
    run = run_main("build", str(content), "--out", str(out), "-j", "1")
    assert run.code == 1, run.out
    said = [line for line in run.err if line.startswith(f"{content}:")]
    assert said and "photo.png changed after the content was checked" in said[0], run.err
    assert "Traceback" not in "\n".join(run.err)
    assert not out.exists() or not list(out.glob("*.pdf"))
    monkeypatch.setattr(pdf, "render_pdf", render)
    again = run_main("build", str(content), "--out", str(out), "-j", "1")
    assert again.code == 1
    assert any("'photo.png' cannot be read: it is cut short" in line for line in again.err), again.err
    assert not out.exists() or not list(out.glob("*.pdf"))
    photo.write_bytes(good)  # copied again, whole: built
    assert run_main("build", str(content), "--out", str(out), "-j", "1").code == 0

"""Each render names the bytes it read itself: the studio renders in threads, and a picture saved
between two of them is read with two contents. The process's ``FETCHED`` is shared; a PDF's manifest
entry (``Rendered.files``) and a sentence-break choice's key must be this render's own reads,
never what another thread read after."""

from __future__ import annotations

import hashlib
import shutil
import struct
import zlib
from pathlib import Path
from typing import Any

import pytest
from conftest import REPO

from brochure.render import fontsets, pdf
from brochure.render.pdf import render_pdf

FONT = REPO / "templates" / "fonts" / "OpenSans-Regular.ttf"
PAGE = ('<html lang="en"><head><title>Picture</title><style>@font-face { font-family: "Open Sans"; src: url(sans.ttf) }'
        ' body { font-family: "Open Sans" }</style></head>'
        '<body><p>Text</p><img src="pic.png" alt="A picture"></body></html>')


def _png(colour: bytes) -> bytes:
    """A 1x1 RGB PNG of ``colour``."""
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\0" + colour))
            + chunk(b"IEND", b""))


def test_a_render_names_the_bytes_it_read_not_another_threads(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    shutil.copyfile(FONT, tmp_path / "sans.ttf")
    picture = tmp_path / "pic.png"
    picture.write_bytes(_png(b"\x10\x80\x40"))
    read = hashlib.sha256(picture.read_bytes()).hexdigest()
    original = fontsets.registered

    def another_thread_reads_a_newer_save(*args: Any) -> None:
        # between this render's read and its answer, another render read the picture saved anew
        pdf.FETCHED[picture.resolve()] = hashlib.sha256(_png(b"\xff\x00\x00")).hexdigest()
        original(*args)

    monkeypatch.setattr(fontsets, "registered", another_thread_reads_a_newer_save)
    rendered = render_pdf(PAGE, "email", tmp_path, [tmp_path], 1_700_000_000)
    assert rendered.files[picture.resolve()] == read

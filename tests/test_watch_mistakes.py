"""A user's mistakes in a warm ``watch`` session: after several good saves (every memo filled), a YAML
mistake and then a template mistake each come out as one line ``FILE:LINE: key: what is wrong``, out/
untouched (bytes and times); the fix's build writes the bytes a cold build of the same project writes."""

from __future__ import annotations

import re
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import HANG, PYTHON, REPO, seed_project
from test_regenerate import Watched, save

TEMPLATE = '{% extends "bundled/trifold.html" %}\n{% block contact %}{{ super() }}{% endblock %}\n'
BROKEN_TEMPLATE = '{% extends "bundled/trifold.html" %}\n{% block contact %}\n{% if %}\n{% endblock %}\n'
TITLE = "title: How Ketamine Affects the Brain"


def _out(folder: Path) -> dict[str, tuple[bytes, int]]:
    """Every file in out/: its bytes and its modification time."""
    return {str(p.relative_to(folder)): (p.read_bytes(), p.stat().st_mtime_ns)
            for p in sorted(folder.rglob("*")) if p.is_file()}


def _said(watched: Watched, waits: int, said: int, pattern: str, kept: dict[str, tuple[bytes, int]],
          out: Path) -> list[str]:
    watched.until(pattern, lambda: watched.waits() > waits and any(
        re.fullmatch(pattern, line) for line in watched.lines()[1][said:]), time.monotonic() + HANG)
    time.sleep(0.3)  # nothing more is coming
    assert _out(out) == kept, "a build with a mistake touched out/"
    assert watched.proc.poll() is None, "watch stopped after a mistake"
    return watched.lines()[1][said:]


def _rebuilt(watched: Watched, waits: int, before: dict[Path, bytes]) -> Callable[[], bool]:
    """Whether a build after ``waits`` rewrote every PDF of ``before``."""
    return lambda: watched.waits() > waits and all(pdf.read_bytes() != old for pdf, old in before.items())


def _one_line(lines: list[str], pattern: str, name: str) -> None:
    """The mistake is said in one line at its file and line, then the build's one-line summary; no traceback."""
    assert [line for line in lines if re.fullmatch(pattern, line)] == [lines[0]], lines
    assert lines[1:] == [f"{name}: 1 problem; no PDF was written."], lines
    assert not any("Traceback" in line for line in lines), lines


def test_mistakes_in_a_warm_watch_are_one_line_each_and_the_fix_builds_cold_bytes(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    folder = tmp_path / "clinic"
    # The seed: a tri-fold, its print PDF with sentence-break trials; a fixed slug keeps the PDFs' names.
    content = seed_project(folder, ("layout: trifold\n", "layout: trifold\nslug: how-ketamine-affects-the-brain\n"))
    (folder / "templates").mkdir()
    template = folder / "templates" / "trifold.html"
    template.write_text(TEMPLATE, encoding="utf-8")  # the clinic's own template, watched from the start
    text = content.read_text(encoding="utf-8")
    out = folder / "out"
    watched = Watched(folder, "content.yaml", "--out", "out")
    try:
        watched.until("the first build", lambda: watched.waits() >= 1, time.monotonic() + HANG)
        pdfs = sorted(out.glob("*.pdf"))
        assert len(pdfs) == 2
        good = text
        for title in ("Ketamine and the Brain", "How Ketamine Works in the Brain", "What Ketamine Does in the Brain"):
            before = {pdf: pdf.read_bytes() for pdf in pdfs}
            waits = watched.waits()
            good = text.replace(TITLE, f"title: {title}")
            save(content, good)
            watched.until(f"the build titled {title}", _rebuilt(watched, waits, before), time.monotonic() + HANG)

        # A YAML mistake: the title a list.
        line = text.splitlines().index(TITLE) + 1
        kept, waits, said = _out(out), watched.waits(), len(watched.lines()[1])
        save(content, text.replace(TITLE, "title: [How, Ketamine]"))
        pattern = rf"content\.yaml:{line}: title: \S.*"
        _one_line(_said(watched, waits, said, pattern, kept, out), pattern, "content.yaml")

        # Back to the last good content (its PDFs are out/'s), then a mistake in the clinic's template.
        waits = watched.waits()
        save(content, good)
        watched.until("the good content again", lambda: watched.waits() > waits, time.monotonic() + HANG)
        kept, waits, said = _out(out), watched.waits(), len(watched.lines()[1])
        save(template, BROKEN_TEMPLATE)
        pattern = r"templates/trifold\.html:3: template syntax error: \S.*"
        _one_line(_said(watched, waits, said, pattern, kept, out), pattern, "content.yaml")

        # The fix: the template mended and the content edited once more.
        before = {pdf: pdf.read_bytes() for pdf in pdfs}
        waits = watched.waits()
        save(template, TEMPLATE)
        save(content, text.replace(TITLE, "title: Ketamine and Your Brain"))
        watched.until("the fix's build", _rebuilt(watched, waits, before), time.monotonic() + HANG)
        cold = subprocess.run([str(PYTHON), str(REPO / "build.py"), str(content), "--out", str(tmp_path / "cold")],
                              capture_output=True, text=True, timeout=HANG)
        assert cold.returncode == 0, cold.stderr
        for pdf in pdfs:
            assert pdf.read_bytes() == (tmp_path / "cold" / pdf.name).read_bytes(), f"{pdf.name} differs from cold"
        assert not any("Traceback" in line for line in watched.lines()[1])
    finally:
        watched.close()

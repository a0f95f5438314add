"""Review of session 10's tidy merge (memos.Kept, a render's own thread's messages): what broke when attacked."""

from __future__ import annotations

import logging
import shutil
from pathlib import Path

import pytest
from conftest import REPO

from brochure.render import memos
from brochure.render.pdf import render_pdf

FONT = REPO / "templates" / "fonts" / "OpenSans-Regular.ttf"
HEAD = ('<html lang="en"><head><title>Page</title><style>@font-face { font-family: "Open Sans"; src: url(sans.ttf) }'
        ' body { font-family: "Open Sans" } %s</style></head><body><p>%s</p></body></html>')
ODD = "brochure-review-probe"  # a property WeasyPrint does not know: it warns "Ignored ..." for it


def test_a_warning_is_kept_when_the_host_turns_thread_ids_off(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``logging.logThreads = False`` (a host app's speed setting) leaves ``record.thread`` None: a render's
    collector must keep its messages then (as stylesheets' ``_Records`` does), never drop them all."""
    folder = tmp_path / "project"
    folder.mkdir()
    shutil.copyfile(FONT, folder / "sans.ttf")
    monkeypatch.setattr(logging, "logThreads", False)
    rendered = render_pdf(HEAD % (f"p {{ {ODD}: 1 }}", "odd"), "email", folder, [folder], 1_700_000_000)
    assert any(ODD in warning for warning in rendered.warnings), rendered.warnings


def test_a_replaced_entry_is_the_most_recently_used() -> None:
    """``put(key, value, replace=True)`` of a kept key keeps the new value as the most recently used: the next
    eviction drops the oldest other entry, not the one just put."""
    kept: memos.Kept[str, int] = memos.Kept("BROCHURE_REVIEW_PROBE", lambda: 2)
    try:
        kept.put("a", 1)
        kept.put("b", 2)
        kept.put("a", 3, replace=True)
        kept.put("c", 4)
        assert kept.get("a") == 3 and kept.get("b") is None, list(kept.items())
    finally:
        memos._ALL.remove(kept)

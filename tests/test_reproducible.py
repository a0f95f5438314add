"""Reproducible builds: the same content gives the same bytes, whatever folder it is built
in or from, and the date inside is the one asked for, not the clock's.
"""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path

import pikepdf
from conftest import build, build_variant, make_content

EPOCH = 1_700_000_000  # 2023-11-14 22:13:20 UTC


def pdf_dates(path: Path) -> tuple[str, str]:
    with pikepdf.open(path) as pdf, pdf.open_metadata() as xmp:
        return str(pdf.docinfo["/CreationDate"]), xmp.get("xmp:CreateDate")


def two_builds(tmp_path: Path, **overrides):
    """The same content copied into two folders, each built into its own out/."""
    first = build_variant(tmp_path / "one", **overrides)
    second = build_variant(tmp_path / "two", **overrides)
    assert first.print != second.print and first.print.name == second.print.name
    return first, second


def test_same_bytes_with_source_date_epoch(tmp_path, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", str(EPOCH))
    first, second = two_builds(tmp_path)
    assert first.print.read_bytes() == second.print.read_bytes()
    assert first.email.read_bytes() == second.email.read_bytes()
    # The seed has revised: too; SOURCE_DATE_EPOCH wins over it.
    assert first.brochure.revised is not None
    for path in (first.print, first.email):
        assert pdf_dates(path) == ("D:20231114221320+00'00", "2023-11-14T22:13:20+00:00"), path.name
    assert os.environ["SOURCE_DATE_EPOCH"] == str(EPOCH), "the build must leave the variable as it was"


def test_same_bytes_without_source_date_epoch_uses_revised(tmp_path, monkeypatch):
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    first = build_variant(tmp_path / "one", revised=date(2025, 3, 4))
    # The second copy's file time differs: with revised: given, it must not matter.
    path = make_content(tmp_path / "two" / "content", revised=date(2025, 3, 4))
    os.utime(path, (EPOCH, EPOCH))
    build(path, tmp_path / "two" / "out")
    second_print = tmp_path / "two" / "out" / first.print.name
    second_email = tmp_path / "two" / "out" / first.email.name
    assert first.print.read_bytes() == second_print.read_bytes()
    assert first.email.read_bytes() == second_email.read_bytes()
    for path in (first.print, first.email):
        assert pdf_dates(path) == ("D:20250304000000+00'00", "2025-03-04T00:00:00+00:00"), path.name
    assert "SOURCE_DATE_EPOCH" not in os.environ, "the build must not leave SOURCE_DATE_EPOCH behind"


def test_different_content_gives_different_bytes(tmp_path, monkeypatch):
    """Control: the comparison above can fail; one changed word changes the PDFs."""
    monkeypatch.setenv("SOURCE_DATE_EPOCH", str(EPOCH))
    first = build_variant(tmp_path / "one")
    second = build_variant(tmp_path / "two", subtitle="A different subtitle")
    assert first.print.read_bytes() != second.print.read_bytes()
    assert first.email.read_bytes() != second.email.read_bytes()

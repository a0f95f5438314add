"""Review of session 7's changes (watch's read-ahead, the validated-content cache, links,
the stylesheet cache): each test is a wrong result found, marked as a strict expected failure
until it is fixed."""

from __future__ import annotations

from pathlib import Path

from conftest import run_main, write_minimal

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


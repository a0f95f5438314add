"""Integrity: a build that cannot be right writes nothing; the manifest tells the truth.

Hostile and careless situations around writing: a disk that fills up between the print
and the email PDF, a name too long for the file system, a save made while a build runs,
a copied project folder, two builds into one out/ at once. Each asserts the one-line
message and that out/ is byte for byte what it was, or that the PDFs are right.
"""

from __future__ import annotations

import errno
import json
import os
import shutil
import subprocess
from pathlib import Path

import pypdf
import pytest
from conftest import MINIMAL, PYTHON, REPO, run_main, snapshot, write_minimal

SLUG = "ketamine-and-your-brain"


def pdf_text(path: Path) -> str:
    return " ".join(page.extract_text() or "" for page in pypdf.PdfReader(path).pages)


def test_disk_full_on_the_second_pdf_leaves_out_exactly_as_it_was(tmp_path: Path, monkeypatch) -> None:
    import brochure.files

    content = write_minimal(tmp_path / "clinic")
    out = tmp_path / "out"
    assert run_main("build", str(content), "--out", str(out)).code == 0
    before = snapshot(out)
    content.write_text(MINIMAL.replace("Two to three hours", "Four hours"), encoding="utf-8")
    real_stage = brochure.files._stage
    calls: list[Path] = []

    def stage(path: Path, data: bytes) -> Path:
        calls.append(path)
        if len(calls) == 2:  # the first PDF is already staged: the disk fills up now
            raise OSError(errno.ENOSPC, "No space left on device")
        return real_stage(path, data)

    monkeypatch.setattr(brochure.files, "_stage", stage)
    run = run_main("build", str(content), "--out", str(out))
    assert run.code == 1
    assert run.err == [f"{out}: cannot write the PDFs here: No space left on device; nothing in this folder was changed",
                       f"{content}: 1 problem; no PDF was written."]
    assert snapshot(out) == before, "a failed write must leave every PDF and the manifest as they were"
    assert len(calls) == 2


def test_a_name_too_long_for_the_file_system_is_one_line(tmp_path: Path) -> None:
    slug = "-".join(["word"] * 60)  # 299 characters: more than a file name may have
    content = write_minimal(tmp_path / "clinic", ("paper: letter", f"paper: letter\nslug: {slug}"))
    out = tmp_path / "out"
    (out).mkdir()
    (out / "keep.txt").write_text("mine")
    before = snapshot(out)
    run = run_main("build", str(content), "--out", str(out))
    assert run.code == 1
    assert run.err[0] == f"{out}: cannot write the PDFs here: File name too long; nothing in this folder was changed"
    assert snapshot(out) == before


def test_a_save_during_the_build_is_not_recorded_as_built(tmp_path: Path, monkeypatch) -> None:
    """The manifest records the bytes that were rendered: the save is built next time."""
    from brochure.render import html

    content = write_minimal(tmp_path / "clinic")
    out = tmp_path / "out"
    real_render = html.render

    def render_then_save(*args, **kwargs):  # staff save while WeasyPrint works
        document = real_render(*args, **kwargs)
        content.write_text(MINIMAL.replace("Two to three hours", "Ninety minutes"), encoding="utf-8")
        return document

    monkeypatch.setattr(html, "render", render_then_save)
    assert run_main("build", str(content), "--out", str(out)).code == 0
    monkeypatch.undo()
    assert "Two to three hours" in pdf_text(out / f"{SLUG}-email.pdf")
    again = run_main("build", str(content), "--out", str(out))
    assert again.code == 0
    assert not any("up to date" in line for line in again.out), again.out
    assert "Ninety minutes" in pdf_text(out / f"{SLUG}-email.pdf")
    assert "Ninety minutes" in pdf_text(out / f"{SLUG}-print.pdf")


def test_a_copied_project_folder_builds(tmp_path: Path) -> None:
    project = tmp_path / "clinic"
    content = write_minimal(project)
    assert run_main("build", str(content), "--out", str(project / "out")).code == 0
    copy = tmp_path / "clinic copy"
    shutil.copytree(project, copy)
    moved = copy / "content.yaml"
    run = run_main("build", str(moved), "--out", str(copy / "out"))
    assert run.code == 0, run.err
    assert run.out == [f"{moved}: up to date ({copy / 'out' / (SLUG + '-email.pdf')}, "
                       f"{copy / 'out' / (SLUG + '-print.pdf')})"], run.out
    moved.write_text(MINIMAL.replace("Two to three hours", "Four hours"), encoding="utf-8")
    edited = run_main("build", str(moved), "--out", str(copy / "out"))
    assert edited.code == 0, edited.err
    assert "Four hours" in pdf_text(copy / "out" / f"{SLUG}-email.pdf")
    assert run_main("build", str(moved), "--out", str(copy / "out"), "--force").code == 0
    assert "Two to three hours" in pdf_text(project / "out" / f"{SLUG}-email.pdf"), "the original is untouched"
    recorded = json.loads((copy / "out" / "manifest.json").read_text(encoding="utf-8"))
    assert all(not entry["source"].startswith("/") for entry in recorded["pdfs"].values())
    assert str(tmp_path) not in json.dumps(recorded), "no absolute path of this computer in the manifest"


def test_two_builds_into_one_out_at_once_keep_each_others_entries(tmp_path: Path) -> None:
    out = tmp_path / "out"
    files = []
    for index in range(4):
        files.append(write_minimal(tmp_path / f"c{index}", ("title: Ketamine and Your Brain",
                                                            f"title: Handout number {index}")))
    processes = [subprocess.Popen([str(PYTHON), str(REPO / "build.py"), str(path), "--out", str(out), "--jobs", "1"],
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for path in files]
    for process in processes:
        _, err = process.communicate(timeout=300)
        assert process.returncode == 0, err
    recorded = json.loads((out / "manifest.json").read_text(encoding="utf-8"))["pdfs"]
    expected = {f"handout-number-{i}-{kind}.pdf" for i in range(4) for kind in ("print", "email")}
    assert set(recorded) == expected
    assert {p.name for p in out.iterdir()} == expected | {"manifest.json"}, "no temporary file left behind"
    for path in files:
        assert "up to date" in run_main("build", str(path), "--out", str(out)).out[0]


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders; the disk-full test covers the path")
def test_a_read_only_out_folder_is_one_line(tmp_path: Path) -> None:
    content = write_minimal(tmp_path / "clinic")
    out = tmp_path / "out"
    out.mkdir()
    out.chmod(0o555)
    try:
        run = run_main("build", str(content), "--out", str(out))
    finally:
        out.chmod(0o755)
    assert run.code == 1
    assert run.err[0] == f"{out}: cannot write the PDFs here: Permission denied; nothing in this folder was changed"

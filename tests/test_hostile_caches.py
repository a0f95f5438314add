"""Hostile caches and links between builds: what brochure keeps in out/ (the manifest, the
catalog's record, the proofs and their records) spoilt by hand, and links put where a
picture or out/ was.

A cache is never trusted: a pipe, a device, a link or a folder where one was is made again,
never waited on nor followed out of out/; a picture whose link now leads elsewhere is built
again, never "up to date"; a link that leads nowhere is one line, exit 1, nothing written.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from conftest import HANG, PYTHON, REPO, run_main, snapshot, write_minimal
from test_regenerate import SLUG, pdf_text

SLUGGED = ("paper: letter\n", f"paper: letter\nslug: {SLUG}\n")


@pytest.fixture(autouse=True)
def _epoch(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")


def brochure(folder: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """The CLI in a process of its own, so that a read that waits forever is a failed test,
    not a hung suite (HANG is a hang guard, never a measure)."""
    return subprocess.run([str(PYTHON), str(REPO / "build.py"), *args], cwd=folder, capture_output=True, text=True,
                          timeout=HANG)


@pytest.mark.parametrize("link", ["loop", "nowhere", "file"])
def test_out_as_a_link_that_leads_to_no_folder_is_one_line_and_nothing_is_written(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, link: str) -> None:
    content = write_minimal(tmp_path / "clinic")
    monkeypatch.chdir(content.parent)
    os.symlink({"loop": "out", "nowhere": "gone", "file": "content.yaml"}[link], "out")
    before = snapshot(content.parent)
    run = run_main("build", "content.yaml", "--out", "out")
    assert run.code == 1
    expected = ("--out out: this is a file, not a folder; give a folder for the PDFs" if link == "file" else
                "--out out: is a link that leads to no folder (a loop, or a folder since moved); give the folder itself")
    assert run.err == [expected], run.err
    assert snapshot(content.parent) == before


def test_a_picture_whose_link_is_pointed_elsewhere_is_built_again(tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """logo.svg is a link to images/a.svg; pointed at images/b.svg (other bytes), the PDFs are
    made again with b, never left "up to date" with a's picture."""
    content = write_minimal(tmp_path / "clinic", SLUGGED)
    folder = content.parent
    monkeypatch.chdir(folder)
    (folder / "images").mkdir()
    logo = (folder / "logo.svg").read_text(encoding="utf-8")
    assert "</svg>" in logo
    (folder / "images" / "a.svg").write_text(logo, encoding="utf-8")
    (folder / "images" / "b.svg").write_text(logo.replace("</svg>", '<rect width="1" height="1" fill="#c8682c"/></svg>'),
                                             encoding="utf-8")
    (folder / "logo.svg").unlink()
    os.symlink("images/a.svg", folder / "logo.svg")
    assert run_main("build", "content.yaml", "--out", "out").code == 0
    assert any("up to date" in line for line in run_main("build", "content.yaml", "--out", "out").out)
    with_a = snapshot(folder / "out")
    (folder / "logo.svg").unlink()
    os.symlink("images/b.svg", folder / "logo.svg")
    run = run_main("build", "content.yaml", "--out", "out")
    assert run.code == 0 and not any("up to date" in line for line in run.out), run.out
    made = run_main("build", "content.yaml", "--out", str(tmp_path / "cold"))  # b named through no link
    assert made.code == 0
    for pdf in (f"{SLUG}-print.pdf", f"{SLUG}-email.pdf"):
        assert (folder / "out" / pdf).read_bytes() != with_a[pdf]
        assert (folder / "out" / pdf).read_bytes() == (tmp_path / "cold" / pdf).read_bytes()
    assert any("up to date" in line for line in run_main("build", "content.yaml", "--out", "out").out)


def test_a_picture_replaced_by_a_link_out_of_the_project_is_one_line_even_with_the_same_bytes(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    content = write_minimal(tmp_path / "clinic", SLUGGED)
    folder = content.parent
    monkeypatch.chdir(folder)
    assert run_main("build", "content.yaml", "--out", "out").code == 0
    before = snapshot(folder / "out")
    (tmp_path / "outside").mkdir()
    shutil.copy(folder / "logo.svg", tmp_path / "outside" / "logo.svg")
    (folder / "logo.svg").unlink()
    os.symlink(tmp_path / "outside" / "logo.svg", folder / "logo.svg")
    run = run_main("build", "content.yaml", "--out", "out")
    assert run.code == 1
    assert run.err[0].startswith("content.yaml:13: clinic.logo: 'logo.svg' is outside the content's folder"), run.err
    assert snapshot(folder / "out") == before


def _fifo_or_zero(path: Path, how: str, outside: Path) -> None:
    path.unlink(missing_ok=True)
    if how == "pipe":
        os.mkfifo(path)
    elif how == "dev-zero":
        os.symlink("/dev/zero", path)
    else:
        os.symlink(outside, path)


@pytest.mark.parametrize("how", ["pipe", "dev-zero", "link-out"])
def test_the_catalogs_record_as_a_pipe_a_device_or_a_link_is_made_again(tmp_path: Path, how: str) -> None:
    content = write_minimal(tmp_path / "clinic", SLUGGED)
    folder = content.parent
    assert brochure(folder, "build", "content.yaml", "--out", "out", "--catalog").returncode == 0
    record = folder / "out" / "catalog.json"
    good = json.loads(record.read_text(encoding="utf-8"))
    outside = tmp_path / "secret.json"
    outside.write_text(json.dumps({**good, "today": "1999-01-01"}), encoding="utf-8")
    _fifo_or_zero(record, how, outside)
    content.write_text(content.read_text(encoding="utf-8").replace("Your Brain", "Your Mind"), encoding="utf-8")
    run = brochure(folder, "build", "content.yaml", "--out", "out", "--catalog")
    assert run.returncode == 0 and "Traceback" not in run.stderr, run.stderr
    assert not record.is_symlink() and record.is_file()
    assert json.loads(record.read_text(encoding="utf-8"))["today"] != "1999-01-01"
    assert json.loads(outside.read_text(encoding="utf-8"))["today"] == "1999-01-01", "a file outside out/ changed"
    assert "Ketamine and Your Mind" in (folder / "out" / "index.html").read_text(encoding="utf-8")


@pytest.mark.parametrize("how", ["pipe", "dev-zero", "link-out"])
@pytest.mark.parametrize("which", ["record", "picture"])
def test_a_proof_or_its_record_as_a_pipe_a_device_or_a_link_is_drawn_again(tmp_path: Path, how: str,
                                                                           which: str) -> None:
    content = write_minimal(tmp_path / "clinic", SLUGGED)
    folder = content.parent
    assert brochure(folder, "proof", "content.yaml", "--out", "out").returncode == 0
    proofs = folder / "out" / "proof"
    record_file = proofs / f"{SLUG}-email.pdf.json"
    picture = proofs / f"{SLUG}-email-1.png"
    outside = tmp_path / "outside.png"
    shutil.copy(picture, outside)  # the same bytes as the proof: a link to it would match the record
    _fifo_or_zero(record_file if which == "record" else picture, how, outside if which == "picture" else tmp_path)
    done = subprocess.run([str(PYTHON), "-c", "import sys; from pathlib import Path; from brochure.proof import "
                           "current_proofs; print([p.name for p in current_proofs(Path(sys.argv[1]), Path(sys.argv[2]))])",
                           str(folder / "out" / f"{SLUG}-email.pdf"), str(folder / "out")],
                          cwd=REPO, capture_output=True, text=True, timeout=HANG)
    assert done.returncode == 0, done.stderr
    assert not picture.is_symlink() and not record_file.is_symlink()
    assert picture.is_file() and record_file.is_file()
    assert json.loads(record_file.read_text(encoding="utf-8"))["pages"][0]["file"] == picture.name
    assert "Ketamine and Your Brain" in pdf_text(folder / "out" / f"{SLUG}-email.pdf")

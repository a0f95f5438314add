"""Hostile files and a full disk: nothing waits forever, nothing half-made is written.

- A named pipe (mkfifo) or a link to /dev/zero where a picture, the content, a template or
  the locations' CSV should be: opening a pipe waits for a writer and /dev/zero never ends,
  so each is refused in one line (exit 1, out/ as it was) or, for a template, passed over
  as a missing one; never read.
- A full disk: for the forked helper's unnamed temporary files (the build does the work
  itself, the same bytes), and for the whole build (one line, exit 1, out/ as it was).

Builds that could hang run in their own process, with a hang guard of minutes."""

from __future__ import annotations

import hashlib
import os
import subprocess
from pathlib import Path

import pytest
from conftest import HANG, PYTHON, REPO, edit, seed_project, snapshot, write_minimal

from brochure.render.pdf import RenderError, render_pdf


def _cli(folder: Path, *args: str, env: dict[str, str] | None = None,
         driver: str | None = None) -> subprocess.CompletedProcess[str]:
    """``build.py ARGS`` (or a driver script) in ``folder``, in its own process."""
    program = [str(PYTHON), "-c", driver, *args] if driver else [str(PYTHON), str(REPO / "build.py"), *args]
    return subprocess.run(program, cwd=folder, capture_output=True, text=True, timeout=HANG,
                          env={**os.environ, "SOURCE_DATE_EPOCH": "1700000000", **(env or {})})


def _built(tmp_path: Path) -> tuple[Path, Path, dict[str, bytes]]:
    """A minimal handout built once: its content file, out/ and out/'s files."""
    content = write_minimal(tmp_path / "clinic")
    result = _cli(content.parent, "build", "content.yaml", "--jobs", "1")
    assert result.returncode == 0, result.stderr
    out = content.parent / "out"
    return content, out, snapshot(out)


def _one_line(result: subprocess.CompletedProcess[str]) -> list[str]:
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert result.returncode == 1 and "Traceback" not in result.stderr, result.stderr
    return lines


@pytest.mark.parametrize("hostile", ["fifo", "dev-zero"])
def test_a_pipe_or_dev_zero_named_as_a_picture_is_one_line_and_out_stays(tmp_path: Path, hostile: str) -> None:
    content, out, before = _built(tmp_path)
    picture = content.parent / "pictures" / "scan.png"
    picture.parent.mkdir()
    if hostile == "fifo":
        os.mkfifo(picture)
    else:  # a link inside the project to a link to the device: followed, it leads out
        (content.parent / "pictures" / "device").symlink_to("/dev/zero")
        picture.symlink_to("device")
    edit(content, "    body: Two to three hours for most adults.",
         "    body: |\n      Two to three hours for most adults.\n\n      ![A scan](pictures/scan.png)")
    result = _cli(content.parent, "build", "content.yaml", "--jobs", "1", "--force")
    lines = _one_line(result)
    expected = "'pictures/scan.png' is a pipe, a device or a socket, not a file" if hostile == "fifo" \
        else "'pictures/scan.png' is outside the content's folder"
    assert any(line.startswith("content.yaml:") and "sections[1].body: " in line and expected in line
               for line in lines), lines
    assert snapshot(out) == before


def test_a_pipe_as_the_logo_is_one_line(tmp_path: Path) -> None:
    content, out, before = _built(tmp_path)
    (content.parent / "logo.svg").unlink()
    os.mkfifo(content.parent / "logo.svg")
    lines = _one_line(_cli(content.parent, "build", "content.yaml", "--jobs", "1", "--force"))
    assert any(line.startswith("content.yaml:13: clinic.logo: 'logo.svg' is a pipe") for line in lines), lines
    assert snapshot(out) == before


def test_a_picture_replaced_by_a_pipe_after_a_build_is_one_line(tmp_path: Path) -> None:
    """The no-op check hashes the recorded inputs without opening a pipe; the build then says why."""
    content, out, _ = _built(tmp_path)
    picture = content.parent / "map.png"
    picture.write_bytes((REPO / "tests" / "corpus" / "pictures" / "meter.png").read_bytes())
    edit(content, "    body: Two to three hours for most adults.",
         "    body: |\n      Two to three hours for most adults.\n\n      ![A map](map.png)")
    assert _cli(content.parent, "build", "content.yaml", "--jobs", "1").returncode == 0
    before = snapshot(out)
    picture.unlink()
    os.mkfifo(picture)
    lines = _one_line(_cli(content.parent, "build", "content.yaml", "--jobs", "1"))
    assert any("'map.png' is a pipe, a device or a socket, not a file" in line for line in lines), lines
    assert snapshot(out) == before


def test_a_pipe_as_the_content_file_is_one_line(tmp_path: Path) -> None:
    folder = tmp_path / "clinic"
    folder.mkdir()
    os.mkfifo(folder / "content.yaml")
    lines = _one_line(_cli(folder, "build", "content.yaml", "--jobs", "1"))
    assert lines[0] == "content.yaml: cannot be read: it is a pipe, a device or a socket, not a file", lines
    assert not (folder / "out").exists()


def test_a_pipe_as_the_locations_csv_is_one_line(tmp_path: Path) -> None:
    content = write_minimal(tmp_path / "clinic")
    os.mkfifo(content.parent / "locations.csv")
    with content.open("a", encoding="utf-8") as file:
        file.write("variants: locations.csv\n")
    lines = _one_line(_cli(content.parent, "build", "content.yaml", "--jobs", "1"))
    assert any("variants: 'locations.csv' is a pipe, a device or a socket, not a file" in line for line in lines), lines
    assert not (content.parent / "out").exists()


@pytest.mark.parametrize("hostile", ["fifo", "dev-zero"])
def test_importing_a_pipe_or_dev_zero_is_one_line(tmp_path: Path, hostile: str) -> None:
    article = tmp_path / "article.md"
    if hostile == "fifo":
        os.mkfifo(article)
    else:
        article.symlink_to("/dev/zero")  # its size says 0; read, it never ends
    lines = _one_line(_cli(tmp_path, "import", "article.md"))
    assert lines == ["article.md: cannot be read (it is a pipe, a device or a socket, not a file)"], lines
    assert not (tmp_path / "article.yaml").exists()


def test_a_pipe_where_a_template_would_be_is_passed_over_as_a_missing_one(tmp_path: Path) -> None:
    """A clinic's template that is a pipe is no template, as the stylesheets' and the manifest's
    look-ups already treat it: the bundled one is used, and the PDFs are those without it."""
    content, out, before = _built(tmp_path)
    (content.parent / "templates").mkdir()
    os.mkfifo(content.parent / "templates" / "handout.html")
    result = _cli(content.parent, "build", "content.yaml", "--jobs", "1", "--force")
    assert result.returncode == 0, result.stderr
    assert {k: v for k, v in snapshot(out).items() if k.endswith(".pdf")} == \
        {k: v for k, v in before.items() if k.endswith(".pdf")}


def test_the_renderer_refuses_a_pipe_named_by_the_html_without_waiting(tmp_path: Path) -> None:
    """Defence in depth: a picture checked as a file and replaced by a pipe before WeasyPrint
    reads it fails the render in one message instead of waiting for a writer."""
    os.mkfifo(tmp_path / "pic.png")
    with pytest.raises(RenderError, match=r"pic\.png"):
        render_pdf('<html lang="en"><body><p>Text</p><img src="pic.png" alt="A picture"></body></html>',
                   "email", tmp_path, [tmp_path], 1_700_000_000)


# The CLI as build.py runs it, noting each render "<pid> <main pid> <output>" in RENDER_LOG; in
# any process but the build's own, the unnamed temporary files go to /dev/full, where every
# write fails for want of space (ENOSPC), as on a full disk.
DISK_FULL_FOR_THE_HELPER = """\
import os, sys, tempfile
sys.path.insert(0, {repo!r})
MAIN = os.getpid()
real = tempfile.TemporaryFile
def temporary(*args, **kwargs):
    if os.getpid() != MAIN:
        return open("/dev/full", "w+b")
    return real(*args, **kwargs)
tempfile.TemporaryFile = temporary
from brochure.render import job
original = job.render
def render(made, *args, **kwargs):
    with open(os.environ["RENDER_LOG"], "a", encoding="utf-8") as log:
        log.write(f"{{os.getpid()}} {{MAIN}} {{made.output}}\\n")
    return original(made, *args, **kwargs)
job.render = render
from brochure.cli import main
sys.exit(main())
"""


def _hashes(out: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(out.glob("*.pdf"))}


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="no /dev/full to stand for a full disk")
def test_a_full_disk_for_the_helpers_temporary_files_is_a_plain_fallback(tmp_path: Path) -> None:
    content = seed_project(tmp_path / "seed")  # the tri-fold: a helper renders its email PDF
    alone = _cli(content.parent, "build", "content.yaml", "--out", "alone", "--jobs", "1")
    assert alone.returncode == 0, alone.stderr
    log = tmp_path / "renders.log"
    result = _cli(content.parent, "build", "content.yaml", "--out", "full", "--jobs", "2",
                  env={"RENDER_LOG": str(log)}, driver=DISK_FULL_FOR_THE_HELPER.format(repo=str(REPO)))
    assert result.returncode == 0 and "Traceback" not in result.stderr, result.stderr
    renders = [line.split() for line in log.read_text(encoding="utf-8").splitlines()]
    # The helper rendered the email PDF and could not hand it over; this process made it again.
    assert [output for pid, main, output in renders if pid != main] == ["email"], renders
    assert sorted(output for pid, main, output in renders if pid == main) == ["email", "print"], renders
    assert _hashes(content.parent / "full") == _hashes(content.parent / "alone")
    assert result.stderr.replace("/full/", "/alone/") == alone.stderr


# The CLI with every file it writes limited to 100 kB (``ulimit -f``): past that, a write
# fails (EFBIG) as on a full disk. Fonts, PDFs and the manifest all need more.
DISK_FULL = """\
import resource, sys
sys.path.insert(0, {repo!r})
resource.setrlimit(resource.RLIMIT_FSIZE, (100_000, 100_000))
from brochure.cli import main
sys.exit(main())
"""


def test_a_full_disk_is_one_line_and_out_stays(tmp_path: Path) -> None:
    content, out, before = _built(tmp_path)
    result = _cli(content.parent, "build", "content.yaml", "--jobs", "1", "--force",
                  driver=DISK_FULL.format(repo=str(REPO)))
    lines = _one_line(result)
    assert lines == ["cannot write: a file is larger than this computer allows (the file-size limit) (File too large); "
                     "free some space or raise the limit and run it again: the PDFs in out are as they were"], lines
    assert snapshot(out) == before

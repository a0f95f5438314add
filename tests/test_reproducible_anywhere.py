"""Same inputs, same bytes, wherever and whenever they are built.

A project copied to another folder (fresh file times, as ``cp -r`` or a checkout gives),
built into another ``--out``, from another working folder, with another hash seed and time
zone and no ``SOURCE_DATE_EPOCH``: every PDF, ``index.html``, ``catalog.pdf`` and cover
picture is the same, byte for byte. Only the caches (``manifest.json``, ``catalog.json``)
may differ: they name the project's files from out/, which moved.

Each build runs in its own process, as staff run it.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pikepdf
import pytest
from conftest import HANG, PYTHON, REPO

CORPUS = REPO / "tests" / "corpus"
CACHES = {"manifest.json", "catalog.json"}


def _project(folder: Path) -> Path:
    """The corpus's picture handout (no ``revised:``) with its pictures, plus a fourth picture
    that is a copy of the first under another name; return its content file."""
    folder.mkdir(parents=True)
    shutil.copytree(CORPUS / "pictures", folder / "pictures")
    shutil.copy(folder / "pictures" / "meter.png", folder / "pictures" / "meter-again.png")
    text = (CORPUS / "pictures-handout.yaml").read_text(encoding="utf-8")
    assert "revised" not in text
    text = text.replace("  - heading: Stay active\n", "  - heading: The same meter\n    body: |\n"
                        "      ![The meter again](pictures/meter-again.png){.third}\n\n"
                        "      The same picture, saved under another name.\n  - heading: Stay active\n", 1)
    content = folder / "pictures-handout.yaml"
    content.write_text(text, encoding="utf-8")
    return content


def _build(content: Path, out: Path, cwd: Path, **env: str) -> None:
    base = {k: v for k, v in os.environ.items() if k != "SOURCE_DATE_EPOCH"}
    result = subprocess.run([str(PYTHON), str(REPO / "build.py"), "build", os.path.relpath(content, cwd),
                             "--out", os.path.relpath(out, cwd), "--catalog", "--jobs", "1"],
                            cwd=cwd, capture_output=True, text=True, timeout=HANG, env={**base, **env})
    assert result.returncode == 0, result.stderr


def _same_day_zone() -> str:
    """A time zone far from UTC whose date is UTC's now. The catalog is "as of" UTC's day
    (``environment.review_day``), whatever the zone: tests/test_catalog_day.py shows zones of
    other days; here a zone of the same day keeps this test about the copy alone."""
    now = datetime.now(UTC)
    return next(zone for zone in ("Asia/Kolkata", "America/Chicago", "Pacific/Auckland", "Pacific/Honolulu")
                if now.astimezone(ZoneInfo(zone)).date() == now.date())


def _outputs(out: Path) -> dict[str, str]:
    return {p.relative_to(out).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(out.rglob("*")) if p.is_file() and p.name not in CACHES}


def test_a_copied_project_built_elsewhere_into_another_out_gives_the_same_bytes(tmp_path: Path) -> None:
    first = _project(tmp_path / "clinic")
    _build(first, tmp_path / "clinic" / "out", tmp_path / "clinic", PYTHONHASHSEED="1", TZ="UTC")
    # The copy: another folder, other file times, run from elsewhere into an --out far away.
    second = tmp_path / "copied" / "to" / "another" / "place" / "clinic" / first.name
    shutil.copytree(first.parent, second.parent, ignore=shutil.ignore_patterns("out"))
    for path in second.parent.rglob("*"):
        os.utime(path, (1_000_000_000, 1_000_000_000))
    (tmp_path / "elsewhere").mkdir()
    _build(second, tmp_path / "elsewhere" / "output", tmp_path, PYTHONHASHSEED="2", TZ=_same_day_zone())

    one, two = _outputs(tmp_path / "clinic" / "out"), _outputs(tmp_path / "elsewhere" / "output")
    assert {"pictures-handout-print.pdf", "pictures-handout-email.pdf", "index.html", "catalog.pdf",
            "catalog/pictures-handout.png"} <= set(one)
    assert one == two

    # Undated content is dated by no clock and no file time: 1980-01-01, the "no date known".
    with pikepdf.open(tmp_path / "clinic" / "out" / "pictures-handout-print.pdf") as pdf:
        assert str(pdf.docinfo["/CreationDate"]) == "D:19800101000000+00'00"
    # The catalog names the handout from its folder, not from where the build ran.
    page = (tmp_path / "elsewhere" / "output" / "index.html").read_text(encoding="utf-8")
    assert '<div class="file">pictures-handout.yaml · handout' in page
    assert "copied" not in page and str(tmp_path) not in page


def test_pictures_are_named_by_their_bytes_one_object_per_distinct_picture(tmp_path: Path) -> None:
    """The control: naming pictures by their bytes keeps different pictures apart, and writes
    one picture saved under two names once."""
    content = _project(tmp_path / "clinic")
    _build(content, tmp_path / "out", tmp_path, SOURCE_DATE_EPOCH="1700000000")
    distinct = {hashlib.sha256((content.parent / "pictures" / name).read_bytes()).hexdigest()
                for name in ("meter.png", "meter-again.png", "plate.png", "walking.png")}
    assert len(distinct) == 3
    for output in ("print", "email"):
        with pikepdf.open(tmp_path / "out" / f"pictures-handout-{output}.pdf") as pdf:
            names = {str(name) for page in pdf.pages for name, xobject in page.Resources.get("/XObject", {}).items()
                     if xobject.get("/Subtype") == "/Image"}
        assert len(names) == 3, (output, names)


def test_the_catalog_names_handouts_from_their_project_never_from_where_the_command_ran(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from brochure.catalog import catalog_names

    project = tmp_path / "clinic"
    (project / "handouts" / "es").mkdir(parents=True)
    (project / "brochure.yaml").write_text("clinic:\n  name: A clinic\n", encoding="utf-8")
    first, second = project / "handouts" / "first.yaml", project / "handouts" / "es" / "first.es.yaml"
    loose = [tmp_path / "a" / "content.yaml", tmp_path / "b" / "content.yaml"]
    for path in (first, second, *loose):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("title: T\n", encoding="utf-8")
    for cwd in (tmp_path, project / "handouts", tmp_path / "a"):
        monkeypatch.chdir(cwd)
        given = [(first, os.path.relpath(first)), (second, str(second))]
        assert catalog_names(given) == {os.path.relpath(first): "handouts/first.yaml",
                                        str(second): "handouts/es/first.es.yaml"}
        assert catalog_names([(p, os.path.relpath(p)) for p in loose]) == {
            os.path.relpath(loose[0]): "a/content.yaml", os.path.relpath(loose[1]): "b/content.yaml"}
    # One file named twice on the command line: the names as given tell the two apart.
    assert catalog_names([(first, "x.yaml"), (first, "./x.yaml")]) == {"x.yaml": "x.yaml", "./x.yaml": "./x.yaml"}

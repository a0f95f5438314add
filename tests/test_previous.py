"""A warm process's build resumes its layouts from the last build's of the same document (render/previous.py).

In one process, a sequence of builds with edits of every kind (the same content again, the title, the subtitle,
a paragraph in the first and in the last article panel, the contact fields, a picture replaced on disk under its
name, the theme's colour, the outputs list, an edit and its undo) each writes the PDFs a fresh process writes
cold with every memo off (sha256 of every PDF), and the pages kept (``Session.kept``: pages WeasyPrint took as
they were, per layout the build made itself) show that keeping happened where it should and not where it must
not. Hostile: a copied project folder, a font file changed under its name, two threads building the same
document at once, memos off, a build that fails after its layout (nothing of it kept).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

from conftest import HANG, REPO, SEED_LOGO, seed_project
from fontTools.ttLib import TTFont

EPOCH = "1700000000"
TITLE = "title: How Ketamine Affects the Brain"

# Runs in a fresh process: each step's writes (a file's new text, or "copy:<path>" for another file's bytes),
# then a build into out/<n>; prints, per step, the PDFs' hashes and each kind's pages kept, or the error.
WARM = """\
import hashlib, json, shutil, sys, threading
from pathlib import Path
from brochure import build
from brochure.errors import ContentError
from brochure.render import previous

folder, out = Path(sys.argv[1]), Path(sys.argv[2])
steps = json.loads(sys.argv[3])
kept = {}
commit = previous.Session.commit

def logged(self, text, document):
    kept.setdefault(self.key[0], []).extend(self.kept)
    commit(self, text, document)

previous.Session.commit = logged

def hashes(folder):
    return {f.name: hashlib.sha256(f.read_bytes()).hexdigest() for f in sorted(folder.glob("*.pdf"))}

def build_into(path, target, report, fail=False):
    import weasyprint.document
    write = weasyprint.document.Document.write_pdf
    if fail:  # the PDF cannot be written: the layout is made, the render fails
        def broken(*args, **kwargs):
            raise RuntimeError("disk gone")
        weasyprint.document.Document.write_pdf = broken
    try:
        build.build_file(path, target)
        report.update(hashes(target))
    except (ContentError, RuntimeError) as error:
        report["error"] = str(error)
    finally:
        weasyprint.document.Document.write_pdf = write

seen = []
for n, step in enumerate(steps):
    for name, text in step["writes"].items():
        if text.startswith("copy:"):
            shutil.copyfile(text[5:], folder / name)
        else:
            (folder / name).write_text(text, encoding="utf-8")
    kept.clear()
    paths = [folder / name for name in step.get("build", ["content.yaml"])]
    reports = [{} for _ in paths]
    if step.get("threads"):
        threads = [threading.Thread(target=build_into, args=(path, out / f"{n}-{i}", report))
                   for i, (path, report) in enumerate(zip(paths, reports))]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    else:
        for i, (path, report) in enumerate(zip(paths, reports)):
            build_into(path, out / f"{n}-{i}", report, step.get("fail", False))
    stored = sorted([key[0], key[1].rstrip("/").rsplit("/", 1)[-1]] for key, _ in previous.LAYOUTS.items())
    seen.append({"pdfs": reports, "kept": dict(kept), "stored": stored})
print(json.dumps(seen))
"""


def _env(**extra: str) -> dict[str, str]:
    env = {**os.environ, "SOURCE_DATE_EPOCH": EPOCH, **extra}
    if "BROCHURE_MEMOS" not in extra:
        env.pop("BROCHURE_MEMOS", None)
    return env


def _warm(folder: Path, steps: list[dict[str, Any]], **env: str) -> list[dict[str, Any]]:
    run = subprocess.run([sys.executable, "-c", WARM, str(folder), str(folder.parent / "warm"), json.dumps(steps)],
                         env=_env(**env), cwd=REPO, capture_output=True, text=True, timeout=HANG * 2)
    assert run.returncode == 0, run.stderr
    return list(json.loads(run.stdout))


def _cold(content: Path, out: Path) -> dict[str, str]:
    """The PDFs of ``content`` built by a fresh process, every memo off: their hashes."""
    out.parent.mkdir(parents=True, exist_ok=True)
    run = subprocess.run([sys.executable, "build.py", str(content), "--out", str(out), "--jobs", "1"],
                         env=_env(BROCHURE_MEMOS="off"), cwd=REPO, capture_output=True, text=True, timeout=HANG)
    assert run.returncode == 0, run.stderr
    return {f.name: hashlib.sha256(f.read_bytes()).hexdigest() for f in sorted(out.glob("*.pdf"))}


def _replay(folder: Path, steps: list[dict[str, Any]], warm: list[dict[str, Any]], fresh: Any) -> None:
    """Each step's state made again from the start (``fresh()``), built cold in a fresh process: the warm PDFs."""
    fresh()
    for n, (step, seen) in enumerate(zip(steps, warm)):
        for name, text in step["writes"].items():
            if text.startswith("copy:"):
                shutil.copyfile(text[5:], folder / name)
            else:
                (folder / name).write_text(text, encoding="utf-8")
        for i, name in enumerate(step.get("build", ["content.yaml"])):
            if "error" in seen["pdfs"][i]:
                continue
            assert _cold(folder / name, folder.parent / "cold" / f"{n}-{i}") == seen["pdfs"][i], (n, step, seen)


def _seed_text(*replace: tuple[str, str]) -> str:
    text = (REPO / "content.yaml").read_text(encoding="utf-8")
    for old, new in replace:
        assert old in text, old
        text = text.replace(old, new, 1)
    return text


def test_every_kind_of_edit_in_one_process_writes_a_fresh_process_s_bytes(tmp_path: Path) -> None:
    """Edits one after the other, as a watch session makes them; each build's PDFs are a fresh process's."""
    folder = tmp_path / "clinic"
    seed_project(folder)
    other_logo = tmp_path / "logo-new.svg"
    other_logo.write_text(SEED_LOGO.read_text(encoding="utf-8").replace("</svg>", '<circle r="1" fill="#c8682c"/></svg>'),
                          encoding="utf-8")
    assert other_logo.read_bytes() != SEED_LOGO.read_bytes()
    edits: list[tuple[str, str]] = []

    def then(*replace: tuple[str, str]) -> dict[str, Any]:
        edits.extend(replace)
        return {"writes": {"content.yaml": _seed_text(*edits)}}

    steps: list[dict[str, Any]] = [
        {"writes": {}},  # 0: cold in this process
        {"writes": {}},  # 1: the same content again
        then((TITLE, "title: Ketamine and the Brain")),  # 2
        then(("subtitle: What to know", "subtitle: What you should know")),  # 3
        then(("In itself, ketamine is an", "In itself, ketamine is a strong")),  # 4: the first article panel
        then(("Nowadays, mental health", "Today, mental health")),  # 5: the last one
        then(("phone: (913) 871-9888", "phone: (913) 871-9800")),  # 6: on the cover and the back
        {"writes": {"logo.svg": f"copy:{other_logo}"}},  # 7: a picture replaced under its name
        then(('primary: "#1d5c73"', 'primary: "#1d5c74"')),  # 8: the theme's colour
        then(("lang: en-US\n", "lang: en-US\noutputs: [print]\n")),  # 9: the outputs list
        then(("outputs: [print]\n", "")),  # 10: both again
        then(("title: Ketamine and the Brain", "title: Ketamine, the Brain and You")),  # 11: an edit...
        then(("title: Ketamine, the Brain and You", "title: Ketamine and the Brain")),  # 12: ...and its undo
    ]
    warm = _warm(folder, steps)
    kept = [seen["kept"] for seen in warm]
    assert all(step["pdfs"][0] and "error" not in step["pdfs"][0] for step in warm), warm
    assert kept[0] == {"print": [0, 2, 2], "email": [0]}, kept  # nothing yet; the trials keep cover and back
    assert kept[1] == {"print": [6], "email": [5]}, kept  # the same HTML: every page (the chosen breaks' layout)
    # The title, the subtitle: the article and the back, in the first layout and in each trial (the last build's).
    assert kept[2]["print"] == kept[3]["print"] == [5, 5, 5], kept
    assert kept[4]["print"] == kept[5]["print"] == [2, 2, 2], kept  # a paragraph: the cover and the back
    assert kept[6]["print"] == [4, 4, 4], kept  # the phone (on the cover and the back): the article
    assert kept[7]["print"][0] == kept[7]["email"][0] == 0, kept  # the logo's bytes: nothing
    assert kept[8]["print"][0] == kept[8]["email"][0] == 0, kept  # the colour (the head's styles): nothing
    assert kept[9] == {"print": [6]} and kept[10] == {"print": [6], "email": [5]}, kept  # the outputs list
    assert kept[11]["print"] == [5, 5, 5] and kept[12] == {"print": [6], "email": [5]}, kept  # an edit, its undo
    assert warm[12]["pdfs"] == warm[10]["pdfs"] and warm[1]["pdfs"] == warm[0]["pdfs"]
    _replay(folder, steps, warm, lambda: seed_project(folder))


def test_hostile_a_copied_folder_a_font_changed_two_threads_a_failed_build(tmp_path: Path) -> None:
    """A copy of the project (the same content, another folder), a clinic font replaced under its name, two
    threads building the same document at once, a build that fails once its layout is made: each build's
    PDFs are a fresh process's, and nothing is kept from another folder, another font or a failed build."""
    folder, copy = tmp_path / "clinic", tmp_path / "copy"
    fonts = REPO / "templates" / "fonts"

    def fresh() -> None:
        for each in (folder, copy):
            seed_project(each, ("theme:\n", "theme:\n  font: fonts/Brand.ttf\n"))
            (each / "fonts").mkdir(exist_ok=True)
            shutil.copyfile(fonts / "OpenSans-Regular.ttf", each / "fonts" / "Brand.ttf")

    fresh()
    narrower = tmp_path / "Narrower.ttf"  # the brand's new file: Open Sans 3% narrower (other lines, same fit)
    with TTFont(fonts / "OpenSans-Regular.ttf") as font:
        font["hmtx"].metrics = {name: (round(width * 0.97), lsb) for name, (width, lsb) in font["hmtx"].metrics.items()}
        font.save(narrower)
    steps: list[dict[str, Any]] = [
        {"writes": {}},  # 0
        {"writes": {}, "build": ["../copy/content.yaml"]},  # 1: the copy (same HTML but its folder's URLs)
        {"writes": {}},  # 2: the first again
        {"writes": {"fonts/Brand.ttf": f"copy:{narrower}"}},  # 3: the font replaced under its name
        {"writes": {}, "build": ["content.yaml", "content.yaml"], "threads": True},  # 4: two threads at once
        {"writes": {}},  # 5
        {"writes": {}, "fail": True},  # 6: fails after its layout
        {"writes": {}},  # 7
    ]
    warm = _warm(folder, steps)
    kept = [seen["kept"] for seen in warm]
    assert kept[0] == kept[1] == {"print": [0, 2, 2], "email": [0]}, kept  # the copy: another folder, nothing
    assert kept[2] == {"print": [6], "email": [5]}, kept
    assert kept[3]["print"][0] == 0 and kept[3]["email"] == [0], warm[3]  # another font: nothing
    # Two threads: one resumes from the last layouts, the other finds none taken and lays out in full.
    assert sorted(kept[4]["print"]) in ([0, 6], [6, 6], [0, 0]) and warm[4]["pdfs"][0] == warm[4]["pdfs"][1], kept
    assert kept[5] == {"print": [6], "email": [5]}, kept
    assert ["print", "clinic"] in warm[5]["stored"], warm[5]
    assert "disk gone" in warm[6]["pdfs"][0]["error"] and ["print", "clinic"] not in warm[6]["stored"], warm[6]
    # The print's layouts went with the failed build; its email was not made: kept.
    assert kept[7]["print"][0] == 0 and kept[7]["email"] == [5], kept
    assert warm[7]["pdfs"] == warm[5]["pdfs"] != warm[2]["pdfs"]  # the new font's
    _replay(folder, steps, warm, fresh)


def test_memos_off_keeps_nothing_and_writes_the_same_bytes(tmp_path: Path) -> None:
    folder = tmp_path / "clinic"
    seed_project(folder)
    steps: list[dict[str, Any]] = [{"writes": {}}, {"writes": {"content.yaml": _seed_text((TITLE, "title: Ketamine"))}},
                                   {"writes": {"content.yaml": _seed_text((TITLE, "title: Ketamine"))}}]
    off = _warm(folder, steps, BROCHURE_MEMOS="off")
    assert all(seen["kept"]["email"] == [0] and seen["kept"]["print"][0] == 0 and seen["stored"] == []
               for seen in off), off
    seed_project(folder)
    on = _warm(folder, steps)
    assert [seen["pdfs"] for seen in on] == [seen["pdfs"] for seen in off]
    assert on[2]["kept"] == {"print": [6], "email": [5]}, on

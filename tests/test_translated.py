"""A translation is stale when its source's text changed, not when a date did: ``brochure translated``
records, in a lock file beside the translation, what each part of the source said; check, build,
the catalog and the preview then name each part changed, added or removed since."""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
from datetime import date
from pathlib import Path

import yaml
from conftest import REPO, edit, run_main
from test_preview_truth import _page, _running

from brochure.checks.review import check_content
from brochure.content import load_with_source
from brochure.content.translated import lock_path
from brochure.runner import run
from brochure.serve import Preview
from brochure.settings import Settings

BILINGUAL = REPO / "examples" / "bilingual"
CHAIN = REPO / "examples" / "chain"



def stale(path: Path) -> list[str]:
    brochure, source = load_with_source(path, path.name)
    return [f"{f.key}: {f.message}" for f in check_content(brochure, source, today=date(2026, 12, 1))
            if f.kind == "translation"]


def bilingual(folder: Path) -> tuple[Path, Path]:
    shutil.copytree(BILINGUAL, folder)
    return folder / "content.yaml", folder / "content.es.yaml"


def test_the_examples_are_recorded_and_clean() -> None:
    for translation in (BILINGUAL / "content.es.yaml", CHAIN / "handouts" / "first-visit.es.yaml"):
        assert lock_path(translation).is_file()
        assert stale(translation) == []


def test_a_changed_section_is_named_and_a_date_alone_changes_nothing(tmp_path: Path) -> None:
    english, spanish = bilingual(tmp_path / "single")
    edit(english, "revised: 2026-11-25", "revised: 2027-03-01")  # a date alone: not stale
    assert stale(spanish) == []
    # Rewrapped text is the same text.
    text = english.read_text(encoding="utf-8")
    english.write_text(re.sub(r"(body: >-?\n\s+\S+ \S+) ", r"\1\n      ", text, count=1), encoding="utf-8")
    assert stale(spanish) == []
    edit(english, "receptors", "receptor sites")  # in the body of "What Ketamine Does", sections[0]
    found = stale(spanish)
    assert len(found) == 1, found
    assert found[0].startswith("sections[0]: stale translation: the section “")
    assert "of content.yaml changed since this was translated; translate it again, then run brochure translated " \
           "content.es.yaml" in found[0]
    run_ = run_main("translated", str(spanish))
    assert run_.code == 0 and run_.out == [f"wrote {lock_path(spanish)}: {spanish} translates content.yaml as it is now"]
    assert stale(spanish) == []


def test_sections_added_removed_and_reworded_are_each_named(tmp_path: Path) -> None:
    english, spanish = bilingual(tmp_path / "single")
    data = english.read_text(encoding="utf-8")
    headings = re.findall(r"- heading: (.+)", data)
    edit(english, f"- heading: {headings[1]}", f"- heading: {headings[1]}, in short")  # reworded in place
    edit(english, f"  - heading: {headings[0]}", f"  - heading: A new first section\n    body: New words.\n\n"
                                                   f"  - heading: {headings[0]}")
    found = stale(spanish)
    assert any(f.startswith("sections[0]: stale translation: the section “A new first section” was added to "
                            "content.yaml") for f in found), found
    assert any(f.startswith(f"sections[2]: stale translation: the section “{headings[1]}, in short” of content.yaml "
                            "changed") for f in found), found
    # The section inserted is one addition, not a change to every section after it.
    assert sum("stale translation" in f for f in found) == 2, found
    # And the section count no longer matches: the structure check says so too.
    assert any(f.startswith("sections: has ") for f in found), found
    run_main("translated", str(spanish))
    data = yaml.safe_load(english.read_text(encoding="utf-8"))
    last = data["sections"].pop()["heading"]
    english.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    found = stale(spanish)
    assert any(f"the section “{last}” was removed from content.yaml since this was translated; remove it here" in f
               for f in found), found


def test_without_a_record_the_dates_speak_and_a_note_says_how_to_record(tmp_path: Path) -> None:
    english, spanish = bilingual(tmp_path / "single")
    lock_path(spanish).unlink()
    found = stale(spanish)
    assert found == [": no record of which text of content.yaml this translates: once it matches, run "
                     "brochure translated content.es.yaml, so that a later change to that text is reported"], found
    edit(english, "revised: 2026-11-25", "revised: 2027-03-01")
    assert any("stale translation: content.yaml was revised on 2027-03-01" in f for f in stale(spanish))


def test_translated_refuses_what_is_not_a_translation(tmp_path: Path) -> None:
    english, _ = bilingual(tmp_path / "single")
    result = run_main("translated", str(english), str(tmp_path / "nothing.es.yaml"))
    assert result.code == 1 and result.out == []
    assert result.err == [f"{english}: not a translation: a translation is named like first-visit.es.yaml, beside "
                          "the first-visit.yaml it translates", f"{tmp_path / 'nothing.es.yaml'}: no such file"]


def _one_location(folder: Path) -> None:
    """examples/chain with its first location only: the same project, built in a third of the time."""
    shutil.copytree(CHAIN, folder)
    rows = list(csv.reader(io.StringIO((folder / "locations.csv").read_text(encoding="utf-8"))))
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(rows[:2])
    (folder / "locations.csv").write_text(buffer.getvalue(), encoding="utf-8")


def test_a_project_reports_the_one_section_changed_in_check_build_catalog_and_preview(tmp_path: Path) -> None:
    project = tmp_path / "chain"
    _one_location(project)
    english = project / "handouts" / "first-visit.yaml"
    spanish = project / "handouts" / "first-visit.es.yaml"
    out = project / "out"
    assert run_main("build", str(project), "--out", str(out)).code == 0
    edit(english, "Eat a light meal two hours before your visit.", "Eat a small meal three hours before your visit.")
    wanted = re.compile(r"sections\[0\]: stale translation: the section “Before you come” of \S*handouts/"
                        r"first-visit\.yaml changed since this was translated")
    # check
    checked = run_main("check", str(project), "--format", "json")
    findings = json.loads("\n".join(checked.out))["findings"]
    translation = [f for f in findings if f["kind"] == "translation"]
    assert len(translation) == 1, translation
    assert translation[0]["file"].endswith("first-visit.es.yaml")
    assert wanted.match(f"{translation[0]['key']}: {translation[0]['message']}"), translation
    # build: its summary line, and the catalog
    built = run_main("build", str(project), "--out", str(out))
    summary = [line for line in built.err if "first-visit.es.yaml: warning:" in line]
    assert len(summary) == 1 and "1 translation" in summary[0].lower(), built.err
    catalog = json.loads((out / "catalog.json").read_text(encoding="utf-8"))
    units = [found for key, found in catalog["units"].items() if key.split("\0")[0].endswith("first-visit.es.yaml")]
    assert units and all(sum(kind == "translation" for kind, _, _ in found) == 1 for found in units), units
    record = next(h for name, h in catalog["handouts"].items() if name.endswith("first-visit.es.yaml"))
    assert record["checks"]["kinds"].get("translation") == 1
    assert "Before you come" in (out / "index.html").read_text(encoding="utf-8")
    # preview
    files = [(path, str(path.relative_to(project))) for path in sorted((project / "handouts").glob("*.yaml"))]
    preview = Preview(tmp_path / "preview", dpi=20)
    preview.update(run(files, Settings(tmp_path / "preview", jobs=1, check=True, skip_fresh_files=False)))
    with _running(preview) as port:
        page = _page(port, "?handout=handouts/first-visit.yaml&lang=es-US")
    assert "Before you come" in page and "changed since this was translated" in page
    # After brochure translated: clean everywhere.
    assert run_main("translated", str(spanish)).code == 0
    checked = run_main("check", str(project), "--format", "json")
    assert [f for f in json.loads("\n".join(checked.out))["findings"] if f["kind"] == "translation"] == []
    built = run_main("build", str(project), "--out", str(out))
    assert not [line for line in built.err if "first-visit.es.yaml: warning:" in line], built.err
    catalog = json.loads((out / "catalog.json").read_text(encoding="utf-8"))
    record = next(h for name, h in catalog["handouts"].items() if name.endswith("first-visit.es.yaml"))
    assert "translation" not in record["checks"]["kinds"]


def test_a_hand_edited_or_blocked_lock_file_is_no_crash(tmp_path: Path) -> None:
    _, spanish = bilingual(tmp_path / "single")
    lock = lock_path(spanish)
    lock.write_text('{"format": 1, "parts": [{"key": 3}', encoding="utf-8")  # cut short by hand
    found = stale(spanish)
    assert len(found) == 1 and found[0].startswith(": no record of which text of content.yaml this translates"), found
    lock.unlink()
    lock.mkdir()  # a folder in the way: the lock cannot be written, said in one line
    result = run_main("translated", str(spanish))
    assert result.code == 1 and result.err == [f"cannot write {lock}: Is a directory"], result.err

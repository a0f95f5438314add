"""Document control: out/ belongs to the project, approval fields are validated like every key,
a --strict build refuses what is not approved when the project asks, and the catalog sorts and
filters in a real browser."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from conftest import SEED_LOGO, run_main, write_minimal
from test_preview import real_browser

EMAIL_ONLY = ("paper: letter\n", "paper: letter\noutputs: [email]\n")
PROJECT = "clinic: {name: Heartland, phone: (816) 555-0199, logo: logo.svg}\nlayout: handout\n"


def _project(root: Path, project: str = PROJECT, **handouts: str) -> Path:
    root.mkdir(parents=True)
    shutil.copy(SEED_LOGO, root / "logo.svg")
    (root / "brochure.yaml").write_text(project, encoding="utf-8")
    for name, extra in (handouts or {"care": ""}).items():
        path = write_minimal(root / "handouts", EMAIL_ONLY, ("  logo: logo.svg\n", ""),
                             ("title: Ketamine and Your Brain", f"title: {name.title()}\n{extra}"), name=f"{name}.yaml")
        assert path.is_file()
    (root / "handouts" / "logo.svg").unlink()
    return root


def test_a_project_built_from_another_folder_writes_its_own_out(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = _project(tmp_path / "project")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    run = run_main("build", str(root), "-j", "1")
    assert run.code == 0, run.err
    assert (root / "out" / "care-email.pdf").is_file() and (root / "out" / "index.html").is_file()
    assert list(elsewhere.iterdir()) == []


@pytest.mark.parametrize("where", ["", "root", "handouts", "file", "missing"])
def test_an_out_folder_that_cannot_be_is_one_line_before_anything_is_rendered(tmp_path: Path, where: str) -> None:
    root = _project(tmp_path / "project")
    (tmp_path / "notes.txt").write_text("mine")
    given = {"": "", "root": str(root), "handouts": str(root / "handouts"), "file": str(tmp_path / "notes.txt"),
             "missing": str(tmp_path / "no-such-folder" / "out")}[where]
    before = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*"))
    run = run_main("build", str(root), "--out", given, "-j", "1")
    assert run.code == 1 and run.out == [] and len(run.err) == 1, (run.out, run.err)
    expected = {"": "--out: names no folder; give a folder for the PDFs, like out",
                "root": f"--out {given}: this is the project's own folder; the PDFs go in a folder of their own, "
                        f"like {given}/out",
                "handouts": f"--out {given}: this folder holds handouts (care.yaml); the PDFs go in a folder of their "
                            f"own, like {given}/out",
                "file": f"--out {given}: this is a file, not a folder; give a folder for the PDFs",
                "missing": f"--out {given}: the folder {tmp_path / 'no-such-folder'} does not exist; make it first, "
                           "or give a folder that does"}[where]
    assert run.err == [expected]
    assert sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*")) == before  # nothing made, nothing rendered


def test_a_single_file_cannot_write_its_pdfs_among_its_content(tmp_path: Path) -> None:
    content = write_minimal(tmp_path / "single", EMAIL_ONLY)
    run = run_main("build", str(content), "--out", str(tmp_path / "single"))
    assert run.code == 1 and run.err == [f"--out {tmp_path / 'single'}: this folder holds handouts (content.yaml); "
                                         f"the PDFs go in a folder of their own, like {tmp_path / 'single' / 'out'}"]


def test_approval_keys_are_validated_with_did_you_mean_in_a_handout_and_in_the_project(tmp_path: Path) -> None:
    root = _project(tmp_path / "project", PROJECT + "status: in reveiw\nowner: Nurse Ana\n",
                    care="status: aproved\nversion: 1.3\napprovd_by: Dr. Ruiz")
    run = run_main("check", str(root))
    assert run.code == 1
    assert "brochure.yaml:3: status: must be one of: 'draft', 'in review', 'approved', 'retired'; did you mean " \
           "'in review'?" in "\n".join(run.err), run.err
    root.joinpath("brochure.yaml").write_text(PROJECT + "status: in review\nowner: Nurse Ana\n")
    run = run_main("check", str(root))
    err = "\n".join(run.err)
    assert "handouts/care.yaml:2: status: must be one of: 'draft', 'in review', 'approved', 'retired'; did you mean " \
           "'approved'?" in err, err
    assert "handouts/care.yaml:4: approvd_by: unknown key; did you mean 'approved_by'?" in err, err


def test_a_strict_build_refuses_what_is_not_approved_when_the_project_requires_it(tmp_path: Path) -> None:
    root = _project(tmp_path / "project", PROJECT + "require_approval: true\nstatus: draft\n",
                    care="status: approved\napproved_by: Dr. Ruiz", visit="", stop="status: retired")
    loose = run_main("build", str(root), "-j", "1")
    assert loose.code == 0 and not [line for line in loose.err if "requires approval" in line], loose.err
    strict = run_main("build", str(root), "-j", "1", "--strict")
    lines = [line for line in strict.err if "requires approval" in line]
    assert strict.code == 1
    assert lines == [
        f"{root / 'handouts' / 'stop.yaml'}:2: status: is 'retired', and this project requires approval "
        f"(require_approval: true): {root / 'handouts' / 'stop.yaml'} may not go to print until its status is approved",
        f"{root / 'brochure.yaml'}:4: status: is 'draft', and this project requires approval (require_approval: true): "
        f"{root / 'handouts' / 'visit.yaml'} may not go to print until its status is approved"], lines
    catalog = (root / "out" / "index.html").read_text(encoding="utf-8")
    assert '<span class="status approved">approved</span>' in catalog and "approved by Dr. Ruiz" in catalog


def test_the_catalog_sorts_and_filters_in_a_browser_and_reads_without_a_script(tmp_path: Path) -> None:
    root = _project(tmp_path / "project", PROJECT + "owner: Education Team\n",
                    alpha="status: approved\nowner: Maria\nreview_by: 2020-01-01",
                    beta="status: draft\nreview_by: 2099-01-01", gamma="status: in review")
    (root / "handouts" / "beta.es.yaml").write_text("title: Beta en español\nlang: es\nsections:\n"
                                                    "  - heading: Qué hace\n    body: Bloquea receptores.\n"
                                                    "  - heading: Cuánto dura\n    body: De dos a tres horas.\n",
                                                    encoding="utf-8")
    assert run_main("build", str(root), "-j", "1").code == 0
    index = root / "out" / "index.html"
    with real_browser() as browser:
        page = browser.new_page()
        page.goto(index.as_uri())

        def shown() -> list[str]:
            return page.eval_on_selector_all("#catalog tbody tr:not([hidden]) .title", "ts => ts.map(t => t.textContent)")

        assert shown() == ["Alpha", "Beta", "Gamma"]
        assert page.inner_text("#controls output") == "3 of 3 handouts shown"
        page.get_by_label("Sort by", exact=True).select_option("review-by")
        assert shown() == ["Alpha", "Beta", "Gamma"]  # 2020 (overdue), 2099, then no date
        page.get_by_label("Sort by", exact=True).select_option("status")
        assert shown() == ["Alpha", "Beta", "Gamma"]  # approved, draft, in-review
        page.get_by_label("Status", exact=True).select_option("in-review")
        assert shown() == ["Gamma"]
        page.get_by_label("Status", exact=True).select_option("")
        page.get_by_label("Owner", exact=True).select_option("Maria")
        assert shown() == ["Alpha"]
        page.get_by_label("Owner", exact=True).select_option("")
        page.get_by_label("Language", exact=True).select_option("es")
        assert shown() == ["Beta"]
        page.get_by_label("Language", exact=True).select_option("")
        page.get_by_label("Review", exact=True).select_option("overdue")
        assert shown() == ["Alpha"] and page.inner_text("#controls output") == "1 of 3 handouts shown"
        page.get_by_label("Review", exact=True).select_option("undated")
        assert shown() == ["Beta", "Gamma"]  # the Spanish has no review date: Beta's row has one undated language
        # Each count of findings leads to its findings.
        page.get_by_label("Review", exact=True).select_option("")
        link = page.locator("#alpha td:last-child a").first
        target = link.get_attribute("href")
        assert target and target.startswith("#findings-")
        link.click()
        assert page.evaluate("location.hash") == target
        assert page.locator(f"{target} li").count() >= 1
        # Without a script: every row, and no controls that do nothing.
        plain = browser.new_page(java_script_enabled=False)
        plain.goto(index.as_uri())
        assert plain.locator("#controls").is_hidden()
        assert plain.locator("#catalog tbody tr:visible").count() == 3
        assert plain.locator(".badge.bad").count() == 1 and plain.locator(".badge.warn").count() == 2


def test_new_makes_a_handout_that_builds_and_never_overwrites(tmp_path: Path) -> None:
    import pikepdf

    folder = tmp_path / "start"
    made = run_main("new", str(folder))
    assert made.code == 0, made.err
    assert sorted(p.name for p in folder.iterdir()) == ["content.schema.json", "content.yaml", "logo.svg"]
    built = run_main("build", str(folder / "content.yaml"), "--out", str(tmp_path / "out"), "-j", "1")
    assert built.code == 0, built.err
    pdfs = sorted((tmp_path / "out").glob("*.pdf"))
    assert [p.name for p in pdfs] == ["your-first-visit-email.pdf", "your-first-visit-print.pdf"]
    for pdf in pdfs:
        with pikepdf.open(pdf) as document:
            assert len(document.pages) >= 1
    before = (folder / "content.yaml").read_bytes()
    again = run_main("new", str(folder))
    assert again.code == 1 and again.out == []
    assert again.err == [f"{folder / 'content.yaml'}: already exists; brochure new never overwrites a file: give "
                         "another folder"]
    assert (folder / "content.yaml").read_bytes() == before


def test_new_project_builds_as_it_is_with_its_translation_clean(tmp_path: Path) -> None:
    import json

    import pikepdf

    folder = tmp_path / "clinic"
    made = run_main("new", str(folder), "--project")
    assert made.code == 0, made.err
    assert {p.relative_to(folder).as_posix() for p in folder.rglob("*")} >= {
        "brochure.yaml", "locations.csv", "logo.svg", "handouts/first-visit.yaml", "handouts/first-visit.es.yaml",
        "handouts/first-visit.es.lock.json", "brochure.schema.json", "content.schema.json"}
    schema = json.loads((folder / "brochure.schema.json").read_text(encoding="utf-8"))
    assert {"clinic", "locations", "require_approval", "status", "owner"} <= set(schema["properties"])
    built = run_main("build", str(folder), "-j", "2")
    assert built.code == 0, built.err
    assert not [line for line in built.err if "warning" in line], built.err  # clean as it is, translation too
    pdfs = sorted((folder / "out").glob("*-*.pdf"))
    assert len(pdfs) == 8, pdfs  # two locations, two languages, print and email
    for pdf in pdfs:
        with pikepdf.open(pdf) as document:
            assert len(document.pages) >= 1
    assert "Su primera visita" in (folder / "out" / "index.html").read_text(encoding="utf-8")
    again = run_main("new", str(folder), "--project")
    assert again.code == 1 and len(again.err) == 1 and "already exists" in again.err[0]


def test_approval_keys_on_a_single_file(tmp_path: Path) -> None:
    content = write_minimal(tmp_path / "single", ("title: Ketamine and Your Brain",
                                                  "title: Ketamine and Your Brain\nstatus: Draft\nversion: 2\nownr: Ana"))
    run = run_main("check", str(content))
    assert run.code == 1
    assert run.err == [f"{content}:2: status: must be one of: 'draft', 'in review', 'approved', 'retired'; did you mean "
                       "'draft'?", f"{content}:4: ownr: unknown key; did you mean 'owner'?"], run.err
    from brochure.content import load

    content.write_text(content.read_text().replace("status: Draft", "status: in review").replace("ownr", "owner"))
    brochure = load(content)
    assert (brochure.status, brochure.version, brochure.owner) == ("in review", "2", "Ana")

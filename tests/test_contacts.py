"""The contact check: a phone number, email or web address typed into the text that is not
the location's own (the old handouts to convert to {clinic.phone})."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

from conftest import run_main, seed_project

from brochure.checks.findings import KINDS

CSV = ("id,clinic.phone,clinic.website,clinic.email\n"
       "overland-park,(913) 555-0101,op.heartland.example,op@heartland.example\n"
       "lees-summit,(816) 555-0199,ls.heartland.example,\n")


def chain(folder: Path, *replace: tuple[str, str]) -> Path:
    """The seed as a two-location chain whose last section still gives the main number."""
    path = seed_project(folder, ("  phone: (913) 871-9888", "  phone: (816) 555-0199\n  website: heartland.example"),
                        ("Ketamine at (913) 871-9888.", "Ketamine at (816) 555-0199."),
                        ("layout: trifold", "layout: handout\nvariants: locations.csv"), *replace)
    (folder / "locations.csv").write_text(CSV, encoding="utf-8")
    return path


def contact_findings(path: Path) -> dict[str | None, list[str]]:
    from brochure.build import brochures
    from brochure.checks.review import check_content

    found = {}
    for variant, brochure, source in brochures(path, "content.yaml"):
        found[variant] = [str(f) for f in check_content(brochure, source, today=date(2026, 11, 25))
                          if f.kind == "contact"]
    return found


def test_a_literal_number_that_is_not_the_locations_own_is_a_warning(tmp_path):
    content = chain(tmp_path)
    line = content.read_text(encoding="utf-8").splitlines().index("      Balanced Ketamine at (816) 555-0199.") + 1
    found = contact_findings(content)
    assert found["overland-park"] == [
        f"content.yaml:{line}: sections[3].body: this text says (816) 555-0199; location overland-park's phone is "
        "(913) 555-0101: use {clinic.phone} (or list it under checks.other_contacts if it is another service's)"]
    assert found["lees-summit"] == [], "the main number is this location's own: nothing to report"


def test_a_merge_field_or_another_services_number_is_not_reported(tmp_path):
    assert contact_findings(chain(tmp_path / "a", ("Ketamine at (816) 555-0199.", "Ketamine at {clinic.phone}."))) \
        == {"overland-park": [], "lees-summit": []}
    listed = chain(tmp_path / "b", ("paper: letter", "paper: letter\nchecks:\n  other_contacts: ['816-555-0199']"))
    assert contact_findings(listed) == {"overland-park": [], "lees-summit": []}


def test_emails_and_another_locations_website_but_not_other_sites(tmp_path):
    content = chain(tmp_path, ("      Nevertheless,", "      Write to op@heartland.example, see heartland.example, "
                                                    "ls.heartland.example/visit or 988lifeline.org.\n      Nevertheless,"))
    found = contact_findings(content)
    said = [message.split(": ", 2)[2] for message in found["overland-park"]]
    assert sorted(m.split(";")[0] for m in said) == [
        "this text says (816) 555-0199", "this text says heartland.example", "this text says ls.heartland.example"]
    assert any("location overland-park's website is op.heartland.example: use {clinic.website}" in m for m in said)
    ls = [message.split(": ", 2)[2].split(" (or")[0] for message in found["lees-summit"]]
    assert sorted(ls) == ["this text says heartland.example; location lees-summit's website is ls.heartland.example: "
                          "use {clinic.website}",
                          "this text says op@heartland.example, but location lees-summit's clinic.email is empty: add "
                          "it there and write {clinic.email} in the text"]


def test_the_kind_is_registered_and_in_the_json_report(tmp_path):
    assert list(KINDS)[:2] == ["required", "contact"]
    content = seed_project(tmp_path, ("Ketamine at (913) 871-9888.", "Ketamine at (913) 871-9000."),
                           ("layout: trifold", "layout: handout"))
    run = run_main("check", str(content), "--format", "json")
    report = json.loads("\n".join(run.out))
    assert report["summary"]["by_kind"]["contact"] == {"warning": 1, "info": 0}
    (finding,) = [f for f in report["findings"] if f["kind"] == "contact"]
    assert finding["message"].startswith("this text says (913) 871-9000; this handout's phone is (913) 871-9888")

"""One handout, many locations: merge fields in the text, and the locations CSV as a
spreadsheet writes it (multi-line cells, row numbers, separators, one bad row)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from conftest import make_content, run_main, seed_project, tool, without_check_summary

MAIN = "(816) 555-0199"
CHAIN = {  # id -> phone, address
    "overland-park": ("(913) 555-0101", "1 Main St\nOverland Park, KS 66212"),
    "lees-summit": ("(816) 555-0102", "2 Oak Ave"),
    "olathe": ("(913) 555-0103", "3 Elm St"),
    "blue-springs": ("(816) 555-0104", "4 Pine Rd"),
    "liberty": ("(816) 555-0105", "5 Cedar Ct"),
}


def _csv(rows: dict[str, tuple[str, str]], sep: str = ",", extra: str = "hours", newline: str = "\n") -> str:
    lines = [sep.join(["id", "clinic.phone", "clinic.address", extra])]
    for number, (row_id, (phone, address)) in enumerate(rows.items()):
        lines.append(sep.join([row_id, phone, f'"{address}"', f"{8 + number} to 5"]))
    return newline.join(lines) + newline


def chain(folder: Path, *replace: tuple[str, str], csv: str | None = None) -> Path:
    """The seed as a 5-location chain (as a handout): the main number in clinic.phone,
    locations.csv with each location's phone, address and hours, and the last section's text
    calling {clinic.phone}."""
    path = seed_project(folder, ("  phone: (913) 871-9888", f"  phone: {MAIN}"),
                        ("Ketamine at (913) 871-9888.", "Ketamine at {clinic.phone}."),
                        ("layout: trifold", "layout: handout\nvariants: locations.csv"), *replace)
    (folder / "locations.csv").write_text(csv if csv is not None else _csv(CHAIN), encoding="utf-8", newline="")
    return path


def pdf_text(pdf: Path) -> str:
    return tool("pdftotext", str(pdf), "-").stdout  # reading order, column by column


def digits(text: str) -> set[str]:
    return {re.sub(r"\D", "", m) for m in re.findall(r"\(\d{3}\) \d{3}-\d{4}", text)}


# --- merge fields -----------------------------------------------------------------------------

def test_each_location_shows_only_its_own_phone(tmp_path):
    """A 5-location chain whose text says {clinic.phone}: every PDF of a location gives that
    location's number, in the text as in the contact block, and never another's or the main one."""
    content = chain(tmp_path / "chain", ("intro: >-\n", "intro: >-\n  Questions? Call {clinic.phone}, {location.hours}.\n"))
    out = tmp_path / "out"
    run = run_main("build", str(content), "--out", str(out))
    assert run.code == 0, "\n".join(run.err)
    for variant, (phone, _) in CHAIN.items():
        for output in ("print", "email"):
            text = pdf_text(out / f"how-ketamine-affects-the-brain-{variant}-{output}.pdf")
            assert digits(text) == {re.sub(r"\D", "", phone)}, f"{variant} {output}: {sorted(digits(text))}"
            flat = " ".join(text.split())
            assert f"Call {phone}" in flat, f"{variant} {output}: the intro's field was not filled in"
            assert "Ketamine at " + phone in flat, f"{variant} {output}: the last section's field"
            assert "{clinic.phone}" not in text and "{location" not in text


def test_a_field_is_a_link_and_its_value_is_never_formatting(tmp_path):
    from brochure.build import brochures
    from brochure.render.markup import markdown

    content = make_content(tmp_path, clinic={"name": "Care *Plus* <b>", "website": "care.example/visit",
                                             "email": "front_desk@care.example"},
                           intro="Call {clinic.phone} or see {clinic.website}; {clinic.name}; write {clinic.email}.")
    ((_, brochure, _),) = brochures(content, "content.yaml")
    html = str(markdown(brochure.intro or ""))
    assert '<a href="tel:+19138719888">(913) 871-9888</a>' in html
    assert '<a href="https://care.example/visit">care.example/visit</a>' in html
    assert '<a href="mailto:front_desk@care.example">front_desk@\u200bcare.\u200bexample</a>' in html
    assert "Care *Plus* &lt;b&gt;" in html, "the inserted name must show as typed, not as Markdown or HTML"


def test_braces_that_are_not_fields_print_as_typed(tmp_path):
    from brochure.build import brochures

    content = make_content(tmp_path, intro="Write {{clinic.phone}} to insert the number; {{ 7*7 }} and { a } stay.",
                           subtitle="Open {{x.y}} and {clinic.name}")
    ((_, brochure, _),) = brochures(content, "content.yaml")
    assert brochure.intro == r"Write \{clinic\.phone\} to insert the number; {{ 7*7 }} and { a } stay."
    assert brochure.subtitle == "Open {x.y} and Balanced Ketamine"


def test_an_unknown_field_is_a_located_error_with_did_you_mean(tmp_path):
    content = seed_project(tmp_path, ("      The effects of ketamine tend",
                                      "      Call {clinic.phnoe} {location.huors}.\n      The effects of ketamine tend"),
                           ("layout: trifold", "layout: handout\nvariants:\n  - id: north\n    location: {hours: 9 to 5}"))
    line = content.read_text(encoding="utf-8").splitlines().index("      Call {clinic.phnoe} {location.huors}.") + 1
    run = run_main("build", str(content), "--out", str(tmp_path / "out"))
    assert run.code == 1
    errors = without_check_summary(run.err)
    assert any(e.startswith(f"{content}:{line}: sections[1].body: {{clinic.phnoe}} is not a field; did you mean "
                            "{clinic.phone}? the fields are {clinic.name}, {clinic.phone}") for e in errors), errors
    assert any(f":{line}: sections[1].body: {{location.huors}} is not a field; did you mean {{location.hours}}?" in e
               for e in errors), errors
    assert not (tmp_path / "out").exists() or not list((tmp_path / "out").glob("*.pdf"))


def test_a_field_one_location_lacks_fails_that_location_only(tmp_path):
    csv = "id,clinic.phone,hours\nnorth,(913) 555-0101,9 to 5\nsouth,(913) 555-0102,\n"
    content = chain(tmp_path / "c", ("intro: >-\n", "intro: >-\n  Open {location.hours}.\n"), csv=csv)
    out = tmp_path / "out"
    run = run_main("build", str(content), "--out", str(out))
    assert run.code == 1
    assert any(e.endswith("intro: {location.hours}: location south has no value for hours; fill in its hours "
                          "(a column of the locations, or location.hours for every location)") for e in run.err), run.err
    assert sorted(p.name for p in out.glob("*.pdf")) == [
        "how-ketamine-affects-the-brain-north-email.pdf", "how-ketamine-affects-the-brain-north-print.pdf"]


def test_a_text_starting_with_a_field_needs_quotes(tmp_path):
    content = make_content(tmp_path)
    text = content.read_text(encoding="utf-8")
    content.write_text(re.sub(r"^title: .*$", "title: {clinic.name}", text, flags=re.M), encoding="utf-8")
    run = run_main("build", str(content), "--out", str(tmp_path / "out"))
    assert run.code == 1
    assert f"{content}:1: title: YAML reads a text that starts with {{ as a group of keys; put the whole text " \
           f'in quotes: "{{clinic.name}} ..."' in run.err, run.err
    content.write_text(re.sub(r"^title: .*$", "title: {clinic.name} near you", text, flags=re.M), encoding="utf-8")
    run = run_main("build", str(content), "--out", str(tmp_path / "out"))
    assert run.code == 1 and "must be in quotes" in run.err[0], run.err


# --- the CSV as a spreadsheet writes it --------------------------------------------------------

@pytest.mark.parametrize(("sep", "newline"), [(",", "\n"), (";", "\r\n"), ("\t", "\n")])
def test_multi_line_cells_keep_their_lines_whatever_the_separator(tmp_path, sep, newline):
    from brochure.build import brochures

    content = chain(tmp_path, csv=_csv(dict(list(CHAIN.items())[:2]), sep, newline=newline))
    built = {variant: b for variant, b, _ in brochures(content, "content.yaml")}
    assert built["overland-park"].clinic.address == "1 Main St\nOverland Park, KS 66212"
    assert built["overland-park"].clinic.phone == "(913) 555-0101"
    assert built["lees-summit"].location == {"id": "lees-summit", "hours": "9 to 5"}


def test_a_two_line_address_prints_on_two_lines(tmp_path):
    content = chain(tmp_path / "c", csv=_csv(dict(list(CHAIN.items())[:1])))
    out = tmp_path / "out"
    assert run_main("build", str(content), "--out", str(out)).code == 0
    lines = [line.strip() for line in pdf_text(out / "how-ketamine-affects-the-brain-overland-park-email.pdf").splitlines()]
    at = next(i for i, line in enumerate(lines) if line.endswith("1 Main St"))
    assert lines[at + 1] == "Overland Park, KS 66212", lines[at - 2:at + 3]


def test_errors_name_the_row_a_spreadsheet_shows(tmp_path):
    """Row 1 holds the names; a cell on two lines is one row; an empty row still counts."""
    csv = ('id,clinic.phone,clinic.address\n'
           'north,(913) 555-0101,"1 Main St\nSuite 2\nOverland Park"\n'
           '\n'
           'south,not a phone,2 Oak Ave\n')
    content = chain(tmp_path, csv=csv)
    run = run_main("build", str(content), "--out", str(tmp_path / "out"))
    assert run.code == 1
    assert "locations.csv:4: clinic.phone: 'not a phone' is not a phone number; write it like (913) 871-9888" \
        in run.err, run.err


def test_one_bad_row_fails_only_its_location(tmp_path):
    rows = dict(CHAIN)
    csv = _csv(rows).replace("(816) 555-0102", "call us")  # lees-summit, row 3
    content = chain(tmp_path / "c", csv=csv)
    out = tmp_path / "out"
    run = run_main("build", str(content), "--out", str(out), "--jobs", "2")
    assert run.code == 1
    assert "locations.csv:3: clinic.phone: 'call us' is not a phone number; write it like (913) 871-9888" in run.err
    assert any(line.endswith("1 problem; the other 8 PDFs were written.") for line in run.err), run.err
    built = sorted(p.name for p in out.glob("*.pdf"))
    assert len(built) == 8 and not any("lees-summit" in name for name in built)
    # The next build is not "up to date": the bad row is reported until it is fixed.
    again = run_main("build", str(content), "--out", str(out))
    assert again.code == 1 and "locations.csv:3: clinic.phone: 'call us' is not a phone number; " \
        "write it like (913) 871-9888" in again.err, again.out + again.err
    (tmp_path / "c" / "locations.csv").write_text(_csv(rows), encoding="utf-8")
    fixed = run_main("build", str(content), "--out", str(out))
    assert fixed.code == 0, fixed.err
    assert len(list(out.glob("*.pdf"))) == 10
    assert run_main("build", str(content), "--out", str(out)).out[0].startswith(f"{content}: up to date")


def test_a_row_without_a_usable_id_is_named_by_its_row(tmp_path):
    csv = _csv(dict(list(CHAIN.items())[:2])).replace("lees-summit", "Lees Summit")
    content = chain(tmp_path / "c", csv=csv)
    run = run_main("build", str(content), "--out", str(tmp_path / "out"))
    assert run.code == 1
    assert "locations.csv:3: id: 'Lees Summit' must be lowercase words joined by dashes, like north-clinic" in run.err
    assert len(list((tmp_path / "out").glob("*.pdf"))) == 2


def test_check_with_one_bad_row_checks_the_other_locations(tmp_path):
    """`check` on a file with one bad row: the row as one located line, the other locations
    still checked (their findings reported, one per location), exit status 1."""
    csv = _csv(dict(list(CHAIN.items())[:3])).replace("(816) 555-0102", "call us")  # lees-summit, row 3
    content = chain(tmp_path / "c", ("Ketamine at {clinic.phone}.", "Ketamine at (816) 555-0199."), csv=csv)
    run = run_main("check", str(content), "--format", "json")
    assert run.code == 1
    assert run.err == ["locations.csv:3: clinic.phone: 'call us' is not a phone number; write it like (913) 871-9888"]
    import json

    findings = json.loads("\n".join(run.out))["findings"]
    said = [f["message"] for f in findings if f["kind"] == "contact"]
    assert any("location overland-park's phone is (913) 555-0101" in m for m in said), said
    assert any("location olathe's phone is (913) 555-0103" in m for m in said), said
    assert not any("lees-summit" in m for m in said), said
    text = run_main("check", str(content))
    assert text.code == 1 and "location olathe's phone" in "\n".join(text.out), text.out

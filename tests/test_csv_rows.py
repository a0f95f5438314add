"""Spreadsheet messages at the right row: the names are row 1, each location the row a
spreadsheet shows (a cell of several lines is one row); a misspelt column is one message at
row 1 with the nearest name, not one per location."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from conftest import REPO, run_main

from brochure.build import failures
from brochure.errors import ContentError

CHAIN = REPO / "examples" / "chain"


def _chain(folder: Path, csv: tuple[str, str] | None = None, project: tuple[str, str] | None = None) -> Path:
    shutil.copytree(CHAIN, folder)
    for name, edit in (("locations.csv", csv), ("brochure.yaml", project)):
        if edit:
            text = (folder / name).read_text(encoding="utf-8")
            assert edit[0] in text
            (folder / name).write_text(text.replace(*edit), encoding="utf-8")
    return folder / "handouts" / "first-visit.yaml"


def test_no_value_for_a_field_names_the_locations_row(tmp_path: Path) -> None:
    # Without the project's default parking, two locations have none; the addresses span lines.
    handout = _chain(tmp_path / "chain", project=("location:\n  parking: Free parking is next to the front door.\n", ""))
    failed = failures(handout, "first-visit.yaml")
    rows = {variant: sorted({(p.file, p.line) for p in problems}) for variant, problems in failed.items()}
    assert rows == {"overland-park": [("locations.csv", 2)], "liberty": [("locations.csv", 4)]}, rows
    lines = (tmp_path / "chain" / "locations.csv").read_text(encoding="utf-8")
    assert lines.count("\n") > 4  # the CSV has more lines than rows: the numbers are rows, not lines


@pytest.mark.parametrize(("column", "wanted"), [
    ("clinic.phon", "locations.csv:1: clinic.phon: unknown column; did you mean 'clinic.phone'?"),
    ("clinc.phone", "locations.csv:1: clinc.phone: no content key is named clinc; did you mean 'clinic.phone'?"),
])
def test_a_misspelt_column_is_one_message_at_the_names_row(tmp_path: Path, column: str, wanted: str) -> None:
    handout = _chain(tmp_path / "chain", csv=("id,clinic.phone,", f"id,{column},"))
    with pytest.raises(ContentError) as error:
        failures(handout, "first-visit.yaml")
    assert [str(p) for p in error.value.problems] == [wanted]
    # The whole project: said once, though three handouts use the CSV.
    run = run_main("check", str(tmp_path / "chain"))
    assert run.code == 1 and [line for line in run.err if "locations.csv" in line] == [wanted], run.err


def test_a_single_file_with_its_own_csv_is_located_the_same(tmp_path: Path) -> None:
    folder = tmp_path / "single"
    folder.mkdir()
    shutil.copy(CHAIN / "logo.svg", folder / "logo.svg")
    (folder / "rows.csv").write_text('id,clinic.phone,hours\nnorth,(816) 555-0101,"9 to 5\nweekdays"\n'
                                     "south,(816) 555-0102,\n", encoding="utf-8")
    (folder / "content.yaml").write_text(
        "title: Hours\nclinic: {name: Heartland, phone: (816) 555-0199, logo: logo.svg}\nvariants: rows.csv\n"
        "sections:\n  - heading: When\n    body: |\n      We are open\n      {location.hours}.\n", encoding="utf-8")
    failed = failures(folder / "content.yaml", "content.yaml")
    assert [str(p) for p in failed["south"]] == [
        "rows.csv:3: sections[0].body: {location.hours}: location south has no value for hours; fill in its hours "
        "(a column of the locations, or location.hours for every location)"]
    (folder / "rows.csv").write_text("ID,clinic.phone\nnorth,(816) 555-0101\n", encoding="utf-8")
    with pytest.raises(ContentError) as error:
        failures(folder / "content.yaml", "content.yaml")
    assert [str(p) for p in error.value.problems] == [
        "rows.csv:1: ID: the column of the locations' ids must be named id (lowercase)"]

"""More user mistakes that must be one plain line, never a traceback."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import MINIMAL, run_main, write_minimal


def _variants(tmp_path: Path, tail: str) -> Path:
    path = write_minimal(tmp_path)
    path.write_text(MINIMAL + tail, encoding="utf-8")
    return path


def _fails(path: Path, out: Path, *expected: str) -> None:
    run = run_main("build", str(path), "--out", str(out))
    assert run.code == 1
    assert run.err[:-1] == [line.format(f=path, d=path.parent) for line in expected]
    assert not out.exists()


def test_empty_variants_list(tmp_path: Path) -> None:
    _fails(_variants(tmp_path, "variants: []\n"), tmp_path / "out",
           "{f}:20: variants: must be a list of variants (each '- id: ...') or the name of a CSV file")


def test_variant_that_is_not_a_mapping(tmp_path: Path) -> None:
    _fails(_variants(tmp_path, "variants: [north]\n"), tmp_path / "out",
           "{f}:20: variants: item 0 must be a group of keys starting with 'id:', like '- id: north'")


def test_csv_not_utf8(tmp_path: Path) -> None:
    path = _variants(tmp_path, "variants: data/locations.csv\n")
    (path.parent / "data").mkdir()
    (path.parent / "data" / "locations.csv").write_bytes(b"id,clinic.name\nnorth,Caf\xe9 Clinic\n")
    _fails(path, tmp_path / "out", "data/locations.csv:2: this is not UTF-8 text; save the CSV as UTF-8 (in Excel: CSV UTF-8)")


def test_csv_columns_that_clash(tmp_path: Path) -> None:
    path = _variants(tmp_path, "variants: locations.csv\n")
    (path.parent / "locations.csv").write_text("id,clinic,clinic.phone\nnorth,x,(913) 555-0100\n", encoding="utf-8")
    _fails(path, tmp_path / "out", "locations.csv:1: clinic: conflicts with the column clinic.phone; keep one of them")


def test_own_template_syntax_error_is_located(tmp_path: Path) -> None:
    path = write_minimal(tmp_path)
    (path.parent / "templates").mkdir()
    (path.parent / "templates" / "handout.html").write_text(
        '{% extends "bundled/handout.html" %}\n{% block contact %}\n{% if %}\n{% endblock %}\n', encoding="utf-8")
    _fails(path, tmp_path / "out", "templates/handout.html:3: template syntax error: Expected an expression, got 'end of statement block'")


def test_symbol_missing_from_the_bundled_font(tmp_path: Path) -> None:
    path = write_minimal(tmp_path, ("title: Ketamine and Your Brain", "title: Ketamine → Your Brain ✓"))
    run = run_main("build", str(path), "--out", str(tmp_path / "out"))
    assert run.code == 1
    assert run.err == [f"{path}:1: title: ‘→’ (U+2192), ‘✓’ (U+2713) cannot be printed: the fonts have no "
                       "such character, so it would come out as an empty box; remove or replace it, or name a font file "
                       "that has it in theme.font (README.md, “Languages”)",
                       f"{path}: 1 problem; no PDF was written."]
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("argv, message", [
    (["build", "--jobs", "0"], "--jobs: the number of processes is a whole number from 1 to 256, not '0'"),
    (["proof", "--dpi", "-3"], "--dpi: a resolution (dots per inch) is a whole number from 36 to 1200, not '-3'"),
    (["proof", "--dpi", "100000"], "--dpi: a resolution (dots per inch) is a whole number from 36 to 1200, not '100000'"),
    (["serve", "--port", "99999"], "--port: a port is a whole number from 1 to 65535, not '99999'"),
])
def test_option_out_of_range(argv: list[str], message: str, capsys: pytest.CaptureFixture[str]) -> None:
    from brochure.cli import main

    with pytest.raises(SystemExit) as stop:
        main(argv)
    assert stop.value.code == 2
    assert message in capsys.readouterr().err


def test_out_folder_that_is_a_file(tmp_path: Path) -> None:
    path = write_minimal(tmp_path / "content")
    (tmp_path / "out").write_text("not a folder")
    run = run_main("build", str(path), "--out", str(tmp_path / "out"))
    assert run.code == 1
    # Said in one line before anything is rendered (test_document_control has the other folders that cannot be).
    assert run.err == [f"--out {tmp_path / 'out'}: this is a file, not a folder; give a folder for the PDFs"]
    assert (tmp_path / "out").read_text() == "not a folder"

"""The check command and the summary every build prints, through the command line."""

from __future__ import annotations

import json
import re
from pathlib import Path

from conftest import run_main, seed_project


def test_seed_check_reports_and_strict_fails(tmp_path: Path) -> None:
    path = seed_project(tmp_path / "seed")
    run = run_main("check", str(path))
    assert run.code == 0
    text = "\n".join(run.out)
    for title in ("Required parts", "Reading level", "Medical terms not explained", "Absolute or unsupported claims"):
        assert title in text
    assert "“NMDA” is not explained" in text and "“Highly effective” is an absolute or unsupported claim" in text
    assert "988 Suicide & Crisis Lifeline" in text and "no disclaimer" in text
    assert run.out[-1] == f"{path}: 24 warnings and 3 notes to review before printing or sending."
    assert run_main("check", str(path), "--strict").code == 1
    assert not (tmp_path / "seed" / "out").exists()  # check builds in a temporary folder


def test_check_json_is_machine_readable(tmp_path: Path) -> None:
    path = seed_project(tmp_path / "seed")
    run = run_main("check", str(path), "--format", "json")
    data = json.loads("\n".join(run.out))
    assert data["version"] == 1 and data["file"] == str(path)
    assert data["summary"]["warnings"] == sum(f["severity"] == "warning" for f in data["findings"])


def test_build_prints_the_summary_and_strict_fails_even_when_up_to_date(tmp_path: Path) -> None:
    path = seed_project(tmp_path / "seed")
    out = tmp_path / "out"
    run = run_main("build", str(path), "--out", str(out))
    assert run.code == 0
    assert re.fullmatch(rf"{re.escape(str(path))}: warning: 24 findings to review \(3 required parts, 6 reading level, "
                        r"5 long sentences, 8 medical terms not explained, 2 absolute or unsupported claims\); "
                        rf"see them with: python build.py check {re.escape(str(path))}", run.err[0])
    strict = run_main("build", str(path), "--out", str(out), "--strict")
    assert strict.code == 1 and any("findings to review" in line for line in strict.err)


def test_clinic_settings_under_checks(tmp_path: Path) -> None:
    path = seed_project(tmp_path / "seed", ("layout: trifold", "layout: trifold\nchecks:\n  target_grade: 15\n"
                                     "  max_sentence_words: 30\n  extra_terms: [infusion]\n"))
    run = run_main("check", str(path), "--format", "json")
    kinds = [f["kind"] for f in json.loads("\n".join(run.out))["findings"]]
    assert "reading-level" not in kinds and "long-sentence" not in kinds
    assert any("“infusion”" in f["message"] for f in json.loads("\n".join(run.out))["findings"])

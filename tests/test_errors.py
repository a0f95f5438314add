"""Content mistakes: one plain line each, ``FILE:LINE: key.path: message``, every one found
in a single run, then ``FILE: N problems; no PDF was written.``; nothing written, no traceback.

Inputs are MINIMAL (conftest) edited in tmp_path, so the line numbers below are exact:
 1 title  2 subtitle  3 lang  4 intro  5 sections  6 - heading  7 body  8 - heading
 9 body  10 clinic  11 name  12 phone  13 logo  14 revised  15 theme  16 primary
 17 accent  18 layout  19 paper
"""

from __future__ import annotations

import re
import shutil
import subprocess
import time
from pathlib import Path

import pytest
from conftest import HANG, MINIMAL, PYTHON, REPO, run_main, snapshot, without_check_summary, write_minimal

SYNTAX_HINT = (" (check the indentation, and put text that contains ': ' or starts with a special "
               "character in quotes)")


def fails_with(path: Path, out: Path, *expected: str) -> list[str]:
    """Build ``path``; assert exit 1, exactly the ``expected`` problem lines (in order), the
    summary line, nothing on stdout and nothing in ``out``. ``{f}`` in ``expected`` is the file."""
    run = run_main("build", str(path), "--out", str(out))
    f = str(path)
    want = [line.format(f=f) for line in expected]
    count = len(want)
    summary = f"{f}: {count} problem{'s' if count != 1 else ''}; no PDF was written."
    assert run.code == 1
    assert run.out == []
    assert run.err == want + [summary]
    assert not out.exists(), "a failed build must not create or write the out folder"
    return run.err


def problem_lines(path: Path, out: Path) -> list[str]:
    """Build ``path`` expecting failure; return its problem lines (without the summary)."""
    run = run_main("build", str(path), "--out", str(out))
    assert run.code == 1, f"expected the build to fail; stdout: {run.out}"
    assert run.err and run.err[-1].startswith(f"{path}: ") and run.err[-1].endswith("; no PDF was written.")
    assert not any("Traceback" in line for line in run.err)
    assert not out.exists()
    return run.err[:-1]


def test_minimal_content_builds_nothing_wrong(tmp_path):
    """Control: the base every error test edits is itself valid (so each failure below is
    caused by its one edit)."""
    from brochure import content

    brochure = content.load(write_minimal(tmp_path))
    assert brochure.title == "Ketamine and Your Brain"
    assert brochure.layout == "handout"


# --- reading the file -----------------------------------------------------------------

def test_file_not_found(tmp_path):
    fails_with(tmp_path / "nope.yaml", tmp_path / "out", "{f}: file not found")


@pytest.mark.parametrize("old, new, expected", [
    pytest.param("subtitle: What to know before", "subtitle: What to know: before",
                 "{f}:2: YAML syntax error: mapping values are not allowed here" + SYNTAX_HINT,
                 id="colon-in-text"),
    pytest.param("title: Ketamine and Your Brain", "title: [Ketamine and Your Brain",
                 "{f}:2: YAML syntax error: expected ',' or ']', but got ':'" + SYNTAX_HINT,
                 id="unclosed-bracket"),
    pytest.param("  phone:", "\tphone:",
                 "{f}:12: YAML syntax error: found character '\\t' that cannot start any token" + SYNTAX_HINT,
                 id="tab-indent"),
])
def test_malformed_yaml(tmp_path, old, new, expected):
    fails_with(write_minimal(tmp_path, (old, new)), tmp_path / "out", expected)


@pytest.mark.parametrize("raw", [b"", b"\n\n  \n", b"# only a comment\n   # and another\n\n"],
                         ids=["empty", "blank-lines", "comments-only"])
def test_empty_file(tmp_path, raw):
    path = tmp_path / "content.yaml"
    path.write_bytes(raw)
    fails_with(path, tmp_path / "out", "{f}:1: the file is empty; start from the example content.yaml")


def test_not_utf8(tmp_path):
    path = tmp_path / "content.yaml"
    path.write_bytes(MINIMAL.replace("before your first", "before your café").encode("latin-1"))
    fails_with(path, tmp_path / "out", "{f}:2: this is not UTF-8 text (byte 0xe9); save the file as UTF-8")


def test_utf8_with_bom_is_fine(tmp_path):
    from brochure import content

    path = write_minimal(tmp_path)
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    assert content.load(path).title == "Ketamine and Your Brain"


@pytest.mark.parametrize("text", ["- title: a\n- title: b\n", "just some words\n"], ids=["list", "scalar"])
def test_top_level_not_a_mapping(tmp_path, text):
    path = tmp_path / "content.yaml"
    path.write_text(text)
    fails_with(path, tmp_path / "out",
               "{f}:1: the file must be made of keys such as 'title: ...', not a list or a single value")


# --- keys -----------------------------------------------------------------------------

def test_unknown_key_did_you_mean(tmp_path):
    fails_with(write_minimal(tmp_path, ("subtitle:", "subtitel:")), tmp_path / "out",
               "{f}:2: subtitel: unknown key; did you mean 'subtitle'?")


def test_unknown_nested_key_did_you_mean(tmp_path):
    # The misspelt key is unknown, and the key it was meant to be is then missing: both said.
    fails_with(write_minimal(tmp_path, ("  name:", "  nmae:")), tmp_path / "out",
               "{f}:10: clinic.name: required",
               "{f}:11: clinic.nmae: unknown key; did you mean 'name'?")


def test_unknown_key_without_close_match_lists_allowed_keys(tmp_path):
    err = problem_lines(write_minimal(tmp_path, ("paper: letter\n", "paper: letter\nzzqqxx: 1\n")), tmp_path / "out")
    assert len(err) == 1
    assert err[0].startswith(f"{tmp_path / 'content.yaml'}:20: zzqqxx: unknown key; the keys allowed here are: title, ")
    for key in ("sections", "clinic", "theme", "layout", "paper"):
        assert key in err[0]


def test_missing_title(tmp_path):
    fails_with(write_minimal(tmp_path, ("title: Ketamine and Your Brain\n", "")), tmp_path / "out",
               "{f}:1: title: required")


def test_missing_section_heading(tmp_path):
    fails_with(write_minimal(tmp_path, ("  - heading: How long it lasts\n    body:", "  - body:")),
               tmp_path / "out", "{f}:8: sections[1].heading: required")


def test_missing_clinic_name(tmp_path):
    fails_with(write_minimal(tmp_path, ("  name: Balanced Ketamine\n", "")), tmp_path / "out",
               "{f}:10: clinic.name: required")


def test_empty_heading(tmp_path):
    fails_with(write_minimal(tmp_path, ("heading: What ketamine does", 'heading: ""')), tmp_path / "out",
               "{f}:6: sections[0].heading: must not be empty")


def test_duplicate_key(tmp_path):
    fails_with(write_minimal(tmp_path, ("lang: en-US\n", "lang: en-US\ntitle: Again\n")), tmp_path / "out",
               "{f}:4: title: written twice (also on line 1); keep one")


def test_duplicate_key_in_a_section(tmp_path):
    fails_with(write_minimal(tmp_path, ("  - heading: How long it lasts\n",
                                        "  - heading: How long it lasts\n    heading: Again\n")),
               tmp_path / "out", "{f}:9: sections[1].heading: written twice (also on line 8); keep one")


# --- wrong types and values -----------------------------------------------------------

def test_list_where_text_expected(tmp_path):
    fails_with(write_minimal(tmp_path, ("title: Ketamine and Your Brain", "title:\n  - Ketamine\n  - Your Brain")),
               tmp_path / "out", "{f}:1: title: must be text")


def test_date_that_is_not_a_date(tmp_path):
    fails_with(write_minimal(tmp_path, ("revised: 2026-11-25", "revised: next week")), tmp_path / "out",
               "{f}:14: revised: must be a date written YYYY-MM-DD, like 2024-05-31")


def test_impossible_date(tmp_path):
    fails_with(write_minimal(tmp_path, ("revised: 2026-11-25", "revised: 2026-02-31")), tmp_path / "out",
               "{f}:14: revised: cannot be read: day is out of range for month")


def test_bad_colour(tmp_path):
    fails_with(write_minimal(tmp_path, ('primary: "#1d5c73"', "primary: teal")), tmp_path / "out",
               "{f}:16: theme.primary: 'teal' is not a colour; write it as # and six hex digits, like #1d5c73, "
               "or as CMYK percentages from a brand guide, like cmyk(74 12 6 61)")


def test_layout_not_allowed(tmp_path):
    path = write_minimal(tmp_path, ("layout: handout", "layout: poster"))
    err = problem_lines(path, tmp_path / "out")
    assert len(err) == 1
    # The allowed list grows as layouts are added (trifold); its form and 'handout' must not change.
    match = re.fullmatch(re.escape(f"{path}:18: layout: must be one of: ") + r"('[a-z0-9-]+'(, (?=')|$))+", err[0])
    assert match, err[0]
    assert "'handout'" in err[0] and "'poster'" not in err[0]


def test_bad_phone(tmp_path):
    fails_with(write_minimal(tmp_path, ("phone: (913) 871-9888", "phone: call us")), tmp_path / "out",
               "{f}:12: clinic.phone: 'call us' is not a phone number; write it like (913) 871-9888")


# --- the logo -------------------------------------------------------------------------

def test_logo_missing(tmp_path):
    fails_with(write_minimal(tmp_path, ("logo: logo.svg", "logo: nope.png")), tmp_path / "out",
               "{f}:13: clinic.logo: no file 'nope.png' in the content's folder")


def test_logo_outside_folder(tmp_path):
    shutil.copy(REPO / "logo.svg", tmp_path / "x.png")  # exists, but one folder up
    fails_with(write_minimal(tmp_path / "content", ("logo: logo.svg", "logo: ../x.png")), tmp_path / "out",
               "{f}:13: clinic.logo: '../x.png' is outside the content's folder; copy the image into that folder")


def test_logo_symlink_pointing_outside_folder(tmp_path):
    (tmp_path / "secret.png").write_bytes(b"not for the brochure")
    path = write_minimal(tmp_path / "content", ("logo: logo.svg", "logo: link.png"))
    (path.parent / "link.png").symlink_to(tmp_path / "secret.png")
    fails_with(path, tmp_path / "out",
               "{f}:13: clinic.logo: 'link.png' is outside the content's folder; copy the image into that folder")


def test_logo_absolute_path(tmp_path):
    fails_with(write_minimal(tmp_path, ("logo: logo.svg", "logo: /etc/passwd")), tmp_path / "out",
               "{f}:13: clinic.logo: '/etc/passwd' is an absolute path; give a path relative to the content's folder")


@pytest.mark.parametrize("url", ["file:///etc/passwd", "https://example.com/logo.png", "//example.com/logo.png"])
def test_logo_url(tmp_path, url):
    fails_with(write_minimal(tmp_path, ("logo: logo.svg", f'logo: "{url}"')), tmp_path / "out",
               f"{{f}}:13: clinic.logo: '{url}' is a web address or URL; save the image in the content's folder "
               "and give its file name")


def test_logo_not_an_image(tmp_path):
    fails_with(write_minimal(tmp_path, ("logo: logo.svg", "logo: content.yaml")), tmp_path / "out",
               "{f}:13: clinic.logo: 'content.yaml' is not an image; use a PNG, JPEG or SVG file")


# --- hostile YAML: refused fast, with one line ----------------------------------------

def fails_fast_with_one_line(path: Path, out: Path, expected: str) -> None:
    started = time.perf_counter()
    fails_with(path, out, expected)
    # A guard against expanding the input (minutes, gigabytes), not a speed measure (bench/ has those).
    assert time.perf_counter() - started < 30


def test_billion_laughs(tmp_path):
    lines = ['lol0: &lol0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for i in range(1, 10):
        ref = f"*lol{i - 1}"
        lines.append(f"lol{i}: &lol{i} [{', '.join([ref] * 9)}]")
    path = tmp_path / "content.yaml"
    path.write_text(MINIMAL + "\n".join(lines) + "\n")
    fails_fast_with_one_line(path, tmp_path / "out",
                             "{f}:21: aliases (*name) are not supported; write the text out in full")


def test_merge_key_alias(tmp_path):
    text = MINIMAL.replace("theme:\n", "colours: &c {primary: '#000000'}\ntheme:\n  <<: *c\n")
    path = tmp_path / "content.yaml"
    path.write_text(text)
    fails_with(path, tmp_path / "out", "{f}:17: aliases (*name) are not supported; write the text out in full")


def test_deep_nesting_flow(tmp_path):
    path = tmp_path / "content.yaml"
    path.write_text("title: " + "[" * 100 + "]" * 100 + "\n")
    fails_fast_with_one_line(path, tmp_path / "out", "{f}:1: nested more than 20 levels deep")


def test_deep_nesting_block(tmp_path):
    path = tmp_path / "content.yaml"
    path.write_text("".join("  " * i + f"k{i}:\n" for i in range(100)) + "  " * 100 + "x: 1\n")
    fails_fast_with_one_line(path, tmp_path / "out", "{f}:20: nested more than 20 levels deep")


def test_file_over_1_mb(tmp_path):
    path = tmp_path / "content.yaml"
    path.write_text(MINIMAL + "# " + "x" * 1_100_000 + "\n")
    fails_fast_with_one_line(path, tmp_path / "out", "{f}: the file is larger than 1000 kB; this is not a brochure")


def test_too_many_values(tmp_path):
    path = tmp_path / "content.yaml"
    path.write_text(MINIMAL + "extra:\n" + "  - 1\n" * 60_000)
    fails_fast_with_one_line(path, tmp_path / "out",
                             "{f}:49978: more than 50000 values; this is not a brochure")


@pytest.mark.parametrize("value", [
    pytest.param("!!python/object/apply:os.system ['touch {marker}']", id="on-a-list"),
    pytest.param("!!python/object/apply:os.system touch {marker}", id="on-text"),
    pytest.param("!!python/object/apply:os.system\n  args: ['touch {marker}']", id="on-a-mapping"),
])
def test_python_tag_is_refused_in_one_line(tmp_path, value):
    """A Python tag is never executed, and is reported once, at its line and key, naming the tag."""
    marker = tmp_path / "pwned"
    path = write_minimal(tmp_path / "content",
                         ("title: Ketamine and Your Brain", "title: " + value.format(marker=marker)))
    run = run_main("build", str(path), "--out", str(tmp_path / "out"))
    assert not marker.exists(), "the YAML tag was executed"
    assert run.code == 1, "a python/object tag must be refused, not ignored"
    problems = run.err[:-1]
    assert len(problems) == 1, problems
    assert problems == [f"{path}:1: title: the tag !!python/object/apply:os.system is not supported in content; "
                        "remove it"]
    assert not (tmp_path / "out").exists()


def test_python_tag_on_a_nested_mapping_is_refused(tmp_path):
    path = write_minimal(tmp_path, ("clinic:\n", "clinic: !!python/object:brochure.content.Clinic\n"))
    run = run_main("build", str(path), "--out", str(tmp_path / "out"))
    assert run.code == 1, "a python/object tag on a mapping must be refused, not ignored"
    problems = run.err[:-1]
    assert len(problems) == 1, problems
    assert problems == [f"{path}:10: clinic: the tag !!python/object:brochure.content.Clinic is not supported "
                        "in content; remove it"]


# --- several mistakes, one run --------------------------------------------------------

def test_all_mistakes_reported_sorted_by_line(tmp_path):
    """Five mistakes from both stages (reading: the duplicate; checking: the rest), written in
    no particular order, come back together, sorted by line. The duplicate adds a line and the
    removed heading takes one away, so lines after 4 shift by one until line 9."""
    path = write_minimal(
        tmp_path,
        ('primary: "#1d5c73"', "primary: teal"),
        ("revised: 2026-11-25", "revised: soon"),
        ("  - heading: How long it lasts\n    body:", "  - body:"),
        ("subtitle:", "subtitel:"),
        ("lang: en-US\n", "lang: en-US\nlang: es\n"),
    )
    fails_with(path, tmp_path / "out",
               "{f}:2: subtitel: unknown key; did you mean 'subtitle'?",
               "{f}:4: lang: written twice (also on line 3); keep one",
               "{f}:9: sections[1].heading: required",
               "{f}:14: revised: must be a date written YYYY-MM-DD, like 2024-05-31",
               "{f}:16: theme.primary: 'teal' is not a colour; write it as # and six hex digits, like #1d5c73, "
        "or as CMYK percentages from a brand guide, like cmyk(74 12 6 61)")


def test_each_file_reported_and_good_ones_still_built(tmp_path):
    good = write_minimal(tmp_path / "good")
    bad = write_minimal(tmp_path / "bad", ("title: Ketamine and Your Brain\n", ""))
    out = tmp_path / "out"
    run = run_main("build", str(bad), str(good), "--out", str(out))
    assert run.code == 1
    assert without_check_summary(run.err) == [f"{bad}:1: title: required", f"{bad}: 1 problem; no PDF was written."]
    assert sorted(p.name for p in out.glob("*.pdf")) == ["ketamine-and-your-brain-email.pdf",
                                                         "ketamine-and-your-brain-print.pdf"]
    assert [line.split(" (")[0] for line in run.out] == [f"wrote {out / 'ketamine-and-your-brain-print.pdf'}",
                                                        f"wrote {out / 'ketamine-and-your-brain-email.pdf'}"]


# --- the real command line ------------------------------------------------------------

def test_cli_subprocess_bad_file_keeps_last_good_pdfs(tmp_path, handout):
    """``python build.py bad.yaml --out out``: exit 1, plain lines, no traceback, and the PDFs
    already in out/ (same slug as the bad file) are byte-for-byte what they were."""
    python = PYTHON
    out = tmp_path / "out"
    shutil.copytree(handout.out, out, ignore=shutil.ignore_patterns("manifest.json"))
    before = snapshot(out)
    assert sum(name.endswith(".pdf") for name in before) == 2
    text = handout.yaml.read_text(encoding="utf-8")
    bad_text = text.replace("\nsections:", "\nsubtitel: oops\nsections:", 1)
    assert bad_text != text
    bad = tmp_path / "bad-content" / "bad.yaml"
    bad.parent.mkdir()
    shutil.copy(handout.yaml.parent / "logo.svg", bad.parent / "logo.svg")
    bad.write_text(bad_text, encoding="utf-8")
    line = bad_text.splitlines().index("subtitel: oops") + 1
    result = subprocess.run([str(python), "build.py", str(bad), "--out", str(out)], cwd=REPO,
                            capture_output=True, text=True, timeout=HANG)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert result.stdout == ""
    assert result.stderr.splitlines() == [f"{bad}:{line}: subtitel: unknown key; did you mean 'subtitle'?",
                                          f"{bad}: 1 problem; no PDF was written."]
    assert snapshot(out) == before, "the last good PDFs were changed or other files left in out/"

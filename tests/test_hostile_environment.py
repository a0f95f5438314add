"""Hostile and careless surroundings of a build (issue 20): a hand-edited ``out/manifest.json``
is a cache miss, never a traceback; an absurd ``SOURCE_DATE_EPOCH`` is one line; a bad value
for any option of any command is one plain line naming the option; Ctrl-C during a build
exits 130 with one line and leaves out/ as it was."""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import subprocess
import time
from pathlib import Path

import pytest
from conftest import HANG, PYTHON, REPO, run_main, snapshot, write_minimal

SLUG = "ketamine-and-your-brain"


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """MINIMAL built once: its folder holds clinic/content.yaml and out/ (two PDFs, the manifest)."""
    folder = tmp_path_factory.mktemp("built")
    content = write_minimal(folder / "clinic")
    run = run_main("build", str(content), "--out", str(folder / "out"))
    assert run.code == 0, run.err
    return folder


@pytest.fixture
def copy(built: Path, tmp_path: Path) -> Path:
    """A copy of ``built`` to spoil: the manifest's paths are relative, so it stays valid."""
    shutil.copytree(built, tmp_path / "p", symlinks=True)
    return tmp_path / "p"


# --- the manifest is a cache: any shape is a miss ----------------------------------------

def _good(folder: Path) -> dict:
    return json.loads((folder / "out" / "manifest.json").read_text(encoding="utf-8"))


def _spoil(folder: Path, how: str) -> None:
    """Edit out/manifest.json the way ``how`` says (a hand edit, a copy gone wrong, a hostile user)."""
    path = folder / "out" / "manifest.json"
    data = _good(folder)
    pdf = f"{SLUG}-email.pdf"
    texts = {
        "not json": b"{\"format\": 2, \"pdfs\": {",
        "odd bytes": b"\xff\xfe\x00\x9f garbage \x00",
        "empty": b"",
        "a list": b"[1, 2, 3]",
        "null": b"null",
        "a string": b"\"pdfs\"",
        "nested past the parser": b"[" * 200_000 + b"]" * 200_000,
        "a huge number": json.dumps({"format": 2, "pdfs": {}}).replace("2", "9" * 5000, 1).encode(),
        "format 1e999": b"{\"format\": 1e999, \"pdfs\": {}}",
    }
    if how in texts:
        path.write_bytes(texts[how])
        return
    entry = data["pdfs"][pdf]
    if how == "pdfs a list":
        data["pdfs"] = list(data["pdfs"].values())
    elif how == "entry a string":
        data["pdfs"][pdf] = "yes"
    elif how == "inputs a list":
        entry["inputs"] = list(entry["inputs"])
    elif how == "an input hash a number":
        entry["inputs"][next(iter(entry["inputs"]))] = 10 ** 400
    elif how == "source a number":
        entry["source"] = 12
    elif how == "variant a list":
        entry["variant"] = ["a"]
    elif how == "a key missing":
        del entry["sha256"]
    elif how == "a key more":
        entry["extra"] = 1
    elif how == "a pdf named outside out":
        data["pdfs"]["../clinic/content.pdf"] = data["pdfs"].pop(pdf)
    elif how == "failed a string":
        data["failed"] = "../clinic/content.yaml"
    elif how == "failed numbers":
        data["failed"] = [1, 2]
    elif how == "an input that is a pipe":
        os.mkfifo(folder / "out" / "pipe")
        entry["inputs"]["pipe"] = entry["sha256"]
    elif how == "an input that is a device":
        entry["inputs"]["/dev/zero"] = entry["sha256"]
    else:
        raise AssertionError(how)
    path.write_text(json.dumps(data), encoding="utf-8")


SHAPES = ["not json", "odd bytes", "empty", "a list", "null", "a string", "nested past the parser", "a huge number",
          "format 1e999", "pdfs a list", "entry a string", "inputs a list", "an input hash a number",
          "source a number", "variant a list", "a key missing", "a key more", "a pdf named outside out",
          "failed a string", "failed numbers", "an input that is a pipe", "an input that is a device"]


def test_the_good_manifest_is_read(built: Path) -> None:
    """What the cases below spoil: unspoilt, the build is up to date (so a miss can be seen)."""
    from brochure.manifest import Manifest

    book = Manifest(built / "out")
    assert len(book.entries) == 2
    assert book.up_to_date(built / "clinic" / "content.yaml")


@pytest.mark.parametrize("how", SHAPES)
def test_a_hand_edited_manifest_is_a_cache_miss(copy: Path, how: str) -> None:
    from brochure.manifest import Manifest

    _spoil(copy, how)
    book = Manifest(copy / "out")  # read as an edit left it: nothing trusted, nothing raised
    assert book.up_to_date(copy / "clinic" / "content.yaml") is None
    assert all(not pdf.startswith(".") and "/" not in pdf for pdf in book.entries)


@pytest.mark.parametrize("how", ["not json", "nested past the parser", "entry a string", "an input that is a pipe",
                                 "a link to a device", "a link out of out"])
def test_a_build_over_a_spoilt_manifest_rebuilds_the_same_pdfs(copy: Path, built: Path, how: str) -> None:
    """On the command line: exit 0, both PDFs written again (the same bytes), a good manifest
    written in place of what was there, and whatever a link pointed to left alone."""
    manifest = copy / "out" / "manifest.json"
    elsewhere = copy / "elsewhere.json"
    if how == "a link to a device":
        manifest.unlink()
        manifest.symlink_to("/dev/zero")
    elif how == "a link out of out":
        elsewhere.write_text(manifest.read_text(encoding="utf-8"), encoding="utf-8")
        manifest.unlink()
        manifest.symlink_to(elsewhere)
    else:
        _spoil(copy, how)
    before = elsewhere.read_bytes() if elsewhere.exists() else None
    run = run_main("build", str(copy / "clinic" / "content.yaml"), "--out", str(copy / "out"))
    assert run.code == 0, run.err
    spoilt = ("email",) if how == "an input that is a pipe" else ("email", "print")  # one entry: its PDF alone
    assert sorted(line.split()[1] for line in run.out if line.startswith("wrote ")) == \
        sorted(str(copy / "out" / f"{SLUG}-{kind}.pdf") for kind in spoilt)
    for kind in ("email", "print"):
        name = f"{SLUG}-{kind}.pdf"
        assert (copy / "out" / name).read_bytes() == (built / "out" / name).read_bytes()
    assert not manifest.is_symlink() and set(_good(copy)["pdfs"]) == set(_good(built)["pdfs"])
    if before is not None:
        assert elsewhere.read_bytes() == before


# --- SOURCE_DATE_EPOCH ----------------------------------------------------------------------

@pytest.mark.parametrize("value", ["abc", "-1", "1e30", "1.5", " 12", "12 ", "0x10", "１２", "253402300800",
                                   "9" * 400, "+5"])
def test_an_absurd_source_date_epoch_is_one_line(built: Path, tmp_path: Path, value: str,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", value)
    out = tmp_path / "out"
    run = run_main("build", str(built / "clinic" / "content.yaml"), "--out", str(out))
    assert run.code == 1
    shown = value if len(value) <= 40 else value[:40] + "..."
    assert run.err == [f"SOURCE_DATE_EPOCH={shown!r} is not a date for the PDFs: give whole seconds since 1970-01-01 "
                       "UTC, from 0 to 253402300799 (the end of the year 9999), or unset it"]
    assert not out.exists()


def test_the_last_second_of_year_9999_is_a_date_a_pdf_carries(built: Path, tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    import pikepdf

    monkeypatch.setenv("SOURCE_DATE_EPOCH", "253402300799")
    run = run_main("build", str(built / "clinic" / "content.yaml"), "--out", str(tmp_path / "out"))
    assert run.code == 0, run.err
    with pikepdf.open(tmp_path / "out" / f"{SLUG}-email.pdf") as pdf:
        assert str(pdf.docinfo["/CreationDate"]).startswith("D:99991231235959")


# --- options: every option of every command, in plain words ----------------------------------

BAD = ["abc", "", "-1", "0", "1e999", "nan", "9" * 60, "３", " 1", "1_000", "foo://x", "tcp://h:0", "tcp://[::1"]


def _valued_options() -> list[tuple[str, argparse.Action]]:
    """Every option that takes a value, of every command: read from the parser itself, so an
    option added later is tried too."""
    from brochure.cli import _parser

    found = []
    for action in _parser()._actions:
        if isinstance(action, argparse._SubParsersAction):
            for command, sub in action.choices.items():
                found += [(command, option) for option in sub._actions
                          if option.option_strings and option.nargs != 0 and not isinstance(option, argparse._HelpAction)]
    return found


# Options whose value any text may be, checked when the command runs (and tested there).
# --out: any text is a name; what cannot be the PDFs' folder (nothing, the project's root, a
# file...) is one line, exit 1, before rendering (targets.settle_out, test_document_control.py).
CHECKED_LATER = {("build", "--scheduler"): "test_distributed.py",
                 **{(c, "--out"): "test_document_control.py" for c, o in _valued_options() if "--out" in o.option_strings}}
OPTIONS = [(c, o) for c, o in _valued_options() if (c, max(o.option_strings, key=len)) not in CHECKED_LATER]


def test_every_option_is_tried() -> None:
    """An option taken out of the list above must be one whose value is checked later."""
    names = {(c, max(o.option_strings, key=len)) for c, o in _valued_options()}
    assert set(CHECKED_LATER) <= names
    assert len(OPTIONS) + len(CHECKED_LATER) == len(names) >= 8


@pytest.mark.parametrize("command, option", OPTIONS, ids=[f"{c} {o.option_strings[-1]}" for c, o in OPTIONS])
def test_a_bad_option_value_is_one_plain_line_naming_the_option(command: str, option: argparse.Action,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    from brochure.cli import main

    name = max(option.option_strings, key=len)
    refused = 0
    for value in BAD:
        try:
            code = main([command, f"{name}={value}", "--help"])  # --help: a value taken ends there, builds nothing
        except SystemExit as stop:
            code = stop.code
        err = capsys.readouterr().err
        if code == 0:
            continue
        refused += 1
        assert code == 2, (value, err)
        lines = err.splitlines()
        assert len(lines) == 1, (value, lines)
        assert re.match(rf"^\S.* {command}: {name}: \S", lines[0]), (value, lines)
        assert lines[0].endswith(f"(see {lines[0].split(':')[0]} --help)"), lines
        assert not re.search(r"invalid \w+ value|_\w+\(|Traceback|<function", lines[0]), lines
    assert refused, f"{command} {name}: no value was refused, so this test proves nothing for it"
    # Without a value at all: the same one line.
    with pytest.raises(SystemExit) as stop:
        main([command, name])
    assert stop.value.code == 2
    assert re.match(rf"^\S.* {command}: {name}: expected one argument \(see ", capsys.readouterr().err)


# --- Ctrl-C ----------------------------------------------------------------------------------

def _interrupt_mid_render(args: list[str], cwd: Path, env: dict[str, str] | None = None
                          ) -> subprocess.CompletedProcess[str]:
    """Start a build (``env`` added to its environment), wait until WeasyPrint is laying out a
    page (the marker file a sitecustomize hook writes), press Ctrl-C (SIGINT to the whole
    process group, as a terminal does). Every process of the build is gone when this returns."""
    marker = cwd / "rendering"
    hook = cwd / "hook"
    hook.mkdir(exist_ok=True)
    (hook / "sitecustomize.py").write_text(
        "import os, pathlib\n"
        "def _mark():\n"
        "    import weasyprint.layout as layout\n"
        "    original = layout.layout_document\n"
        "    def marked(*args, **kwargs):\n"
        f"        pathlib.Path({str(marker)!r}).touch()\n"
        "        import time\n"
        "        time.sleep(600)  # until Ctrl-C: the render cannot end before it, however slow the machine\n"
        "        return original(*args, **kwargs)\n"
        "    layout.layout_document = marked\n"
        "    import weasyprint.document as document\n"
        "    document.layout_document = marked\n"
        "import sys, importlib.abc\n"
        "class _Finder(importlib.abc.MetaPathFinder):\n"
        "    def find_spec(self, name, path, target=None):\n"
        "        if name == 'weasyprint.document':\n"
        "            sys.meta_path.remove(self)\n"
        "            import importlib\n"
        "            importlib.import_module(name)\n"
        "            _mark()\n"
        "        return None\n"
        "sys.meta_path.insert(0, _Finder())\n", encoding="utf-8")
    environment = {**os.environ, "PYTHONPATH": f"{hook}{os.pathsep}{REPO}", **(env or {})}
    environment.pop("SOURCE_DATE_EPOCH", None)
    process = subprocess.Popen([str(PYTHON), str(REPO / "build.py"), *args], cwd=cwd, env=environment, text=True,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
    try:
        deadline = time.monotonic() + HANG
        while not marker.exists():
            assert process.poll() is None, process.communicate()
            assert time.monotonic() < deadline, "the build never started to render"
            time.sleep(0.05)
        os.killpg(process.pid, signal.SIGINT)
        out, err = process.communicate(timeout=HANG)
        while time.monotonic() < deadline + HANG:  # its workers went with it (the group empties)
            try:
                os.killpg(process.pid, 0)
            except ProcessLookupError:
                break
            time.sleep(0.1)
        else:
            raise AssertionError("a process of the build was left running after Ctrl-C")
    finally:  # a build that did not stop is not left behind
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.communicate()
    return subprocess.CompletedProcess(process.args, process.returncode, out, err)


@pytest.mark.parametrize("jobs", ["1", "2", "2-recycled"])
def test_ctrl_c_mid_build_exits_130_in_one_line_and_leaves_out_as_it_was(copy: Path, jobs: str) -> None:
    """One handout (built in this process), or four locations on two worker processes: forked,
    or spawned and recycled after each unit (a long batch's workers, made so by the tests'
    ``BROCHURE_UNITS_PER_WORKER``)."""
    content = copy / "clinic" / "content.yaml"
    env = {"BROCHURE_UNITS_PER_WORKER": "1"} if jobs.endswith("recycled") else {}
    jobs = jobs.split("-")[0]
    if jobs == "2":
        (copy / "clinic" / "sites.csv").write_text(
            "id,clinic.phone\n" + "".join(f"s{n},(913) 555-010{n}\n" for n in range(4)), encoding="utf-8")
        content.write_text(content.read_text(encoding="utf-8").replace("layout: handout", "layout: handout\n"
                                                                       "variants: sites.csv"), encoding="utf-8")
    else:
        content.write_text(content.read_text(encoding="utf-8").replace("Two to three hours", "Three hours"),
                           encoding="utf-8")
    out = copy / "out"
    before = snapshot(out)
    result = _interrupt_mid_render(["build", str(content), "--out", str(out), "--jobs", jobs], copy, env)
    assert result.returncode == 130, (result.stdout, result.stderr)
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert lines == [f"stopped (Ctrl-C): nothing half-made was written; the PDFs in {out} are whole"], result.stderr
    assert snapshot(out) == before
    assert not [p for p in out.iterdir() if p.name.endswith(".tmp")]

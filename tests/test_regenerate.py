"""Regenerating: the manifest, no-op and partial rebuilds, watch, variants and batches.

What "only what changed is rebuilt" means, read from the outside: which PDFs the CLI says
it wrote, and whether their bytes and modification times moved. Every build goes to an
``out/`` in tmp_path; content is MINIMAL (``layout: handout``) unless the test needs more.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import signal
import subprocess
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pikepdf
import pypdf
import pytest
from conftest import HANG, MINIMAL, PYTHON, REPO, busy_cores, run_main, seed_project, snapshot, without_check_summary, write_minimal

BUNDLED = REPO / "templates"
SLUG = "ketamine-and-your-brain"  # MINIMAL's title as a slug
EPOCH = "1700000000"
OLD_NS = 1_000_000_000 * 1_000_000_000  # 2001-09-09: an mtime no build of today would leave


# --- helpers -------------------------------------------------------------------------------

def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def state(out: Path) -> dict[str, tuple[bytes, int]]:
    """Every file in ``out`` with its bytes and mtime in ns: what "writes nothing" compares."""
    return {name: (data, (out / name).stat().st_mtime_ns) for name, data in snapshot(out).items()}


def age(*paths: Path) -> None:
    """Give files an old mtime, so that a rewrite (even with the same bytes) shows."""
    for path in paths:
        os.utime(path, ns=(OLD_NS, OLD_NS))


def rewritten(path: Path) -> bool:
    return path.stat().st_mtime_ns != OLD_NS


def ok(*args: str):
    run = run_main(*args)
    assert run.code == 0, "\n".join(run.out + run.err)
    return run


def built(content: Path, out: Path, *extra: str):
    return ok("build", str(content), "--out", str(out), *extra)


def manifest(out: Path) -> dict:
    return json.loads((out / "manifest.json").read_text(encoding="utf-8"))


def cli(cwd: Path, *args: str, timeout: float = HANG) -> subprocess.CompletedProcess:
    """``python build.py ARGS`` in a fresh process, as a user runs it."""
    return subprocess.run([str(PYTHON), str(REPO / "build.py"), *args], cwd=cwd,
                          capture_output=True, text=True, timeout=timeout)


def pdf_text(path: Path) -> str:
    """The words of a PDF, one space between them wherever lines break."""
    return " ".join(" ".join(page.extract_text() or "" for page in pypdf.PdfReader(path).pages).split())


def link_uris(path: Path) -> set[str]:
    uris = set()
    with pikepdf.open(path) as pdf:
        for page in pdf.pages:
            for annot in page.get("/Annots", []):
                action = annot.get("/A")
                if action is not None and "/URI" in action:
                    uris.add(str(action.URI))
    return uris


def tel(phone: str) -> str:
    return "tel:+1" + re.sub(r"\D", "", phone)


# --- 1. the manifest -----------------------------------------------------------------------

def test_manifest_records_every_pdf_its_inputs_and_hash(tmp_path):
    content = write_minimal(tmp_path / "clinic")
    out = tmp_path / "out"
    built(content, out)
    data = manifest(out)
    assert data["format"] == 2
    pdfs = sorted(out.glob("*.pdf"))
    assert [p.name for p in pdfs] == [f"{SLUG}-email.pdf", f"{SLUG}-print.pdf"]
    entries = {(out / key).resolve(): entry for key, entry in data["pdfs"].items()}  # keys: file names in out/
    assert sorted(entries) == [p.resolve() for p in pdfs], "one entry per PDF, and only those"
    for pdf in pdfs:
        entry = entries[pdf.resolve()]
        output = pdf.stem.rsplit("-", 1)[1]
        assert entry["source"] == "../clinic/content.yaml", "relative to out/: a copied project stays valid"
        assert entry["output"] == output
        assert entry["variant"] is None
        assert entry["sha256"] == sha256(pdf)
        inputs = entry["inputs"]
        expected = [content, content.parent / "logo.svg",
                    BUNDLED / "base.html", BUNDLED / "handout.html",
                    BUNDLED / "css" / "brochure.css", BUNDLED / "css" / f"{output}.css",
                    BUNDLED / "fonts" / "OpenSans-Regular.ttf", BUNDLED / "fonts" / "OpenSans-Bold.ttf"]
        for path in expected:
            key = (f"bundled:{path.relative_to(BUNDLED).as_posix()}" if path.is_relative_to(BUNDLED)
                   else os.path.relpath(path, out))
            assert key in inputs, f"{pdf.name}: {path} is not among its inputs: {sorted(inputs)}"
            assert inputs[key] == sha256(path), f"{pdf.name}: recorded hash of {path} is not its hash"
    email_inputs = entries[(out / f"{SLUG}-email.pdf").resolve()]["inputs"]
    assert "bundled:css/print.css" not in email_inputs, \
        "the email PDF does not use print.css, so a change to it must not rebuild it"


# --- 2. the no-op rebuild ------------------------------------------------------------------

NOOP_SCRIPT = """\
import sys
sys.path.insert(0, {repo!r})
from brochure.cli import main
code = main(["build", "content.yaml", "--out", {out!r}])
print("IMPORTED", "weasyprint" in sys.modules, "pydantic" in sys.modules)
sys.exit(code)
"""


def test_noop_rebuild_writes_nothing_and_imports_no_weasyprint(tmp_path):
    content = write_minimal(tmp_path / "clinic")
    out = tmp_path / "out"
    built(content, out)
    before = state(out)
    assert set(before) == {f"{SLUG}-email.pdf", f"{SLUG}-print.pdf", "manifest.json"}
    time.sleep(0.01)  # any rewrite from here on gets a later mtime

    script = NOOP_SCRIPT.format(repo=str(REPO), out=str(out))
    run = subprocess.run([str(PYTHON), "-c", script], cwd=content.parent, capture_output=True,
                         text=True, timeout=HANG)
    assert run.returncode == 0, run.stdout + run.stderr
    lines = run.stdout.splitlines()
    assert lines[-1] == "IMPORTED False False", f"a no-op build imported WeasyPrint or pydantic: {lines[-1]}"
    up = [line for line in lines if line.startswith("content.yaml: up to date (")]
    assert len(up) == 1, run.stdout
    assert f"{SLUG}-print.pdf" in up[0] and f"{SLUG}-email.pdf" in up[0]
    assert not any(line.startswith("wrote ") for line in lines), run.stdout
    assert state(out) == before, "a no-op build touched out/"

    # The same through the CLI itself: exit 0, up to date, nothing written.
    again = cli(content.parent, "build", "content.yaml", "--out", str(out))
    assert again.returncode == 0, again.stderr
    assert again.stdout.startswith("content.yaml: up to date ("), again.stdout
    assert "wrote" not in again.stdout
    assert state(out) == before


# --- 3. an edit rebuilds only what it affects ----------------------------------------------

def test_email_stylesheet_override_rebuilds_only_the_email_pdf(tmp_path):
    content = write_minimal(tmp_path / "clinic")
    out = tmp_path / "out"
    first = cli(content.parent, "build", "content.yaml", "--out", str(out))
    assert first.returncode == 0, first.stderr
    email, print_pdf = out / f"{SLUG}-email.pdf", out / f"{SLUG}-print.pdf"
    email_before, print_before = email.read_bytes(), print_pdf.read_bytes()
    age(email, print_pdf)

    own = content.parent / "templates" / "css"
    own.mkdir(parents=True)
    shutil.copy(BUNDLED / "css" / "email.css", own / "email.css")
    with (own / "email.css").open("a", encoding="utf-8") as css:
        css.write("\nh1 { color: #7a1f1f; }\n")

    run = cli(content.parent, "build", "content.yaml", "--out", str(out))
    assert run.returncode == 0, run.stderr
    lines = run.stdout.splitlines()
    assert any(re.fullmatch(rf"wrote {re.escape(str(email))} \(\d+ kB\)", line) for line in lines), run.stdout
    assert f"unchanged {print_pdf}" in lines, run.stdout
    assert not any(line.startswith("wrote") and "-print.pdf" in line for line in lines), run.stdout
    assert email.read_bytes() != email_before, "the clinic's email.css was not used"
    assert print_pdf.read_bytes() == print_before
    assert not rewritten(print_pdf), "the print PDF was rewritten though nothing it uses changed"
    entry = manifest(out)["pdfs"][email.name]
    assert entry["inputs"].get(os.path.relpath(own / "email.css", out)) == sha256(own / "email.css")


def test_override_added_between_builds_in_one_process_is_used(tmp_path):
    """What watch does: several builds in one process. A stylesheet override that appears
    after the first build must be used by the next one, as a fresh process would."""
    content = write_minimal(tmp_path / "clinic")
    out = tmp_path / "out"
    built(content, out)
    email = out / f"{SLUG}-email.pdf"
    email_before = email.read_bytes()
    own = content.parent / "templates" / "css"
    own.mkdir(parents=True)
    shutil.copy(BUNDLED / "css" / "email.css", own / "email.css")
    with (own / "email.css").open("a", encoding="utf-8") as css:
        css.write("\nh1 { color: #7a1f1f; }\n")
    run = built(content, out)
    assert any(line.startswith(f"wrote {email}") for line in run.out), run.out
    assert email.read_bytes() != email_before, "the override added after the first build was ignored"
    assert os.path.relpath(own / "email.css", out) in manifest(out)["pdfs"][email.name]["inputs"]


def test_content_edit_rebuilds_both(tmp_path):
    content = write_minimal(tmp_path / "clinic")
    out = tmp_path / "out"
    built(content, out)
    pdfs = [out / f"{SLUG}-print.pdf", out / f"{SLUG}-email.pdf"]
    before = [p.read_bytes() for p in pdfs]
    age(*pdfs)
    content.write_text(MINIMAL.replace("Two to three hours", "Two or three hours"), encoding="utf-8")
    run = built(content, out)
    for pdf, old in zip(pdfs, before):
        assert any(line.startswith(f"wrote {pdf} (") for line in run.out), run.out
        assert rewritten(pdf) and pdf.read_bytes() != old
    assert not any(line.startswith("unchanged") or "up to date" in line for line in run.out), run.out


def test_of_two_files_only_the_edited_one_rebuilds(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    write_minimal(tmp_path / "one")
    two = write_minimal(tmp_path / "two", ("title: Ketamine and Your Brain", "title: After Your Infusion"))
    ok("build", "one/content.yaml", "two/content.yaml", "--out", "out")
    one_pdfs = [Path("out") / f"{SLUG}-print.pdf", Path("out") / f"{SLUG}-email.pdf"]
    two_pdfs = [Path("out") / "after-your-infusion-print.pdf", Path("out") / "after-your-infusion-email.pdf"]
    untouched = {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in one_pdfs}
    age(*two_pdfs)

    two.write_text(two.read_text(encoding="utf-8").replace("Two to three hours", "Two or three hours"),
                   encoding="utf-8")
    run = ok("build", "one/content.yaml", "two/content.yaml", "--out", "out")
    up = [line for line in run.out if line.startswith("one/content.yaml: up to date (")]
    assert len(up) == 1 and all(str(p) in up[0] for p in one_pdfs), run.out
    for pdf in two_pdfs:
        assert any(line.startswith(f"wrote {pdf} (") for line in run.out), run.out
        assert rewritten(pdf)
    assert not any(line.startswith("wrote") and SLUG in line for line in run.out), run.out
    assert {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in one_pdfs} == untouched


def test_force_rebuilds_everything(tmp_path):
    content = write_minimal(tmp_path / "clinic")
    out = tmp_path / "out"
    built(content, out)
    pdfs = [out / f"{SLUG}-print.pdf", out / f"{SLUG}-email.pdf"]
    before = [p.read_bytes() for p in pdfs]
    age(*pdfs)
    assert any("up to date" in line for line in built(content, out).out)
    run = built(content, out, "--force")
    for pdf, old in zip(pdfs, before):
        assert any(line.startswith(f"wrote {pdf} (") for line in run.out), run.out
        assert rewritten(pdf), f"--force did not rewrite {pdf.name}"
        assert pdf.read_bytes() == old, "same inputs, same bytes"
    assert manifest(out)["pdfs"][pdfs[0].name]["sha256"] == sha256(pdfs[0])


def test_replacing_the_logo_rebuilds_both(tmp_path):
    content = write_minimal(tmp_path / "clinic")
    out = tmp_path / "out"
    built(content, out)
    pdfs = [out / f"{SLUG}-print.pdf", out / f"{SLUG}-email.pdf"]
    before = [p.read_bytes() for p in pdfs]
    age(*pdfs)
    logo = content.parent / "logo.svg"
    logo.write_text(logo.read_text(encoding="utf-8").replace("#1d5c73", "#8a2b2b"), encoding="utf-8")
    run = built(content, out)
    for pdf, old in zip(pdfs, before):
        assert any(line.startswith(f"wrote {pdf} (") for line in run.out), run.out
        assert rewritten(pdf) and pdf.read_bytes() != old
    for entry in manifest(out)["pdfs"].values():
        assert entry["inputs"][os.path.relpath(logo, out)] == sha256(logo)


# --- 4. watch survives a broken save -------------------------------------------------------

class Watched:
    """A ``build.py watch`` process whose stdout and stderr lines are collected by threads."""

    def __init__(self, cwd: Path, *args: str) -> None:
        env = dict(os.environ, PYTHONUNBUFFERED="1")
        # SIGINT back to its default in the child: a shell runs background jobs with it ignored,
        # and Python then never turns it into KeyboardInterrupt.
        self.proc = subprocess.Popen([str(PYTHON), str(REPO / "build.py"), "watch", *args], cwd=cwd,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
                                     preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
        self.out: list[str] = []
        self.err: list[str] = []
        self.lock = threading.Lock()
        self.threads = [threading.Thread(target=self._read, args=(stream, lines), daemon=True)
                        for stream, lines in ((self.proc.stdout, self.out), (self.proc.stderr, self.err))]
        for thread in self.threads:
            thread.start()

    def _read(self, stream, lines: list[str]) -> None:
        for line in stream:
            with self.lock:
                lines.append(line.rstrip("\n"))

    def lines(self) -> tuple[list[str], list[str]]:
        with self.lock:
            return list(self.out), list(self.err)

    def waits(self) -> int:
        return self.lines()[0].count("waiting for changes...")

    def until(self, what: str, condition: Callable[[], bool], deadline: float) -> None:
        while time.monotonic() < deadline:
            if condition():
                return
            if self.proc.poll() is not None:
                time.sleep(0.2)  # let the readers drain
                out, err = self.lines()
                pytest.fail(f"watch exited ({self.proc.returncode}) before {what}:\n" + "\n".join(out + err))
            time.sleep(0.05)
        out, err = self.lines()
        pytest.fail(f"timed out waiting for {what}:\n" + "\n".join(out + err))

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(timeout=10)
        for thread in self.threads:
            thread.join(timeout=5)


def save(path: Path, text: str) -> None:
    """Save as editors do: write a temporary file beside it, then rename it into place."""
    temp = path.with_name(f".{path.name}.tmp")
    temp.write_text(text, encoding="utf-8")
    os.replace(temp, path)


def test_watch_rebuilds_and_survives_a_broken_save(tmp_path):
    folder = tmp_path / "clinic"
    # A fixed slug keeps the PDF names when the title changes.
    good = MINIMAL.replace("paper: letter\n", f"paper: letter\nslug: {SLUG}\n")
    content = write_minimal(folder, ("paper: letter\n", f"paper: letter\nslug: {SLUG}\n"))
    out = folder / "out"
    email, print_pdf = out / f"{SLUG}-email.pdf", out / f"{SLUG}-print.pdf"
    watched = Watched(folder, "content.yaml", "--out", "out")
    try:
        watched.until("the first build", lambda: watched.waits() >= 1, time.monotonic() + HANG)
        assert email.is_file() and print_pdf.is_file()
        assert watched.lines()[0][0].startswith("watching content.yaml")

        # A good edit: the title changes, the PDFs follow.
        before = email.read_bytes()
        waits = watched.waits()
        save(content, good.replace("title: Ketamine and Your Brain", "title: Ketamine and Your Mind"))
        watched.until("the PDF rebuilt after a good edit",
                      lambda: email.read_bytes() != before and watched.waits() > waits,
                      time.monotonic() + HANG)
        assert "Ketamine and Your Mind" in pdf_text(email)

        # A broken save: the mistake is reported, located; the last good PDFs stay.
        kept = snapshot(out)
        waits = watched.waits()
        broken = good.replace("    body: It blocks NMDA receptors", "    body: It blocks: NMDA receptors")
        assert broken.splitlines()[6].startswith("    body: It blocks: ")  # line 7
        save(content, broken)
        watched.until("the YAML error", lambda: watched.waits() > waits and any(
            re.match(r"content\.yaml:7: YAML syntax error: \S", line) for line in watched.lines()[1]),
            time.monotonic() + HANG)
        assert "content.yaml: 1 problem; no PDF was written." in watched.lines()[1]
        time.sleep(0.3)  # nothing more is coming
        assert snapshot(out) == kept, "a broken save changed out/"
        assert watched.proc.poll() is None, "watch stopped after a broken save"

        # The fix: rebuilt again.
        waits = watched.waits()
        save(content, good.replace("title: Ketamine and Your Brain", "title: Ketamine, Your Brain and You"))
        watched.until("the PDF rebuilt after the fix",
                      lambda: email.read_bytes() != kept[email.name] and watched.waits() > waits,
                      time.monotonic() + HANG)
        assert "Ketamine, Your Brain and You" in pdf_text(email)

        # Ctrl-C while waiting: a clean stop.
        time.sleep(0.3)
        watched.proc.send_signal(signal.SIGINT)
        code = watched.proc.wait(timeout=HANG)
        for thread in watched.threads:
            thread.join(timeout=HANG)
        out_lines, err_lines = watched.lines()
        assert code == 0, "\n".join(out_lines + err_lines)
        assert out_lines[-1] == "stopped watching", out_lines
        assert not any("Traceback" in line for line in err_lines), "\n".join(err_lines)
    finally:
        watched.close()


def test_an_edit_under_watch_gives_the_bytes_of_a_cold_build(tmp_path, monkeypatch):
    """The PDFs ``watch`` writes after an edit, rendered in its warm worker processes (the print
    PDF with its sentence-break search), are those a fresh ``build`` of the same content
    writes, byte for byte; and the workers are ``watch``'s own children, gone with it."""
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    folder = tmp_path / "clinic"
    content = seed_project(folder)  # the seed: a tri-fold
    out = folder / "out"
    watched = Watched(folder, "content.yaml", "--out", "out")
    try:
        watched.until("the first build", lambda: watched.waits() >= 1, time.monotonic() + HANG)
        pdfs = sorted(out.glob("*.pdf"))
        assert [p.name.rsplit("-", 1)[1] for p in pdfs] == ["email.pdf", "print.pdf"]
        watched.until("the two render workers", lambda: len(_children(watched.proc.pid)) == 2,
                      time.monotonic() + HANG)
        before = {pdf: pdf.read_bytes() for pdf in pdfs}
        waits = watched.waits()
        save(content, content.read_text(encoding="utf-8").replace("for pain and depression",
                                                                 "for pain, depression and more"))
        watched.until("both PDFs rebuilt", lambda: watched.waits() > waits
                      and all(pdf.read_bytes() != old for pdf, old in before.items()), time.monotonic() + HANG)
        cold = subprocess.run([str(PYTHON), str(REPO / "build.py"), str(content), "--out", str(tmp_path / "cold")],
                              capture_output=True, text=True, timeout=HANG)
        assert cold.returncode == 0, cold.stderr
        for pdf in pdfs:
            assert pdf.read_bytes() == (tmp_path / "cold" / pdf.name).read_bytes(), f"{pdf.name} differs"
        workers = _children(watched.proc.pid)
        watched.proc.send_signal(signal.SIGINT)
        assert watched.proc.wait(timeout=HANG) == 0
        deadline = time.monotonic() + HANG
        while any(Path(f"/proc/{pid}").exists() for pid in workers) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not any(Path(f"/proc/{pid}").exists() for pid in workers), "a render worker outlived watch"
    finally:
        watched.close()


def _children(pid: int) -> list[int]:
    """The process ids of ``pid``'s children (Linux), none once it has ended."""
    try:
        return [int(child) for task in Path(f"/proc/{pid}/task").iterdir()
                for child in (task / "children").read_text().split()]
    except OSError:
        return []


# --- 5. variants ---------------------------------------------------------------------------

PHONES = {"overland-park": "(913) 555-0101", "lees-summit": "(816) 555-0102"}

LIST_VARIANTS = """\
variants:
  - id: overland-park
    clinic:
      phone: (913) 555-0101
      address: 1 Main St, Overland Park, KS
  - id: lees-summit
    clinic: {phone: (816) 555-0102}
"""


def assert_variant_pdfs(out: Path, phones: dict[str, str]) -> None:
    names = sorted(p.name for p in out.glob("*.pdf"))
    assert names == sorted(f"{SLUG}-{vid}-{o}.pdf" for vid in phones for o in ("print", "email"))
    for vid, phone in phones.items():
        email = out / f"{SLUG}-{vid}-email.pdf"
        text, uris = pdf_text(email), link_uris(email)
        assert phone in text, f"{email.name} does not show {phone}"
        assert tel(phone) in uris, f"{email.name} has no {tel(phone)} link: {uris}"
        for other_id, other in phones.items():
            if other_id != vid:
                assert other not in text and tel(other) not in uris, f"{email.name} shows {other_id}'s phone"
        assert "(913) 871-9888" not in text, "the main phone number was not replaced"


def test_list_variants_build_one_brochure_each_and_a_removed_one_leaves_the_manifest(tmp_path):
    content = write_minimal(tmp_path / "clinic")
    content.write_text(MINIMAL + LIST_VARIANTS, encoding="utf-8")
    out = tmp_path / "out"
    built(content, out)
    assert_variant_pdfs(out, PHONES)
    data = manifest(out)["pdfs"]
    assert sorted((e["variant"], e["output"]) for e in data.values()) == [
        ("lees-summit", "email"), ("lees-summit", "print"), ("overland-park", "email"), ("overland-park", "print")]
    for pdf, entry in data.items():
        assert entry["sha256"] == sha256(out / pdf)

    # Remove lees-summit: the next build drops it from the manifest.
    content.write_text(MINIMAL + LIST_VARIANTS.split("  - id: lees-summit")[0], encoding="utf-8")
    built(content, out)
    data = manifest(out)["pdfs"]
    assert sorted((e["variant"], e["output"]) for e in data.values()) == [
        ("overland-park", "email"), ("overland-park", "print")]
    assert sorted(Path(p).name for p in data) == [f"{SLUG}-overland-park-email.pdf", f"{SLUG}-overland-park-print.pdf"]


def test_csv_variants_build_one_brochure_each(tmp_path):
    content = write_minimal(tmp_path / "clinic")
    content.write_text(MINIMAL + "variants: locations.csv\n", encoding="utf-8")
    (content.parent / "locations.csv").write_text(
        "id,clinic.phone,clinic.address\n"
        "overland-park,(913) 555-0101,\"1 Main St, Overland Park, KS\"\n"
        "lees-summit,(816) 555-0102,\n", encoding="utf-8")
    out = tmp_path / "out"
    built(content, out)
    assert_variant_pdfs(out, PHONES)

    # The CSV is an input: a new phone number in it rebuilds that location's PDFs.
    csv = content.parent / "locations.csv"
    lees = [out / f"{SLUG}-lees-summit-print.pdf", out / f"{SLUG}-lees-summit-email.pdf"]
    age(*lees)
    csv.write_text(csv.read_text(encoding="utf-8").replace("(816) 555-0102", "(816) 555-0199"), encoding="utf-8")
    run = built(content, out)
    for pdf in lees:
        assert any(line.startswith(f"wrote {pdf} (") for line in run.out), \
            f"editing locations.csv did not rebuild {pdf.name}: {run.out}"
        assert rewritten(pdf)
    assert_variant_pdfs(out, {**PHONES, "lees-summit": "(816) 555-0199"})
    for entry in manifest(out)["pdfs"].values():
        assert entry["inputs"].get(os.path.relpath(csv, out)) == sha256(csv), "the CSV is an input of every variant"


def variant_problems(tmp_path: Path, text: str, csv: str | None = None) -> list[str]:
    content = write_minimal(tmp_path / "clinic")
    content.write_text(text, encoding="utf-8")
    if csv is not None:
        (content.parent / "locations.csv").write_text(csv, encoding="utf-8")
    out = tmp_path / "out"
    run = run_main("build", "--out", str(out), str(content))
    assert run.code == 1, run.out + run.err
    # A bad variant fails alone: the good one (overland-park) is built.
    assert sorted(p.name for p in out.glob("*.pdf")) == [
        "ketamine-and-your-brain-overland-park-email.pdf", "ketamine-and-your-brain-overland-park-print.pdf"]
    return [line.replace(str(content), "content.yaml") for line in without_check_summary(run.err)]


def test_list_variant_mistakes_are_named_at_their_lines(tmp_path):
    text = MINIMAL + """\
variants:
  - id: overland-park
    clinic:
      phone: (913) 555-0101
  - id: lees-summit
    clinic: {phone: '12'}
  - id: Lees_Summit
  - id: liberty
    clinic: {phone: (913) 555-0199}
  - id: liberty
"""
    assert text.splitlines()[24] == "    clinic: {phone: '12'}"
    # An id used twice: neither location is built, both are named.
    assert variant_problems(tmp_path, text) == [
        "content.yaml:25: variants[1].clinic.phone: '12' is not a phone number; write it like (913) 871-9888",
        "content.yaml:26: variants[2].id: 'Lees_Summit' must be lowercase words joined by dashes, like north-clinic",
        "content.yaml:27: variants[3].id: 'liberty' is the id of lines 27 and 29: each location needs an id of its "
        "own, so no PDF is made for 'liberty' until one of them is renamed",
        "content.yaml:29: variants[4].id: 'liberty' is the id of lines 27 and 29: each location needs an id of its "
        "own, so no PDF is made for 'liberty' until one of them is renamed",
        "content.yaml: 4 problems; the other 2 PDFs were written.",
    ]


def test_csv_variant_mistakes_are_named_at_their_rows(tmp_path):
    csv = ("id,clinic.phone\n"
           "overland-park,(913) 555-0101\n"
           "lees-summit,12\n"
           "north clinic,(816) 555-0103\n"
           "liberty,(816) 555-0104\n"
           "\n"
           "liberty,(816) 555-0105\n")
    assert variant_problems(tmp_path, MINIMAL + "variants: locations.csv\n", csv) == [
        "locations.csv:3: clinic.phone: '12' is not a phone number; write it like (913) 871-9888",
        "locations.csv:4: id: 'north clinic' must be lowercase words joined by dashes, like north-clinic",
        "locations.csv:5: id: 'liberty' is the id of rows 5 and 7: each location needs an id of its own, so no PDF "
        "is made for 'liberty' until one of them is renamed",
        "locations.csv:7: id: 'liberty' is the id of rows 5 and 7: each location needs an id of its own, so no PDF "
        "is made for 'liberty' until one of them is renamed",
        "content.yaml: 4 problems; the other 2 PDFs were written.",
    ]


# --- 6. batches ----------------------------------------------------------------------------

def test_a_broken_file_fails_alone(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    write_minimal(tmp_path / "one")
    write_minimal(tmp_path / "two", ("title: Ketamine and Your Brain", "title: Broken Handout"),
                  ("  phone: (913) 871-9888", "  phone: '12'"))
    write_minimal(tmp_path / "three", ("title: Ketamine and Your Brain", "title: After Your Infusion"))
    run = run_main("build", "one/content.yaml", "two/content.yaml", "three/content.yaml", "--out", "out")
    assert run.code == 1
    assert without_check_summary(run.err) == [
        "two/content.yaml:12: clinic.phone: '12' is not a phone number; write it like (913) 871-9888",
        "two/content.yaml: 1 problem; no PDF was written.",
    ]
    assert sorted(p.name for p in Path("out").glob("*.pdf")) == [
        "after-your-infusion-email.pdf", "after-your-infusion-print.pdf", f"{SLUG}-email.pdf", f"{SLUG}-print.pdf"]
    assert not list(Path("out").glob("broken-handout*"))
    assert {Path(e["source"]).parent.name for e in manifest(Path("out"))["pdfs"].values()} == {"one", "three"}
    progress = [line for line in run.out if line.startswith("[")]  # in the order they finished
    assert [line.split("]")[0] for line in progress] == ["[1/2", "[2/2"], run.out
    assert sorted(line.split("] ", 1)[1] for line in progress) == [
        "built one/content.yaml", "built three/content.yaml"], run.out


def test_two_files_writing_the_same_pdfs_are_both_refused(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    write_minimal(tmp_path / "one")
    write_minimal(tmp_path / "two", ("Two to three hours", "Two or three hours"))  # same title
    write_minimal(tmp_path / "three", ("title: Ketamine and Your Brain", "title: After Your Infusion"))
    run = run_main("build", "one/content.yaml", "two/content.yaml", "three/content.yaml", "--out", "out")
    assert run.code == 1
    errors = without_check_summary(run.err)
    for me, other in (("one", "two"), ("two", "one")):
        for output in ("print", "email"):
            pdf = Path("out") / f"{SLUG}-{output}.pdf"
            assert (f"{me}/content.yaml: would write {pdf}, as would {other}/content.yaml; "
                    "give one of them another slug") in errors, errors
        assert f"{me}/content.yaml: 2 problems; no PDF was written." in errors, errors
    assert not any(line.startswith("three/") for line in errors), errors
    assert sorted(p.name for p in Path("out").glob("*.pdf")) == [
        "after-your-infusion-email.pdf", "after-your-infusion-print.pdf"], "nothing written for the clashing files"
    assert {Path(e["source"]).parent.name for e in manifest(Path("out"))["pdfs"].values()} == {"three"}


FOUR_VARIANTS = """\
variants:
  - id: north
    clinic: {phone: (913) 555-0101}
  - id: south
    clinic: {phone: (913) 555-0102}
  - id: east
    clinic: {phone: (913) 555-0103}
  - id: west
    clinic: {phone: (913) 555-0104}
"""


def test_parallel_jobs_write_the_same_pdfs(tmp_path, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", EPOCH)
    monkeypatch.chdir(tmp_path)
    content = write_minimal(tmp_path / "clinic")
    content.write_text(MINIMAL + FOUR_VARIANTS, encoding="utf-8")
    serial = ok("build", "clinic/content.yaml", "--out", "serial", "--jobs", "1")
    parallel = ok("build", "clinic/content.yaml", "--out", "parallel", "--jobs", "2")
    ids = ["north", "south", "east", "west"]
    names = sorted(f"{SLUG}-{vid}-{o}.pdf" for vid in ids for o in ("print", "email"))
    assert sorted(p.name for p in Path("serial").glob("*.pdf")) == names
    assert sorted(p.name for p in Path("parallel").glob("*.pdf")) == names
    for name in names:
        assert (Path("serial") / name).read_bytes() == (Path("parallel") / name).read_bytes(), name
    for run in (serial, parallel):
        progress = [line for line in run.out if line.startswith("[")]
        assert [line.split("]")[0] for line in progress] == ["[1/4", "[2/4", "[3/4", "[4/4"], run.out
        assert sorted(line.split("] ", 1)[1] for line in progress) == sorted(
            f"built clinic/content.yaml ({vid})" for vid in ids), run.out
    assert len(manifest(Path("parallel"))["pdfs"]) == 8


def test_the_manifest_does_not_depend_on_how_out_is_written(tmp_path):
    content = write_minimal(tmp_path / "clinic")
    built(content, tmp_path / "out")
    run = run_main("build", str(content), "--out", str((tmp_path / "clinic" / ".." / "out").resolve()))
    assert run.code == 0 and run.out and run.out[0].startswith(f"{content}: up to date"), run.out


def test_another_file_with_the_same_pdf_names_is_refused_not_overwritten(tmp_path):
    first = write_minimal(tmp_path / "first")
    second = write_minimal(tmp_path / "second")
    out = tmp_path / "out"
    built(first, out)
    before = snapshot(out)
    run = run_main("build", str(second), "--out", str(out))
    assert run.code == 1
    assert run.err[0].startswith(f"{second}: would write {out / (SLUG + '-print.pdf')}, which was made from "
                                 f"{first.resolve()}; give one of them another slug")
    assert snapshot(out) == before
    (first).unlink()  # the first file is gone (moved or renamed): its PDFs may be replaced
    assert run_main("build", str(second), "--out", str(out)).code == 0


def test_watch_builds_a_handout_added_to_the_project_while_it_runs(tmp_path):
    """`watch` in a project folder: a handout saved after it started, in a folder made after
    it started, is built like the others; one removed is no longer built (nor an error).

    Both cores are kept busy meanwhile: the folder is made, and the handout saved into it,
    while the watch is still being set up (right after the first build), the moment a slow
    machine used to lose the save for good."""
    folder = tmp_path / "chain"
    write_minimal(folder, name="first.yaml")
    (folder / "brochure.yaml").write_text("layout: handout\n", encoding="utf-8")
    out = folder / "out"
    guard = HANG  # the test waits for a fact; however slow the machine, it comes
    with busy_cores(2, seconds=3 * guard):
        watched = Watched(folder, "--out", "out")
        try:
            watched.until("the first build", lambda: watched.waits() >= 1, time.monotonic() + guard)
            assert (out / f"{SLUG}-email.pdf").is_file()
            waits = watched.waits()
            (folder / "handouts").mkdir()
            save(folder / "handouts" / "later.yaml", MINIMAL.replace("title: Ketamine and Your Brain",
                                                                     "title: Added Later")
                 .replace("logo: logo.svg", "logo: ../logo.svg"))
            watched.until("the new handout built", lambda: (out / "added-later-email.pdf").is_file()
                          and watched.waits() > waits, time.monotonic() + guard)
            assert "Added Later" in pdf_text(out / "added-later-email.pdf")
            waits, said = watched.waits(), len(watched.lines()[1])
            (folder / "first.yaml").unlink()
            watched.until("a build after the removal", lambda: watched.waits() > waits, time.monotonic() + guard)
            since = watched.lines()[1][said:]
            assert not any("first.yaml" in line for line in since), since
        finally:
            watched.close()

"""One handout on two cores: its print PDF rendered here, its email PDF and its checks in a
forked helper at the same time (``brochure.forked``). The same PDFs and findings as with
``--jobs 1``, which forks nothing; a helper killed mid-render is a plain fallback; Ctrl-C is
exit 130 in one line, out/ untouched and no process left behind.

Each build runs in a fresh process (as staff run it) through a small driver that notes
which process renders which PDF; the pytest process may run threads, which forbid a fork."""

from __future__ import annotations

import contextlib
import hashlib
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest
from conftest import HANG, PYTHON, REPO, seed_project, snapshot, write_minimal

# The CLI as build.py runs it, with job.render wrapped: each render notes "<pid> <main pid>
# <output>" in RENDER_LOG; with KILL_HELPER set, a render in a helper process kills it; with
# WAIT_MARKER set, each render touches WAIT_MARKER-<output> and waits (for Ctrl-C); with
# FAIL_FORK set, os.fork fails as it does when no process can be spared.
DRIVER = """\
import os, pathlib, signal, sys, time
sys.path.insert(0, {repo!r})
from brochure.render import job
MAIN = os.getpid()
original = job.render
def render(made, *args, **kwargs):
    if os.environ.get("KILL_HELPER") and os.getpid() != MAIN:
        os.kill(os.getpid(), signal.SIGKILL)
    with open(os.environ["RENDER_LOG"], "a", encoding="utf-8") as log:
        log.write(f"{{os.getpid()}} {{MAIN}} {{made.output}}\\n")
    if os.environ.get("WAIT_MARKER"):
        pathlib.Path(os.environ["WAIT_MARKER"] + "-" + made.output).touch()
        time.sleep(600)  # until Ctrl-C, however slow the machine
    return original(made, *args, **kwargs)
job.render = render
if os.environ.get("FAIL_FORK"):  # no process to spare, as under a process limit
    def fork():
        raise BlockingIOError(11, "Resource temporarily unavailable")
    os.fork = fork
if os.environ.get("FORK_LOG"):  # each helper forked, by its pid
    forking = os.fork
    def fork():
        pid = forking()
        if pid:
            with open(os.environ["FORK_LOG"], "a", encoding="utf-8") as log:
                log.write(f"{{pid}}\\n")
        return pid
    os.fork = fork
from brochure import reviewed
reviewing = reviewed.review
def review(*args, **kwargs):
    found = reviewing(*args, **kwargs)
    with open(os.environ["RENDER_LOG"] + ".findings", "a", encoding="utf-8") as log:
        log.writelines(f"{{finding!r}}\\n" for finding in found)
    return found
reviewed.review = review
from brochure.program import run
run()  # as build.py ends
"""


def _build(folder: Path, out: Path, jobs: str, **env: str) -> tuple[subprocess.CompletedProcess[str], list[list[str]]]:
    """A cold build of ``folder``'s content.yaml into ``out``; what it printed, and each render:
    [pid, main pid, output]."""
    driver = folder / "driver.py"
    driver.write_text(DRIVER.format(repo=str(REPO)), encoding="utf-8")
    log = folder / f"renders-{out.name}.log"
    result = subprocess.run([str(PYTHON), str(driver), "build", str(folder / "content.yaml"), "--out", str(out),
                             "--jobs", jobs], cwd=folder, capture_output=True, text=True, timeout=HANG,
                            env={**os.environ, "SOURCE_DATE_EPOCH": "1700000000", "RENDER_LOG": str(log), **env})
    assert result.returncode == 0, result.stderr
    return result, [line.split() for line in log.read_text(encoding="utf-8").splitlines()]


def _hashes(out: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(out.glob("*.pdf"))}


def _gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


@pytest.fixture(scope="module")
def seed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return seed_project(tmp_path_factory.mktemp("seed")).parent  # the tri-fold, as it is


def test_two_cores_render_the_email_pdf_beside_the_print_pdf_with_the_same_bytes_and_findings(seed: Path) -> None:
    one, renders_one = _build(seed, seed / "one", "1")
    two, renders_two = _build(seed, seed / "two", "2")
    # --jobs 1: one process renders both; --jobs 2: the email PDF in a helper of the build
    assert [(pid == main, output) for pid, main, output in renders_one] == [(True, "print"), (True, "email")]
    assert sorted((pid == main, output) for pid, main, output in renders_two) == [(False, "email"), (True, "print")]
    helper = next(int(pid) for pid, main, _ in renders_two if pid != main)
    assert _gone(helper), "the helper process outlived the build"
    assert _hashes(seed / "one") == _hashes(seed / "two")
    assert len(_hashes(seed / "two")) == 2
    # The findings, each of them, and the summary are those of a build in one process.
    findings = [(seed / f"renders-{name}.log.findings").read_text(encoding="utf-8") for name in ("one", "two")]
    assert findings[0].replace("/one/", "/two/") == findings[1]
    assert findings[1].count("Finding(") >= 10 and "/two/how-ketamine-affects-the-brain-email.pdf" in findings[1]
    assert one.stdout.replace("/one/", "/two/") == two.stdout
    assert one.stderr == two.stderr and "findings to review" in two.stderr


def test_a_helper_killed_mid_render_is_a_plain_fallback(seed: Path) -> None:
    _build(seed, seed / "alone", "1")
    result, renders = _build(seed, seed / "killed", "2", KILL_HELPER="1")
    # The helper died before it rendered anything: this process rendered both, in turn.
    assert [(pid == main, output) for pid, main, output in renders] == [(True, "print"), (True, "email")]
    assert _hashes(seed / "killed") == _hashes(seed / "alone")
    assert "Traceback" not in result.stderr


def test_a_fork_that_fails_is_a_plain_fallback(seed: Path) -> None:
    _build(seed, seed / "alone-again", "1")
    result, renders = _build(seed, seed / "no-fork", "2", FAIL_FORK="1")
    assert [(pid == main, output) for pid, main, output in renders] == [(True, "print"), (True, "email")]
    assert _hashes(seed / "no-fork") == _hashes(seed / "alone-again")
    assert "Traceback" not in result.stderr and "findings to review" in result.stderr


def test_ctrl_c_with_a_helper_exits_130_in_one_line_leaves_out_as_it_was_and_no_process(tmp_path: Path) -> None:
    folder = seed_project(tmp_path / "p").parent
    out = folder / "out"
    subprocess.run([str(PYTHON), str(REPO / "build.py"), str(folder / "content.yaml"), "--out", str(out)],
                   cwd=folder, check=True, capture_output=True, timeout=HANG)
    (folder / "content.yaml").write_text((folder / "content.yaml").read_text(encoding="utf-8").replace(
        "Ketamine", "Ketamine,", 1), encoding="utf-8")
    before = snapshot(out)
    marker = folder / "rendering"
    driver = folder / "driver.py"
    driver.write_text(DRIVER.format(repo=str(REPO)), encoding="utf-8")
    env = {**os.environ, "RENDER_LOG": str(folder / "log"), "WAIT_MARKER": str(marker)}
    process = subprocess.Popen([str(PYTHON), str(driver), "build", str(folder / "content.yaml"), "--out", str(out),
                                "--jobs", "2"], cwd=folder, env=env, text=True, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, start_new_session=True)
    try:
        deadline = time.monotonic() + HANG
        while not (Path(f"{marker}-print").exists() and Path(f"{marker}-email").exists()):
            assert process.poll() is None, process.communicate()
            assert time.monotonic() < deadline, "the build never rendered both PDFs at once"
            time.sleep(0.05)
        os.killpg(process.pid, signal.SIGINT)  # as a terminal does: the helper gets it too
        _, err = process.communicate(timeout=HANG)
        assert process.returncode == 130, err
        assert [line for line in err.splitlines() if line.strip()] == [
            f"stopped (Ctrl-C): nothing half-made was written; the PDFs in {out} are whole"]
        assert snapshot(out) == before
        with pytest.raises(ProcessLookupError):  # the helper too is gone: none of the group is left
            os.killpg(process.pid, 0)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.communicate()


def test_weasyprint_opens_its_libraries_without_running_a_program() -> None:
    """``job.imported``: no ldconfig, gcc or ld run to find Pango and HarfBuzz (on Linux)."""
    if os.uname().sysname != "Linux":
        pytest.skip("the library lookup skipped is Linux's (ldconfig, gcc)")
    script = ("import subprocess, sys\n"
              "ran = []\n"
              "original = subprocess.Popen.__init__\n"
              "def popen(self, args, *rest, **kwargs):\n"
              "    ran.append(args)\n"
              "    original(self, args, *rest, **kwargs)\n"
              "subprocess.Popen.__init__ = popen\n"
              "from brochure.render import job\n"
              "job.imported()\n"
              "from weasyprint.text.ffi import pango\n"
              "assert pango.pango_version() > 0\n"
              "print(ran)\n")
    result = subprocess.run([str(PYTHON), "-c", script], cwd=REPO, capture_output=True, text=True, timeout=HANG)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_a_project_requiring_approval_is_read_once_for_its_handouts_and_again_after_an_edit(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from brochure import approval
    from brochure.content import project

    root = tmp_path / "project"
    (root / "handouts").mkdir(parents=True)
    (root / "brochure.yaml").write_text("clinic: {name: Heartland}\nrequire_approval: true\n", encoding="utf-8")
    handouts = [root / "handouts" / f"h{n}.yaml" for n in range(5)]
    reads: list[Path] = []
    original = project.read_project
    monkeypatch.setattr(project, "read_project", lambda file, *rest, **named: reads.append(file) or original(file, *rest, **named))
    assert all(approval.requires_approval(path) for path in handouts)
    assert reads == [root / "brochure.yaml"]
    # An edit (watch: a save) is seen at once, whatever the clock says.
    (root / "brochure.yaml").write_text("clinic: {name: Heartland}\nrequire_approval: false\n", encoding="utf-8")
    assert not any(approval.requires_approval(path) for path in handouts)
    assert len(reads) == 2


def test_a_build_killed_outright_leaves_no_helper_behind(tmp_path: Path) -> None:
    """SIGKILL to the build alone (no Ctrl-C to its group): its helper ends with it."""
    folder = seed_project(tmp_path / "p").parent
    marker, log = folder / "rendering", folder / "log"
    driver = folder / "driver.py"
    driver.write_text(DRIVER.format(repo=str(REPO)), encoding="utf-8")
    env = {**os.environ, "RENDER_LOG": str(log), "WAIT_MARKER": str(marker)}
    process = subprocess.Popen([str(PYTHON), str(driver), "build", str(folder / "content.yaml"), "--out",
                                str(folder / "out"), "--jobs", "2"], cwd=folder, env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        deadline = time.monotonic() + HANG
        while not (Path(f"{marker}-print").exists() and Path(f"{marker}-email").exists()):
            assert process.poll() is None and time.monotonic() < deadline, "the build never rendered both PDFs at once"
            time.sleep(0.05)
        helper = next(int(pid) for pid, main, _ in (line.split() for line in log.read_text().splitlines())
                      if pid != main)
        process.kill()
        process.wait(timeout=HANG)
        while not _gone(helper):  # it was the build's child: reaped by init once it ends
            assert time.monotonic() < deadline, "the helper outlived the build"
            time.sleep(0.05)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=HANG)


@pytest.mark.parametrize(("ready", "cores", "idle"), [(1, 2, True), (2, 2, False), (9, 2, False), (3, 4, True)])
def test_without_jobs_a_helper_is_forked_only_when_a_core_is_idle(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, ready: int, cores: int, idle: bool) -> None:
    from brochure import forked

    loadavg = tmp_path / "loadavg"
    loadavg.write_text(f"7.54 7.00 5.57 {ready}/136 12287\n", encoding="ascii")
    monkeypatch.setattr(os, "cpu_count", lambda: cores)
    assert forked.idle_core(str(loadavg)) is idle
    assert forked.idle_core(str(tmp_path / "missing")) is True  # no way to know: as --jobs says


def test_a_print_pdf_that_cannot_be_made_is_one_message_with_a_helper_too(tmp_path: Path) -> None:
    """The print PDF fails here (the article overflows the tri-fold) while the helper renders
    the email PDF: the same lines as with --jobs 1, exit 1, nothing written, no helper left."""
    filler = "      " + "Ketamine is given by a nurse in a quiet room at the clinic. " * 12 + "\n"
    folder = seed_project(tmp_path / "p", ("    body: |\n", "    body: |\n" + filler * 40)).parent
    runs = []
    for jobs in ("1", "2"):
        out = folder / f"out{jobs}"
        out.mkdir()
        driver = folder / "driver.py"
        driver.write_text(DRIVER.format(repo=str(REPO)), encoding="utf-8")
        log = folder / f"log{jobs}"
        result = subprocess.run([str(PYTHON), str(driver), "build", str(folder / "content.yaml"), "--out", str(out),
                                 "--jobs", jobs], cwd=folder, capture_output=True, text=True, timeout=HANG,
                                env={**os.environ, "RENDER_LOG": str(log)})
        assert result.returncode == 1, result.stderr
        assert "Traceback" not in result.stderr and list(out.iterdir()) == []
        runs.append(result.stderr.replace(f"out{jobs}", "out"))
        for pid, main, _ in (line.split() for line in log.read_text(encoding="utf-8").splitlines()):
            assert pid == main or _gone(int(pid))
    assert runs[0] == runs[1]
    assert "layout: the article does not fit the tri-fold" in runs[1] and "no PDF was written" in runs[1], runs[1]


def test_three_outputs_with_a_helper_give_the_same_pdfs_and_findings(tmp_path: Path) -> None:
    """print, email and office: the helper renders the two after the first, then a second one
    checks the PDFs after the first; the same bytes and findings as one process."""
    folder = seed_project(tmp_path / "p", ("\nclinic:", "\noutputs: [print, email, office]\nclinic:")).parent
    _, renders_one = _build(folder, folder / "one", "1")
    _, renders_two = _build(folder, folder / "two", "2")
    assert sorted(output for _, _, output in renders_two) == ["email", "office", "print"]
    assert sorted((pid == main, output) for pid, main, output in renders_two) == [
        (False, "email"), (False, "office"), (True, "print")]
    assert _hashes(folder / "one") == _hashes(folder / "two") and len(_hashes(folder / "two")) == 3
    findings = [(folder / f"renders-{name}.log.findings").read_text(encoding="utf-8") for name in ("one", "two")]
    assert findings[0].replace("/one/", "/two/") == findings[1] and "-office.pdf" in findings[1]
    assert len(renders_one) == 3


@pytest.mark.parametrize("mistake", ["glyph", "template"])
def test_a_mistake_found_while_the_helper_prepares_the_html_is_the_same_line_out_untouched(
        tmp_path: Path, mistake: str) -> None:
    """With a core to spare, a helper checks that the content can be printed and lays out its
    HTML while the build imports WeasyPrint. A mistake it meets (a character no font has, a
    clinic's template that does not parse) is the same line as with --jobs 1, exit 1, the last
    good PDFs untouched, and no helper left behind."""
    path = write_minimal(tmp_path / "p")
    folder, out = path.parent, path.parent / "out"
    subprocess.run([str(PYTHON), str(REPO / "build.py"), str(path), "--out", str(out), "--jobs", "1"],
                   cwd=folder, check=True, capture_output=True, timeout=HANG)
    before = snapshot(out)
    if mistake == "glyph":
        path.write_text(path.read_text(encoding="utf-8").replace(
            "title: Ketamine and Your Brain", "title: Ketamine → Your Brain", 1), encoding="utf-8")
        expected = f"{path}:1: title: ‘→’ (U+2192) cannot be printed"
    else:
        (folder / "templates").mkdir()
        (folder / "templates" / "handout.html").write_text(
            '{% extends "bundled/handout.html" %}\n{% block contact %}\n{% if %}\n{% endblock %}\n', encoding="utf-8")
        expected = "templates/handout.html:3: template syntax error: "
    driver = folder / "driver.py"
    driver.write_text(DRIVER.format(repo=str(REPO)), encoding="utf-8")
    errors = []
    for jobs in ("1", "2"):
        forks = folder / f"forks{jobs}"
        result = subprocess.run([str(PYTHON), str(driver), "build", str(path), "--out", str(out), "--jobs", jobs],
                                cwd=folder, capture_output=True, text=True, timeout=HANG,
                                env={**os.environ, "RENDER_LOG": str(folder / "log"), "FORK_LOG": str(forks)})
        assert result.returncode == 1 and "Traceback" not in result.stderr, result.stderr
        assert snapshot(out) == before
        helpers = [int(pid) for pid in forks.read_text(encoding="utf-8").split()] if forks.exists() else []
        assert (len(helpers) == 1) if jobs == "2" else not helpers  # the helper that prepares; none with --jobs 1
        assert all(_gone(pid) for pid in helpers)
        errors.append(result.stderr)
    assert errors[0] == errors[1]
    assert errors[1].startswith(expected) and errors[1].count("\n") == 2, errors[1]
